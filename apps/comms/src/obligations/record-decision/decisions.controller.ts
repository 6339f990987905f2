import { Body, Controller, Get, Inject, Param, ParseUUIDPipe, Post } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { DecisionList, DecisionView, RecordDecision } from '@vigil/contracts';
import { ApiJsonBody, ApiJsonResponse, ApiProblems, assertIncidentVisible, Caller, Permit, Problem, ZodPipe, type FieldError, type Principal } from '@vigil/platform';
import { DataSource } from 'typeorm';
import { requireSnapshot } from '../../incidents/incident-snapshots';
import { CLOCK, type Clock } from '../../timers/clock';
import { decisionView, ObligationEngine, type DecisionRow } from '../obligation-engine';

/** Clock skew allowed between a person's "now" and the service's. */
const SKEW_MS = 60_000;

/**
 * The decision log: who decided what about an incident's legal duties, when it took effect and
 * why. Append-only (the table refuses updates and deletes). Each decision starts the regulatory
 * clocks it triggers.
 */
@ApiTags('regulatory clocks')
@Controller('v1/incidents')
export class DecisionsController {
  constructor(
    private readonly dataSource: DataSource,
    private readonly engine: ObligationEngine,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  @Post(':incidentId/decisions')
  @Permit('obligations.decide')
  @ApiOperation({
    summary: 'Record a decision that starts regulatory clocks (aware of a personal-data breach, classified major, determined material …)',
    description:
      'effectiveAt is when the decision took effect — the awareness, classification, determination or discovery time — and may be earlier than now, never later. ' +
      'Each enabled rule the decision triggers starts a clock per stage; a clock already running from a later trigger moves earlier. The decision is kept, unchangeable, in the decision log.',
    operationId: 'recordDecision',
  })
  @ApiJsonBody(RecordDecision)
  @ApiJsonResponse(201, DecisionView, 'The decision, with the rules whose clocks it started')
  @ApiProblems(400, 404, 503)
  async record(@Param('incidentId', new ParseUUIDPipe()) incidentId: string, @Body(new ZodPipe(RecordDecision)) body: RecordDecision, @Caller() caller: Principal) {
    const now = this.clock.now();
    const effectiveAt = new Date(body.effectiveAt);
    const awareAt = body.awareAt ? new Date(body.awareAt) : effectiveAt;
    const errors: FieldError[] = [];
    if (effectiveAt.getTime() > now.getTime() + SKEW_MS) errors.push({ pointer: '/effectiveAt', detail: 'may not be in the future' });
    if (awareAt.getTime() > effectiveAt.getTime()) errors.push({ pointer: '/awareAt', detail: 'may not be after effectiveAt: one becomes aware of an incident before deciding about it' });
    if (errors.length) throw Problem.unprocessable(errors);
    const row = await this.dataSource.transaction(async (manager) => {
      await assertIncidentVisible(manager, 'comms', incidentId, caller);
      const incident = await requireSnapshot(manager, incidentId);
      return this.engine.recordDecision(
        manager,
        incident,
        {
          kind: body.kind,
          effectiveAt,
          awareAt,
          reason: body.reason,
          jurisdictions: body.jurisdictions ?? [],
          affectedIndividuals: body.affectedIndividuals ?? null,
          decidedBy: caller.subject,
          decidedByName: caller.name ?? null,
          implied: false,
        },
        now,
      );
    });
    return decisionView(row);
  }

  @Get(':incidentId/decisions')
  @Permit('incidents.read')
  @ApiOperation({ summary: 'The decision log of an incident, oldest first', operationId: 'listDecisions' })
  @ApiJsonResponse(200, DecisionList, 'The decisions')
  @ApiProblems(400, 404, 503)
  async list(@Param('incidentId', new ParseUUIDPipe()) incidentId: string, @Caller() caller: Principal) {
    await assertIncidentVisible(this.dataSource, 'comms', incidentId, caller);
    const rows: DecisionRow[] = await this.dataSource.query(`SELECT * FROM comms.decisions WHERE incident_id = $1 ORDER BY recorded_at, id`, [incidentId]);
    return { items: rows.map(decisionView) };
  }
}
