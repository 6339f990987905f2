import { Body, Controller, Inject, Param, ParseUUIDPipe, Post } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { DraftMessage, MessageView, type AudienceKey, type IncidentSnapshot, type MessagePurpose } from '@vigil/contracts';
import { ApiJsonBody, ApiJsonResponse, ApiProblems, assertIncidentVisible, Caller, Permit, Problem, ZodPipe, type Principal } from '@vigil/platform';
import { DataSource, type EntityManager } from 'typeorm';
import { z } from 'zod';
import { requireSnapshot } from '../../incidents/incident-snapshots';
import { ObligationEngine, type DecisionRow, type ObligationRow } from '../../obligations/obligation-engine';
import { OBLIGATION_RULES } from '../../obligations/rules';
import { TemplateError } from '../../templates/template-engine';
import { assertTemplateUsable, effectiveTemplate } from '../../templates/template-store';
import { CLOCK, type Clock } from '../../timers/clock';
import { inTransaction } from '../../persistence/transaction';
import { MessageLedger, messageViews } from '../message-ledger';

const DraftNotice = z
  .strictObject({
    note: z.string().trim().max(10_000).optional().describe('message.note: what the checklist could not fill, in the drafter\'s words'),
  })
  .meta({ id: 'DraftNotice', examples: [{ note: 'Likely consequences: phishing attempts against the customers concerned.' }] });

/**
 * Drafting a message: rendered at once from the audience's template (or a one-off one, checked
 * the same way) over the incident's newest snapshot, for every channel of the audience. Inside
 * audiences without approval get it at once; others wait for an approver.
 */
@ApiTags('messages')
@Controller('v1')
export class DraftMessageController {
  constructor(
    private readonly dataSource: DataSource,
    private readonly ledger: MessageLedger,
    private readonly obligations: ObligationEngine,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  @Post('incidents/:incidentId/messages')
  @Permit('messages.draft')
  @ApiOperation({
    summary: 'Draft a message to an audience (sent at once to inside audiences that need no approval)',
    description:
      'Outside audiences (customers, regulators, law enforcement, media, partners) and audiences configured so need an approval (legal or IR manager; legal alone for a restricted incident). ' +
      'The text is kept exactly as rendered, with its SHA-256.',
    operationId: 'draftMessage',
  })
  @ApiJsonBody(DraftMessage)
  @ApiJsonResponse(201, MessageView, 'The message: awaiting approval, or sending')
  @ApiProblems(400, 404, 503)
  async draft(@Param('incidentId', new ParseUUIDPipe()) incidentId: string, @Body(new ZodPipe(DraftMessage)) body: DraftMessage, @Caller() caller: Principal) {
    if (body.subject !== undefined || body.body !== undefined) assertTemplateUsable(body);
    return this.run(incidentId, caller, async (manager, incident) => {
      const obligation = body.obligationId ? await this.obligationFacts(manager, body.obligationId, incident) : null;
      const saved = await effectiveTemplate(manager, body.audience, body.purpose);
      const template = body.subject !== undefined || body.body !== undefined ? { subject: body.subject ?? saved.subject, body: body.body ?? saved.body } : null;
      return { audience: body.audience, purpose: body.purpose, note: body.note ?? null, template, obligation };
    });
  }

  @Post('obligations/:obligationId/notice')
  @Permit('messages.draft')
  @ApiOperation({
    summary: 'Draft the notice a regulatory clock asks for, from the audience\'s template, its checklist filled from the incident',
    description: 'To regulators with the regulator_notice template; to people (data subjects, residents, individuals) with the customers\' initial notice. Always needs approval.',
    operationId: 'draftObligationNotice',
  })
  @ApiJsonBody(DraftNotice)
  @ApiJsonResponse(201, MessageView, 'The draft, awaiting approval; checklistMissing lists what a person must still complete')
  @ApiProblems(400, 404, 503)
  async notice(@Param('obligationId', new ParseUUIDPipe()) obligationId: string, @Body(new ZodPipe(DraftNotice)) body: z.infer<typeof DraftNotice>, @Caller() caller: Principal) {
    const [row]: ObligationRow[] = await this.dataSource.query(`SELECT * FROM comms.obligations WHERE id = $1`, [obligationId]);
    if (!row) throw Problem.notFound(`Obligation ${obligationId}`);
    const rule = OBLIGATION_RULES[row.rule];
    const purpose: MessagePurpose = rule.audience === 'regulators' ? 'regulator_notice' : 'initial_notice';
    return this.run(row.incident_id, caller, async (manager, incident) => ({
      audience: rule.audience,
      purpose,
      note: body.note ?? null,
      template: null,
      obligation: await this.obligationFacts(manager, obligationId, incident),
    }));
  }

  private async run(
    incidentId: string,
    caller: Principal,
    prepare: (
      manager: EntityManager,
      incident: IncidentSnapshot,
    ) => Promise<{ audience: AudienceKey; purpose: MessagePurpose; note: string | null; template: { subject: string; body: string } | null; obligation: Awaited<ReturnType<DraftMessageController['obligationFacts']>> | null }>,
  ) {
    const now = this.clock.now();
    try {
      return await inTransaction(this.dataSource, async (manager, afterCommit) => {
        await assertIncidentVisible(manager, 'comms', incidentId, caller);
        const incident = await requireSnapshot(manager, incidentId);
        const input = await prepare(manager, incident);
        const row = await this.ledger.draft(manager, { ...input, incident, draftedBy: caller.subject, automatic: false, now, afterCommit });
        return (await messageViews(manager, [row!]))[0];
      });
    } catch (error) {
      // A template that passed its check but fails to render (a limit) is the template's fault: 400.
      if (error instanceof TemplateError) throw Problem.unprocessable([{ pointer: '/body', detail: error.message }], 'The template could not be rendered.');
      throw error;
    }
  }

  private async obligationFacts(manager: EntityManager, obligationId: string, incident: IncidentSnapshot) {
    const [row]: ObligationRow[] = await manager.query(`SELECT * FROM comms.obligations WHERE id = $1 AND incident_id = $2`, [obligationId, incident.incidentId]);
    if (!row) throw Problem.unprocessable([{ pointer: '/obligationId', detail: 'is not a regulatory clock of this incident' }]);
    const [decision]: DecisionRow[] = await manager.query(`SELECT * FROM comms.decisions WHERE id = $1`, [row.decision_id]);
    return { id: row.id, facts: this.obligations.facts(row, decision, incident) };
  }
}
