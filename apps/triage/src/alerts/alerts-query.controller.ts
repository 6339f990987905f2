import { Controller, Get, Param, ParseUUIDPipe, Query } from '@nestjs/common';
import { ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { AlertDisposition, TriageAlertPage, TriageAlertView } from '@vigil/contracts';
import { ApiJsonResponse, ApiProblems, Caller, canSeeIncident, decodeCursor, pageOf, Permit, type Principal, Problem, visibilityCondition, ZodPipe } from '@vigil/platform';
import { DataSource } from 'typeorm';
import { z } from 'zod';
import { requireIncident } from '../incidents/incident-writes';
import { readAlert, toAlertView, type AlertRow } from './alert-rows';

const AlertsQuery = z.strictObject({
  disposition: AlertDisposition.optional(),
  incidentId: z.uuid().optional(),
  suppressionRuleId: z.uuid().optional(),
  dedupKey: z.string().min(1).max(255).optional(),
  exercise: z.enum(['false', 'true', 'any']).default('any'),
  limit: z.coerce.number().int().min(1).max(500).default(50),
  cursor: z.string().max(400).optional(),
});
type AlertsQuery = z.infer<typeof AlertsQuery>;

@ApiTags('alerts')
@Controller('v1')
export class AlertsQueryController {
  constructor(private readonly dataSource: DataSource) {}

  @Get('alerts')
  @Permit('alerts.read')
  @ApiOperation({
    summary: 'Alerts as triage placed them, newest first',
    description: 'disposition=pending lists the alerts below the severity threshold waiting for promotion; suppressed, those a rule held back.',
    operationId: 'listTriageAlerts',
  })
  @ApiQuery({ name: 'disposition', required: false, enum: AlertDisposition.options })
  @ApiQuery({ name: 'incidentId', required: false, type: String })
  @ApiQuery({ name: 'suppressionRuleId', required: false, type: String })
  @ApiQuery({ name: 'dedupKey', required: false, type: String })
  @ApiQuery({ name: 'exercise', required: false, enum: ['false', 'true', 'any'] })
  @ApiQuery({ name: 'limit', required: false, schema: { type: 'integer', minimum: 1, maximum: 500, default: 50 } })
  @ApiQuery({ name: 'cursor', required: false, type: String })
  @ApiJsonResponse(200, TriageAlertPage, 'A page of alerts')
  @ApiProblems(400, 503)
  list(@Query(new ZodPipe(AlertsQuery, 'query')) query: z.infer<typeof AlertsQuery>, @Caller() caller: Principal) {
    return this.page(query, caller);
  }

  @Get('incidents/:incidentId/alerts')
  @Permit('alerts.read')
  @ApiOperation({ summary: 'The alerts of an incident, newest first', operationId: 'listIncidentAlerts' })
  @ApiQuery({ name: 'limit', required: false, schema: { type: 'integer', minimum: 1, maximum: 500, default: 50 } })
  @ApiQuery({ name: 'cursor', required: false, type: String })
  @ApiJsonResponse(200, TriageAlertPage, 'A page of the incident\'s alerts')
  @ApiProblems(400, 404, 503)
  async ofIncident(
    @Param('incidentId', new ParseUUIDPipe()) incidentId: string,
    @Query(new ZodPipe(AlertsQuery.pick({ limit: true, cursor: true }), 'query')) query: Pick<AlertsQuery, 'limit' | 'cursor'>,
    @Caller() caller: Principal,
  ) {
    await requireIncident(this.dataSource, incidentId, caller);
    return this.page({ ...query, incidentId, exercise: 'any' }, caller);
  }

  @Get('alerts/:alertId')
  @Permit('alerts.read')
  @ApiOperation({ summary: 'One alert: where triage placed it and why', operationId: 'getTriageAlert' })
  @ApiJsonResponse(200, TriageAlertView, 'The alert')
  @ApiProblems(400, 404, 503)
  async get(@Param('alertId', new ParseUUIDPipe()) alertId: string, @Caller() caller: Principal) {
    const row = await readAlert(this.dataSource, alertId);
    if (!row) throw Problem.notFound(`Alert ${alertId}`);
    if (row.incident_id) {
      const [incident] = (await this.dataSource.query(`SELECT restricted, owner, responders FROM triage.incidents WHERE id = $1`, [row.incident_id])) as Array<{ restricted: boolean; owner: string | null; responders: string[] }>;
      if (!canSeeIncident(caller, incident)) throw Problem.notFound(`Alert ${alertId}`);
    }
    return toAlertView(row);
  }

  private async page(query: AlertsQuery, caller: Principal) {
    const where: string[] = [];
    const params: unknown[] = [];
    const p = (v: unknown) => `$${params.push(v)}`;
    // Alerts of restricted incidents the caller may not see are left out.
    const visible = visibilityCondition(caller, { restricted: 'i.restricted', owner: 'i.owner', responders: 'i.responders' }, params);
    if (visible !== 'TRUE') where.push(`(incident_id IS NULL OR EXISTS (SELECT 1 FROM triage.incidents i WHERE i.id = incident_id AND ${visible}))`);
    if (query.disposition) where.push(`disposition = ${p(query.disposition)}`);
    if (query.incidentId) where.push(`incident_id = ${p(query.incidentId)}`);
    if (query.suppressionRuleId) where.push(`suppression_rule_id = ${p(query.suppressionRuleId)}`);
    if (query.dedupKey) where.push(`dedup_key = ${p(query.dedupKey)}`);
    if (query.exercise !== 'any') where.push(`exercise = ${p(query.exercise === 'true')}`);
    if (query.cursor) {
      const c = decodeCursor(query.cursor, 'alerts');
      where.push(`(received_at, alert_id) < (${p(c.value)}::timestamptz, ${p(c.id)}::uuid)`);
    }
    const rows: AlertRow[] = await this.dataSource.query(
      `SELECT * FROM triage.alerts ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY received_at DESC, alert_id DESC LIMIT ${p(query.limit + 1)}`,
      params,
    );
    const { page, nextCursor } = pageOf(rows, query.limit, (last) => ({ sort: 'alerts', value: last.received_at.toISOString(), id: last.alert_id }));
    return { items: page.map(toAlertView), nextCursor };
  }
}
