import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { ChannelSettings, type AudienceKey, type ChannelKind, type ChannelView, type CreateChannel } from '@vigil/contracts';
import { CONFIG, forbiddenAddressReason, LOGGER, Problem, zodIssuesToFieldErrors, type DestinationPolicy } from '@vigil/platform';
import { isIP } from 'node:net';
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { DataSource, type EntityManager } from 'typeorm';
import type { CommsConfig } from '../config';
import type { ChannelTarget } from './channel';

type Query = Pick<EntityManager, 'query'>;

export interface ChannelRow {
  id: string;
  name: string;
  kind: ChannelKind;
  enabled: boolean;
  config: Record<string, unknown>;
  secrets: Record<string, string>;
  source: 'config' | 'api';
  allow_private_network: boolean;
  allow_http: boolean;
  created_at: Date;
  updated_at: Date;
  updated_by: string | null;
}

/** The channel as readers see it: its secrets only as set or unset. */
export function toChannelView(row: ChannelRow): ChannelView {
  const secretNames = Object.keys(ChannelSettings[row.kind].secrets.shape);
  return {
    channelId: row.id,
    name: row.name,
    kind: row.kind,
    enabled: row.enabled,
    config: row.config,
    secrets: Object.fromEntries(secretNames.map((n) => [n, row.secrets[n] ? 'set' : 'unset'])),
    source: row.source,
    ...networkOf(row),
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
    updatedBy: row.updated_by,
  };
}

/**
 * Where a channel may deliver. A channel from configuration is the operator's own (a relay or
 * receiver inside the deployment, like `npm start`'s local ones): it may reach internal addresses
 * over http. One made through the API may only if an admin said so on it.
 */
export function networkOf(row: Pick<ChannelRow, 'source' | 'allow_private_network' | 'allow_http'>): DestinationPolicy {
  return row.source === 'config' ? { allowPrivateNetwork: true, allowHttp: true } : { allowPrivateNetwork: row.allow_private_network, allowHttp: row.allow_http };
}

export function toTarget(row: ChannelRow): ChannelTarget {
  return { id: row.id, name: row.name, kind: row.kind, config: row.config, secrets: row.secrets, network: networkOf(row) } as ChannelTarget;
}

/**
 * What can be told from a channel's settings before any delivery: a plain-http URL without
 * `allowHttp`, and an address written as an IP literal that is internal without
 * `allowPrivateNetwork` (names are resolved and checked at each delivery: DNS can change).
 */
export function networkProblems(kind: ChannelKind, config: Record<string, unknown>, secrets: Record<string, string>, network: DestinationPolicy): Array<{ pointer: string; detail: string }> {
  const problems: Array<{ pointer: string; detail: string }> = [];
  const url = kind === 'webhook' ? { pointer: '/config/url', value: config.url } : kind === 'slack' || kind === 'teams' ? { pointer: '/secrets/webhookUrl', value: secrets.webhookUrl } : undefined;
  let host: string | undefined;
  let pointer = '/config/host';
  if (url && typeof url.value === 'string') {
    const parsed = new URL(url.value);
    if (parsed.protocol === 'http:' && !network.allowHttp) problems.push({ pointer: url.pointer, detail: 'is plain http: set allowHttp for a receiver without TLS' });
    host = parsed.hostname.replace(/^\[|\]$/g, '');
    pointer = url.pointer;
  } else if (kind === 'email' && typeof config.host === 'string') host = config.host;
  const why = host && isIP(host) ? forbiddenAddressReason(host) : null;
  if (why && !network.allowPrivateNetwork) problems.push({ pointer, detail: `${host} is ${why}: set allowPrivateNetwork for an internal receiver` });
  return problems;
}

/** Validates config and secrets against the channel kind's settings; a failure names each field. */
export function validateSettings(kind: ChannelKind, config: unknown, secrets: unknown): { config: Record<string, unknown>; secrets: Record<string, string> } {
  const settings = ChannelSettings[kind];
  const c = settings.config.safeParse(config);
  const s = settings.secrets.safeParse(secrets);
  const errors = [...(c.success ? [] : zodIssuesToFieldErrors(c.error, '/config')), ...(s.success ? [] : zodIssuesToFieldErrors(s.error, '/secrets'))];
  // The body's schema takes any settings; which ones fit depends on the stored channel's kind.
  if (errors.length) throw Problem.unprocessable(errors, `The settings do not fit a ${kind} channel.`);
  return { config: c.data as Record<string, unknown>, secrets: Object.fromEntries(Object.entries(s.data as Record<string, string | undefined>).filter(([, v]) => v !== undefined)) as Record<string, string> };
}

