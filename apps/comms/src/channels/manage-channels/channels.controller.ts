import { Body, Controller, Delete, Get, HttpCode, Param, ParseUUIDPipe, Patch, Post } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { ChannelList, ChannelView, CreateChannel, UpdateChannel } from '@vigil/contracts';
import { ApiJsonBody, ApiJsonResponse, ApiProblems, Caller, Permit, Problem, ZodPipe, type DestinationPolicy, type Principal } from '@vigil/platform';
import { randomUUID } from 'node:crypto';
import { DataSource, type EntityManager } from 'typeorm';
import { channelById, networkProblems, toChannelView, validateSettings, type ChannelRow } from '../channel-store';

/**
 * Channels are how audiences are reached. Secrets (a Slack or Teams webhook URL, a signing key, an
 * SMTP password) are write-only: set or replaced here, never returned.
 */
@ApiTags('channels')
@Controller('v1/channels')
export class ChannelsController {
  constructor(private readonly dataSource: DataSource) {}

  @Get()
  @Permit('channels.read')
  @ApiOperation({ summary: 'Notification channels, without their secrets', operationId: 'listChannels' })
  @ApiJsonResponse(200, ChannelList, 'The channels')
  @ApiProblems(503)
  async list() {
    const rows: ChannelRow[] = await this.dataSource.query(`SELECT * FROM comms.channels ORDER BY name`);
    return { items: rows.map(toChannelView) };
  }

  @Get(':channelId')
  @Permit('channels.read')
  @ApiOperation({ summary: 'One channel, without its secrets', operationId: 'getChannel' })
  @ApiJsonResponse(200, ChannelView, 'The channel')
  @ApiProblems(400, 404, 503)
  async get(@Param('channelId', new ParseUUIDPipe()) channelId: string) {
    const row = await channelById(this.dataSource, channelId);
    if (!row) throw Problem.notFound(`Channel ${channelId}`);
    return toChannelView(row);
  }

  @Post()
  @Permit('channels.write')
  @ApiOperation({
    summary: 'Add a channel (webhook, Slack, Teams or e-mail); name it in an audience to use it',
    description:
      'Secrets are stored and used for delivery, and never returned: the answer says only which are set. ' +
      'A channel delivers only to public addresses over HTTPS unless allowPrivateNetwork / allowHttp say otherwise; a plain-http URL or an internal IP address without them is a 422 naming the field. ' +
      'Each delivery resolves the name again, refuses an internal address (a name that resolves to 127.0.0.1 or 169.254.169.254 too) and connects to the address it checked.',
    operationId: 'createChannel',
  })
  @ApiJsonBody(CreateChannel)
  @ApiJsonResponse(201, ChannelView, 'The channel')
  @ApiProblems(400, 409, 422, 503)
  async create(@Body(new ZodPipe(CreateChannel)) body: CreateChannel, @Caller() caller: Principal) {
    const { config, secrets } = validateSettings(body.kind, body.config, body.secrets);
    const network = { allowPrivateNetwork: body.allowPrivateNetwork, allowHttp: body.allowHttp };
    assertReachable(body.kind, config, secrets, network);
    const [row]: ChannelRow[] = await this.dataSource.transaction(async (manager) => {
      const [existing] = await manager.query(`SELECT 1 FROM comms.channels WHERE name = $1`, [body.name]);
      if (existing) throw new Problem(409, 'Conflict', `A channel named ${body.name} exists.`, { errors: [{ pointer: '/name', detail: 'is taken' }] });
      return manager.query(
        `INSERT INTO comms.channels (id, name, kind, enabled, config, secrets, source, allow_private_network, allow_http, created_at, updated_at, updated_by)
         VALUES ($1, $2, $3, $4, $5, $6, 'api', $7, $8, now(), now(), $9) RETURNING *`,
        [randomUUID(), body.name, body.kind, body.enabled, config, secrets, network.allowPrivateNetwork, network.allowHttp, caller.subject],
      );
    });
    return toChannelView(row);
  }

  @Patch(':channelId')
  @Permit('channels.write')
  @ApiOperation({
    summary: 'Enable or disable a channel, replace its configuration, set or clear secrets',
    description: 'Secrets not named are kept. Channels defined in configuration (COMMS_CHANNELS) are changed there, not here (409).',
    operationId: 'updateChannel',
  })
  @ApiJsonBody(UpdateChannel)
  @ApiJsonResponse(200, ChannelView, 'The channel')
  @ApiProblems(400, 404, 409, 422, 503)
  async update(@Param('channelId', new ParseUUIDPipe()) channelId: string, @Body(new ZodPipe(UpdateChannel)) body: UpdateChannel, @Caller() caller: Principal) {
    const row = await this.dataSource.transaction(async (manager) => {
      const current = await this.lockApiChannel(manager, channelId);
      const secrets: Record<string, string | null> = { ...current.secrets, ...(body.secrets ?? {}) };
      const merged = Object.fromEntries(Object.entries(secrets).filter(([, v]) => v !== null));
      const checked = validateSettings(current.kind, body.config ?? current.config, merged);
      const network = { allowPrivateNetwork: body.allowPrivateNetwork ?? current.allow_private_network, allowHttp: body.allowHttp ?? current.allow_http };
      assertReachable(current.kind, checked.config, checked.secrets, network);
      const [updated]: ChannelRow[] = await manager.query(
        `WITH changed AS (UPDATE comms.channels SET enabled = $2, config = $3, secrets = $4, allow_private_network = $5, allow_http = $6, updated_at = now(), updated_by = $7
                           WHERE id = $1 RETURNING *) SELECT * FROM changed`,
        [channelId, body.enabled ?? current.enabled, checked.config, checked.secrets, network.allowPrivateNetwork, network.allowHttp, caller.subject],
      );
      return updated;
    });
    return toChannelView(row);
  }

  @Delete(':channelId')
  @Permit('channels.write')
  @HttpCode(204)
  @ApiOperation({ summary: 'Remove a channel and take it out of every audience', operationId: 'deleteChannel' })
  @ApiProblems(400, 404, 409, 503)
  async remove(@Param('channelId', new ParseUUIDPipe()) channelId: string) {
    await this.dataSource.transaction(async (manager) => {
      const current = await this.lockApiChannel(manager, channelId);
      await manager.query(`UPDATE comms.audiences SET channels = array_remove(channels, $1) WHERE $1 = ANY(channels)`, [current.name]);
      await manager.query(`DELETE FROM comms.channels WHERE id = $1`, [channelId]);
    });
  }

  private async lockApiChannel(manager: EntityManager, channelId: string): Promise<ChannelRow> {
    const [current]: ChannelRow[] = await manager.query(`SELECT * FROM comms.channels WHERE id = $1 FOR UPDATE`, [channelId]);
    if (!current) throw Problem.notFound(`Channel ${channelId}`);
    if (current.source === 'config') throw new Problem(409, 'Conflict', `Channel ${current.name} is defined in configuration (COMMS_CHANNELS); change it there.`);
    return current;
  }
}

/** A 422 naming each setting the channel could not deliver to under its network flags. */
function assertReachable(kind: ChannelRow['kind'], config: Record<string, unknown>, secrets: Record<string, string>, network: DestinationPolicy): void {
  const problems = networkProblems(kind, config, secrets, network);
  if (problems.length) throw Problem.unprocessable(problems, 'The channel could not deliver there as set.');
}
