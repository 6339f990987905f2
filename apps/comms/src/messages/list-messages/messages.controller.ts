import { Controller, Get, Param, ParseUUIDPipe, Query } from '@nestjs/common';
import { ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { MessageList, MessageStatus, MessageView } from '@vigil/contracts';
import { ApiJsonResponse, ApiProblems, assertIncidentVisible, Caller, Permit, Problem, visibleIncidentCondition, ZodPipe, type Principal } from '@vigil/platform';
import { DataSource } from 'typeorm';
import { z } from 'zod';
import { messageViews, type MessageRow } from '../message-ledger';

const ListQuery = z.strictObject({
  status: MessageStatus.optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});

/** The ledger: every message as it was sent, with its hash, approval, recipients and receipts. */
@ApiTags('messages')
@Controller('v1')
export class MessagesController {
  constructor(private readonly dataSource: DataSource) {}

  @Get('incidents/:incidentId/messages')
  @Permit('incidents.read')
  @ApiOperation({ summary: 'Messages about an incident, oldest first, each with its deliveries and receipts', operationId: 'listIncidentMessages' })
  @ApiJsonResponse(200, MessageList, 'The messages')
  @ApiProblems(400, 404, 503)
  async forIncident(@Param('incidentId', new ParseUUIDPipe()) incidentId: string, @Caller() caller: Principal) {
    await assertIncidentVisible(this.dataSource, 'comms', incidentId, caller);
    const rows: MessageRow[] = await this.dataSource.query(`SELECT * FROM comms.messages WHERE incident_id = $1 ORDER BY drafted_at, id`, [incidentId]);
    return { items: await messageViews(this.dataSource, rows) };
  }

  @Get('messages')
  @Permit('incidents.read')
  @ApiOperation({ summary: 'Messages across incidents, newest first (e.g. ?status=awaiting_approval: the approval queue)', operationId: 'listMessages' })
  @ApiQuery({ name: 'status', required: false, enum: MessageStatus.options })
  @ApiQuery({ name: 'limit', required: false, schema: { type: 'integer', minimum: 1, maximum: 200, default: 50 } })
  @ApiJsonResponse(200, MessageList, 'The messages')
  @ApiProblems(400, 503)
  async list(@Query(new ZodPipe(ListQuery, 'query')) query: z.infer<typeof ListQuery>, @Caller() caller: Principal) {
    const params: unknown[] = [];
    const where = [visibleIncidentCondition('comms', 'm.incident_id', caller, params)];
    if (query.status) {
      params.push(query.status);
      where.push(`m.status = $${params.length}`);
    }
    params.push(query.limit);
    const rows: MessageRow[] = await this.dataSource.query(`SELECT m.* FROM comms.messages m WHERE ${where.join(' AND ')} ORDER BY m.drafted_at DESC, m.id LIMIT $${params.length}`, params);
    return { items: await messageViews(this.dataSource, rows) };
  }

  @Get('messages/:messageId')
  @Permit('incidents.read')
  @ApiOperation({ summary: 'One message as it was sent', operationId: 'getMessage' })
  @ApiJsonResponse(200, MessageView, 'The message')
  @ApiProblems(400, 404, 503)
  async get(@Param('messageId', new ParseUUIDPipe()) messageId: string, @Caller() caller: Principal) {
    const [row]: MessageRow[] = await this.dataSource.query(`SELECT * FROM comms.messages WHERE id = $1`, [messageId]);
    if (!row) throw Problem.notFound(`Message ${messageId}`);
    await assertIncidentVisible(this.dataSource, 'comms', row.incident_id, caller, `Message ${messageId}`);
    return (await messageViews(this.dataSource, [row]))[0];
  }
}