export async function channelsByName(manager: Query, names: readonly string[]): Promise<ChannelRow[]> {
  if (names.length === 0) return [];
  return manager.query(`SELECT * FROM comms.channels WHERE name = ANY($1) ORDER BY name`, [names]);
}

export async function channelById(manager: Query, id: string): Promise<ChannelRow | null> {
  const [row] = (await manager.query(`SELECT * FROM comms.channels WHERE id = $1`, [id])) as ChannelRow[];
  return row ?? null;
}

/**
 * Channels defined in configuration (COMMS_CHANNELS, and COMMS_WEBHOOK_URL as the IR team's
 * webhook) are written at start, secrets included, and joined to the audiences they name. The
 * API shows them but does not change them: configuration stays the source, so one that it no
 * longer defines is removed at start, with its place in the audiences (its deliveries' history
 * keeps its name).
 */
@Injectable()
export class ConfiguredChannels implements OnModuleInit {
  constructor(
    private readonly dataSource: DataSource,
    @Inject(CONFIG) private readonly config: CommsConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  definitions(): Array<CreateChannel & { audiences: AudienceKey[] }> {
    const defined = [...(this.config.COMMS_CHANNELS ?? [])] as Array<CreateChannel & { audiences: AudienceKey[] }>;
    if (this.config.COMMS_WEBHOOK_URL && !defined.some((d) => d.name === 'ir-team-webhook')) {
      defined.push({
        kind: 'webhook',
        name: 'ir-team-webhook',
        enabled: true,
        config: { url: this.config.COMMS_WEBHOOK_URL },
        secrets: this.config.COMMS_WEBHOOK_SECRET ? { signingSecret: this.config.COMMS_WEBHOOK_SECRET } : {},
        // A configured channel is the operator's: it may reach internal addresses (networkOf).
        allowPrivateNetwork: true,
        allowHttp: true,
        audiences: ['ir_team'],
      });
    }
    return defined;
  }

  async onModuleInit(): Promise<void> {
    const definitions = this.definitions();
    const retired = await this.dataSource.transaction(async (manager) => {
      // A channel that configuration defined once and defines no more is gone: left in place, it
      // would keep receiving every notice of the audiences it was joined to (and fail each one).
      // (TypeORM answers a DELETE … RETURNING with [rows, count].)
      const [gone]: [Array<{ name: string }>, number] = await manager.query(
        `DELETE FROM comms.channels WHERE source = 'config' AND NOT (name = ANY($1::text[])) RETURNING name`,
        [definitions.map((d) => d.name)],
      );
      if (gone.length) {
        await manager.query(`UPDATE comms.audiences SET channels = array(SELECT c FROM unnest(channels) AS c WHERE NOT (c = ANY($1::text[]))) WHERE channels && $1::text[]`, [
          gone.map((g) => g.name),
        ]);
      }
      for (const d of definitions) {
        const { config, secrets } = validateSettings(d.kind, d.config, d.secrets);
        await manager.query(
          `INSERT INTO comms.channels (id, name, kind, enabled, config, secrets, source, created_at, updated_at, updated_by)
           VALUES ($1, $2, $3, $4, $5, $6, 'config', now(), now(), 'config')
           ON CONFLICT (name) DO UPDATE SET kind = EXCLUDED.kind, enabled = EXCLUDED.enabled, config = EXCLUDED.config, secrets = EXCLUDED.secrets,
             source = 'config', updated_at = now(), updated_by = 'config'
           WHERE (comms.channels.kind, comms.channels.enabled, comms.channels.config, comms.channels.secrets, comms.channels.source)
             IS DISTINCT FROM (EXCLUDED.kind, EXCLUDED.enabled, EXCLUDED.config, EXCLUDED.secrets, 'config')`,
          [randomUUID(), d.name, d.kind, d.enabled, config, secrets],
        );
        if (d.audiences.length) {
          await manager.query(
            `UPDATE comms.audiences SET channels = array_append(channels, $1) WHERE audience = ANY($2) AND NOT ($1 = ANY(channels))`,
            [d.name, d.audiences],
          );
        }
      }
      return gone.map((g) => g.name);
    });
    if (retired.length) this.logger.warn({ channels: retired }, 'channels no longer in the configuration removed, and from their audiences');
    if (definitions.length) this.logger.info({ channels: definitions.map((d) => `${d.name} (${d.kind})`) }, 'configured channels in place');
  }
}
