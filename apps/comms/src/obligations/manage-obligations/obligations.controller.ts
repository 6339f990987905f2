import { Body, Controller, Get, HttpCode, Inject, Param, ParseUUIDPipe, Post, Query } from '@nestjs/common';
import { ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import {
  ObligationList,
  ObligationReason,
  ObligationStatus,
  ObligationView,
  PauseObligation,
  SubmitObligation,
  type IncidentSnapshot,
} from '@vigil/contracts';
import { ApiJsonBody, ApiJsonResponse, ApiProblems, assertIncidentVisible, Caller, enumList, Permit, Problem, visibleIncidentCondition, ZodPipe, type Principal } from '@vigil/platform';
import { DataSource, type EntityManager } from 'typeorm';
import { z } from 'zod';
import { CLOCK, type Clock } from '../../timers/clock';
import { DeadlinePoller } from '../watch-deadlines/deadline.poller';
import { ObligationEngine, type DecisionRow, type ObligationRow } from '../obligation-engine';

const ListQuery = z.strictObject({
  status: enumList(ObligationStatus).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});

/**
 * Regulatory clocks: each shows its deadline, the time left, its status (pending, open, paused,
 * late, submitted, submitted late, waived) and the content the law asks for, filled from the
 * incident where it can be. Submitting, pausing (where the law allows) and waiving are decisions
 * of legal or the IR manager, kept in the clock's history.
 */
@ApiTags('regulatory clocks')
@Controller('v1')
export class ObligationsController {
  constructor(
    private readonly dataSource: DataSource,
    private readonly engine: ObligationEngine,
    private readonly poller: DeadlinePoller,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  @Get('incidents/:incidentId/obligations')
  @Permit('incidents.read')
  @ApiOperation({ summary: 'An incident\'s regulatory clocks', operationId: 'listIncidentObligations' })
  @ApiJsonResponse(200, ObligationList, 'The clocks, soonest deadline first')
  @ApiProblems(400, 404, 503)
  async forIncident(@Param('incidentId', new ParseUUIDPipe()) incidentId: string, @Caller() caller: Principal) {
    await assertIncidentVisible(this.dataSource, 'comms', incidentId, caller);
    const rows: ObligationRow[] = await this.dataSource.query(`SELECT * FROM comms.obligations WHERE incident_id = $1 ORDER BY deadline NULLS LAST, rule, stage`, [incidentId]);
    return { items: await this.views(this.dataSource, rows) };
  }

  @Get('obligations')
  @Permit('incidents.read')
  @ApiOperation({ summary: 'Regulatory clocks across incidents (e.g. ?status=open,late,paused), soonest deadline first', operationId: 'listObligations' })
  @ApiQuery({ name: 'status', required: false, description: 'comma-separated statuses' })
  @ApiQuery({ name: 'limit', required: false, schema: { type: 'integer', minimum: 1, maximum: 500, default: 100 } })
  @ApiJsonResponse(200, ObligationList, 'The clocks')
  @ApiProblems(400, 503)
  async list(@Query(new ZodPipe(ListQuery, 'query')) query: z.infer<typeof ListQuery>, @Caller() caller: Principal) {
    const params: unknown[] = [];
    const where = [visibleIncidentCondition('comms', 'o.incident_id', caller, params)];
    if (query.status) {
      params.push(query.status);
      where.push(`o.status = ANY($${params.length})`);
    }
    params.push(query.limit);
    const rows: ObligationRow[] = await this.dataSource.query(
      `SELECT o.* FROM comms.obligations o WHERE ${where.join(' AND ')} ORDER BY o.deadline NULLS LAST, o.created_at LIMIT $${params.length}`,
      params,
    );
    return { items: await this.views(this.dataSource, rows) };
  }

  @Get('obligations/:obligationId')
  @Permit('incidents.read')
  @ApiOperation({ summary: 'One regulatory clock', operationId: 'getObligation' })
  @ApiJsonResponse(200, ObligationView, 'The clock')
  @ApiProblems(400, 404, 503)
  async get(@Param('obligationId', new ParseUUIDPipe()) obligationId: string, @Caller() caller: Principal) {
    const [row]: ObligationRow[] = await this.dataSource.query(`SELECT * FROM comms.obligations WHERE id = $1`, [obligationId]);
    if (!row) throw Problem.notFound(`Obligation ${obligationId}`);
    await assertIncidentVisible(this.dataSource, 'comms', row.incident_id, caller, `Obligation ${obligationId}`);
    return (await this.views(this.dataSource, [row]))[0];
  }

  @Post('obligations/:obligationId/submit')
  @Permit('obligations.decide')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Record that the notice or report was submitted (after the deadline: with the reasons for the delay)',
    description: 'Stages counted from this one (a final report one month after the notification) get their deadlines.',
    operationId: 'submitObligation',
  })
  @ApiJsonBody(SubmitObligation)
  @ApiJsonResponse(200, ObligationView, 'The clock')
  @ApiProblems(400, 404, 409, 503)
  async submit(@Param('obligationId', new ParseUUIDPipe()) obligationId: string, @Body(new ZodPipe(SubmitObligation)) body: SubmitObligation, @Caller() caller: Principal) {
    return this.act(obligationId, caller, (manager, row, now) => this.engine.submit(manager, row, caller, body, now));
  }

  @Post('obligations/:obligationId/pause')
  @Permit('obligations.decide')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Stop the clock where the law allows it (a law-enforcement delay); the deadline moves by the time paused',
    description: 'A rule without a legal basis for a pause (GDPR, NIS2, DORA) answers 409; the basis is pauseAllowed.',
    operationId: 'pauseObligation',
  })
  @ApiJsonBody(PauseObligation)
  @ApiJsonResponse(200, ObligationView, 'The clock')
  @ApiProblems(400, 404, 409, 503)
  async pause(@Param('obligationId', new ParseUUIDPipe()) obligationId: string, @Body(new ZodPipe(PauseObligation)) body: PauseObligation, @Caller() caller: Principal) {
    return this.act(obligationId, caller, (manager, row, now) => this.engine.pause(manager, row, caller, body.reason, now));
  }

  @Post('obligations/:obligationId/resume')
  @Permit('obligations.decide')
  @HttpCode(200)
  @ApiOperation({ summary: 'Start a paused clock again', operationId: 'resumeObligation' })
  @ApiJsonBody(ObligationReason)
  @ApiJsonResponse(200, ObligationView, 'The clock')
  @ApiProblems(400, 404, 409, 503)
  async resume(@Param('obligationId', new ParseUUIDPipe()) obligationId: string, @Body(new ZodPipe(ObligationReason)) body: ObligationReason, @Caller() caller: Principal) {
    return this.act(obligationId, caller, (manager, row, now) => this.engine.resume(manager, row, caller, body.reason, now));
  }

  @Post('obligations/:obligationId/waive')
  @Permit('obligations.decide')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Decide the notice is not owed, with the reason (e.g. GDPR art. 33(1): unlikely to result in a risk; art. 34(3) exemptions)',
    operationId: 'waiveObligation',
  })
  @ApiJsonBody(ObligationReason)
  @ApiJsonResponse(200, ObligationView, 'The clock')
  @ApiProblems(400, 404, 409, 503)
  async waive(@Param('obligationId', new ParseUUIDPipe()) obligationId: string, @Body(new ZodPipe(ObligationReason)) body: ObligationReason, @Caller() caller: Principal) {
    return this.act(obligationId, caller, (manager, row, now) => this.engine.waive(manager, row, caller, body.reason, now));
  }

  private async act(obligationId: string, caller: Principal, change: (manager: EntityManager, row: ObligationRow, now: Date) => Promise<ObligationRow>) {
    const now = this.clock.now();
    const view = await this.dataSource.transaction(async (manager) => {
      const row = await this.engine.lock(manager, obligationId);
      await assertIncidentVisible(manager, 'comms', row.incident_id, caller, `Obligation ${obligationId}`);
      const changed = await change(manager, row, now);
      return (await this.views(manager, [changed]))[0];
    });
    this.poller.wake();
    return view;
  }

  private async views(manager: Pick<EntityManager, 'query'>, rows: ObligationRow[]): Promise<ObligationView[]> {
    if (rows.length === 0) return [];
    const decisions: DecisionRow[] = await manager.query(`SELECT * FROM comms.decisions WHERE id = ANY($1)`, [[...new Set(rows.map((r) => r.decision_id))]]);
    const incidents: Array<{ incident_id: string; snapshot: IncidentSnapshot }> = await manager.query(`SELECT incident_id, snapshot FROM comms.incidents WHERE incident_id = ANY($1)`, [
      [...new Set(rows.map((r) => r.incident_id))],
    ]);
    const now = this.clock.now();
    return rows.map((r) =>
      this.engine.view(
        r,
        decisions.find((d) => d.id === r.decision_id)!,
        incidents.find((i) => i.incident_id === r.incident_id)?.snapshot ?? null,
        now,
      ),
    );
  }
}
