import { Body, Controller, Get, HttpCode, Inject, Param, ParseUUIDPipe, Post, Query } from '@nestjs/common';
import { ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { EscalationList, EscalationStatus, EscalationView, StopEscalation } from '@vigil/contracts';
import { ApiJsonBody, ApiJsonResponse, ApiProblems, assertIncidentVisible, Caller, Permit, Problem, visibleIncidentCondition, ZodPipe, type Principal } from '@vigil/platform';
import { DataSource } from 'typeorm';
import { z } from 'zod';
import { CLOCK, type Clock } from '../clock';
import { EscalationMetrics } from '../escalation-metrics';
import { toEscalationView, type EscalationRow, type StepRow } from '../escalation-rows';
import { recordAcknowledgements, stopEscalations } from '../escalation-store';

const ListQuery = z.strictObject({ status: EscalationStatus.optional(), limit: z.coerce.number().int().min(1).max(200).default(50) });

/** Escalations of incidents: what ran, who was paged, what runs next; and acknowledging a page. */
@ApiTags('escalation')
@Controller('v1')
export class EscalationsController {
  constructor(
    private readonly dataSource: DataSource,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly metrics: EscalationMetrics,
  ) {}

  private async views(rows: EscalationRow[]) {
    const steps: StepRow[] = rows.length ? await this.dataSource.query(`SELECT * FROM tasking.escalation_steps WHERE escalation_id = ANY($1::uuid[])`, [rows.map((r) => r.id)]) : [];
    return rows.map((r) => toEscalationView(r, steps));
  }

  private async visible(escalationId: string, caller: Principal): Promise<EscalationRow> {
    const [row]: EscalationRow[] = await this.dataSource.query(`SELECT * FROM tasking.escalations WHERE id = $1`, [escalationId]);
    if (!row) throw Problem.notFound(`Escalation ${escalationId}`);
    await assertIncidentVisible(this.dataSource, 'tasking', row.incident_id, caller, `Escalation ${escalationId}`);
    return row;
  }

  @Get('incidents/:incidentId/escalations')
  @Permit('incidents.read')
  @ApiOperation({ summary: 'Escalations of an incident, oldest first, with every step that ran and who it paged', operationId: 'listIncidentEscalations' })
  @ApiJsonResponse(200, EscalationList, 'The escalations (empty when none started)')
  @ApiProblems(400, 404, 503)
  async ofIncident(@Param('incidentId', new ParseUUIDPipe()) incidentId: string, @Caller() caller: Principal) {
    await assertIncidentVisible(this.dataSource, 'tasking', incidentId, caller);
    const rows: EscalationRow[] = await this.dataSource.query(`SELECT * FROM tasking.escalations WHERE incident_id = $1 ORDER BY started_at`, [incidentId]);
    return { items: await this.views(rows) };
  }

  @Get('escalations')
  @Permit('incidents.read')
  @ApiOperation({ summary: 'Escalations across incidents, newest first (e.g. ?status=active)', operationId: 'listEscalations' })
  @ApiQuery({ name: 'status', required: false, enum: EscalationStatus.options })
  @ApiQuery({ name: 'limit', required: false, type: Number })
  @ApiJsonResponse(200, EscalationList, 'The escalations the caller may see')
  @ApiProblems(400, 503)
  async list(@Query(new ZodPipe(ListQuery, 'query')) query: z.infer<typeof ListQuery>, @Caller() caller: Principal) {
    const params: unknown[] = [];
    const visible = visibleIncidentCondition('tasking', 'e.incident_id', caller, params);
    params.push(query.status ?? null, query.limit);
    const rows: EscalationRow[] = await this.dataSource.query(
      `SELECT e.* FROM tasking.escalations e WHERE ${visible} AND ($${params.length - 1}::text IS NULL OR e.status = $${params.length - 1}) ORDER BY e.started_at DESC LIMIT $${params.length}`,
      params,
    );
    return { items: await this.views(rows) };
  }

  @Get('escalations/:escalationId')
  @Permit('incidents.read')
  @ApiOperation({ summary: 'One escalation', operationId: 'getEscalation' })
  @ApiJsonResponse(200, EscalationView, 'The escalation')
  @ApiProblems(400, 404, 503)
  async get(@Param('escalationId', new ParseUUIDPipe()) escalationId: string, @Caller() caller: Principal) {
    const [view] = await this.views([await this.visible(escalationId, caller)]);
    return view;
  }

  @Post('escalations/:escalationId/acknowledge')
  @HttpCode(200)
  @Permit('incidents.acknowledge')
  @ApiOperation({
    summary: 'Acknowledge a page: stops this escalation at once (acknowledging the incident in triage stops all of its escalations)',
    description: 'For pages about an incident acknowledged earlier, e.g. one whose severity rose since: triage acknowledges an incident once.',
    operationId: 'acknowledgeEscalation',
  })
  @ApiJsonBody(StopEscalation)
  @ApiJsonResponse(200, EscalationView, 'The escalation, acknowledged')
  @ApiProblems(400, 404, 409, 503)
  async acknowledge(@Param('escalationId', new ParseUUIDPipe()) escalationId: string, @Body(new ZodPipe(StopEscalation)) body: StopEscalation, @Caller() caller: Principal) {
    await this.visible(escalationId, caller);
    const now = this.clock.now();
    const stopped = await this.dataSource.transaction((m) => stopEscalations(m, { escalationIds: [escalationId] }, { reason: 'acknowledged', detail: body.reason ?? null, actor: caller.subject, at: now }));
    if (stopped.length === 0) throw new Problem(409, 'Conflict', 'The escalation is not running any more (acknowledged, stopped or run out).');
    recordAcknowledgements(this.metrics, stopped, now);
    const [view] = await this.views([await this.visible(escalationId, caller)]);
    return view;
  }
}
