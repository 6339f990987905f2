import { Inject, Injectable } from '@nestjs/common';
import { CONFIG, Problem } from '@vigil/platform';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import type { IntakeConfig } from '../config';
import { apiKeyMatches, generateApiKey, hashApiKey, keyPrefix, looksLikeApiKey } from './api-keys';
import type { CreateIntegration, IntegrationKind } from './integration-kinds';

export interface Integration {
  id: string;
  name: string;
  kind: IntegrationKind;
  keyPrefix: string;
  keyHash: string;
  rateLimitPerSecond: number | null;
  /** Where its dedup keys are unique: `integration:<id>` (its own) or `shared:<name>`. */
  dedupNamespace: string;
  allowIncidentReference: boolean;
  createdAt: Date;
  revokedAt: Date | null;
}

const SHARED = 'shared:';

/** The namespace an integration's dedup keys live in, as stored. */
export function dedupNamespaceOf(id: string, shared: string | undefined): string {
  return shared ? `${SHARED}${shared}` : `integration:${id}`;
}

/** The shared namespace's name as the API shows it, or null for an integration's own. */
export function sharedNamespaceName(namespace: string): string | null {
  return namespace.startsWith(SHARED) ? namespace.slice(SHARED.length) : null;
}

interface Row {
  id: string;
  name: string;
  kind: IntegrationKind;
  key_prefix: string;
  key_hash: string;
  rate_limit_per_second: number | null;
  dedup_namespace: string;
  allow_incident_reference: boolean;
  created_at: Date;
  revoked_at: Date | null;
}

const toIntegration = (r: Row): Integration => ({
  id: r.id,
  name: r.name,
  kind: r.kind,
  keyPrefix: r.key_prefix,
  keyHash: r.key_hash,
  rateLimitPerSecond: r.rate_limit_per_second,
  dedupNamespace: r.dedup_namespace,
  allowIncidentReference: r.allow_incident_reference,
  createdAt: r.created_at,
  revokedAt: r.revoked_at,
});

/** How long a looked-up key is trusted before it is checked again (so a revocation takes effect). */
const CACHE_TTL_MS = 5000;

/**
 * Integrations and their API keys. Every ingest request authenticates here; lookups are cached
 * briefly per key prefix so that authentication costs no database round trip at alert volume.
 */
@Injectable()
export class IntegrationRegistry {
  private readonly cache = new Map<string, { integration: Integration | null; until: number }>();

  constructor(
    private readonly dataSource: DataSource,
    @Inject(CONFIG) private readonly config: IntakeConfig,
  ) {}

  async create(input: CreateIntegration): Promise<{ integration: Integration; apiKey: string }> {
    const apiKey = generateApiKey();
    const id = randomUUID();
    // Through a transaction, so that the audit record of the change commits with it.
    const [row]: Row[] = await this.dataSource.transaction((tx) => tx.query(
      `INSERT INTO intake.integrations (id, name, kind, key_prefix, key_hash, rate_limit_per_second, dedup_namespace, allow_incident_reference)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING *`,
      [
        id,
        input.name,
        input.kind,
        keyPrefix(apiKey),
        hashApiKey(apiKey, this.config.INTAKE_API_KEY_PEPPER),
        input.rateLimitPerSecond ?? null,
        dedupNamespaceOf(id, input.dedupNamespace),
        input.allowIncidentReference ?? false,
      ],
    ));
    return { integration: toIntegration(row), apiKey };
  }

  async list(): Promise<Integration[]> {
    const rows: Row[] = await this.dataSource.query(`SELECT * FROM intake.integrations ORDER BY created_at, id`);
    return rows.map(toIntegration);
  }

  async revoke(id: string): Promise<Integration> {
    const rows: Row[] = await this.dataSource.transaction((tx) => tx.query(
      // (wrapped in a CTE: TypeORM returns [rows, count] for a bare UPDATE … RETURNING)
      `WITH revoked AS (UPDATE intake.integrations SET revoked_at = coalesce(revoked_at, now()) WHERE id = $1 RETURNING *)
       SELECT * FROM revoked`,
      [id],
    ));
    if (rows.length === 0) throw Problem.notFound(`Integration ${id}`);
    this.cache.delete(rows[0].key_prefix);
    return toIntegration(rows[0]);
  }

  /** The integration a key belongs to, or a 401/403 problem. */
  async authenticate(key: string | undefined, kind: IntegrationKind): Promise<Integration> {
    if (!key) {
      throw new Problem(401, 'Unauthorized', 'An API key is required: send it as `Authorization: Bearer <key>`, an `X-Vigil-Key` header or `?api_key=`.', {}, { 'www-authenticate': 'Bearer' });
    }
    const integration = await this.verify(key);
    if (!integration) {
      throw new Problem(401, 'Unauthorized', 'The API key is not valid or has been revoked.', {}, { 'www-authenticate': 'Bearer error="invalid_token"' });
    }
    if (integration.kind !== kind) {
      throw new Problem(403, 'Forbidden', `This key belongs to a ${integration.kind} integration; it cannot send ${kind} alerts.`);
    }
    return integration;
  }

  /**
   * The live integration a key belongs to, or null when the key is malformed, unknown, wrong or
   * revoked: checked in full (the prefix alone identifies, the hash authenticates).
   */
  async verify(key: string | undefined): Promise<Integration | null> {
    if (!looksLikeApiKey(key)) return null;
    const integration = await this.lookup(key);
    if (!integration || integration.revokedAt || !apiKeyMatches(key, integration.keyHash, this.config.INTAKE_API_KEY_PEPPER)) return null;
    return integration;
  }

  /** Alerts per second (per replica) an integration may send; requests without a valid key share the default per address. */
  limitOf(integration: Integration | null): number {
    return integration?.rateLimitPerSecond ?? this.config.INTAKE_RATE_LIMIT_PER_SECOND;
  }

  private async lookup(key: string): Promise<Integration | null> {
    const prefix = keyPrefix(key);
    const hit = this.cache.get(prefix);
    if (hit && hit.until > Date.now()) return hit.integration;
    const rows: Row[] = await this.dataSource.query(`SELECT * FROM intake.integrations WHERE key_prefix = $1`, [prefix]);
    const integration = rows[0] ? toIntegration(rows[0]) : null;
    if (this.cache.size > 10_000) this.cache.clear();
    this.cache.set(prefix, { integration, until: Date.now() + CACHE_TTL_MS });
    return integration;
  }
}
