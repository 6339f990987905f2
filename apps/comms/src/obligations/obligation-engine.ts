import { Inject, Injectable } from '@nestjs/common';
import {
  DecisionRecordedV1,
  ObligationChangedV1,
  ObligationOpenedV1,
  ObligationSubmittedV1,
  type DecisionKind,
  type DecisionView,
  type IncidentSnapshot,
  type ObligationSnapshot,
  type ObligationStatus,
  type ObligationView,
} from '@vigil/contracts';
import { CONFIG, Problem, type Principal } from '@vigil/platform';
import { randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { reminderLeadsMs, type CommsConfig } from '../config';
import type { ObligationFacts, Organisation } from '../templates/template-view';
import { emit } from '../persistence/emit';
import { nextCheck, remindersAlreadyDue } from './reminders';
import { OBLIGATION_RULES, type DeadlineContext, type ObligationRule, type RuleFacts, type StageRule } from './rules';

type Query = Pick<EntityManager, 'query'>;

export interface DecisionRow {
  id: string;
  incident_id: string;
  kind: DecisionKind;
  effective_at: Date;
  aware_at: Date;
  reason: string;
  jurisdictions: string[];
  affected_individuals: number | null;
  decided_by: string;
  decided_by_name: string | null;
  implied: boolean;
  recorded_at: Date;
  obligations_started: string[];
}

export interface ObligationRow {
  id: string;
  incident_id: string;
  rule: string;
  stage: string;
  decision_id: string;
  status: ObligationStatus;
  started_at: Date;
  aware_at: Date;
  affected_individuals: number | null;
  base_deadline: Date | null;
  deadline: Date | null;
  deadline_kind: 'statutory' | 'target' | 'none';
  deadline_basis: string;
  paused_at: Date | null;
  paused_seconds: number;
  reminders_sent: number;
  missed_at: Date | null;
  submitted_at: Date | null;
  submitted_by: string | null;
  reference: string | null;
  message_id: string | null;
  late_reason: string | null;
  waived_reason: string | null;
  next_check_at: Date | null;
}

/** Statuses in which a clock still runs or waits; the others are final. */
const LIVE: ReadonlySet<ObligationStatus> = new Set(['pending', 'open', 'paused', 'late']);

export interface NewDecision {
  kind: DecisionKind;
  effectiveAt: Date;
  awareAt: Date;
  reason: string;
  jurisdictions: string[];
  affectedIndividuals: number | null;
  decidedBy: string;
  decidedByName: string | null;
  implied: boolean;
}

/**
 * Regulatory clocks. A decision (a person's, or one the classification implies) is written to the
 * append-only decision log and starts a clock per stage of every enabled rule it triggers. A later
 * decision of the same kind that took effect earlier moves those clocks earlier (never later).
 * Submitting a stage starts the stages counted from it; pauses stop a clock where the law allows.
 */
@Injectable()
export class ObligationEngine {
  constructor(@Inject(CONFIG) private readonly config: CommsConfig) {}

  get rules(): ObligationRule[] {
    return this.config.COMMS_OBLIGATION_RULES.map((id) => OBLIGATION_RULES[id]);
  }

  get organisation(): Organisation {
    return { name: this.config.COMMS_ORGANISATION_NAME, contact: this.config.COMMS_ORGANISATION_CONTACT, dpoContact: this.config.COMMS_DPO_CONTACT ?? null };
  }

  private get leads(): number[] {
    return reminderLeadsMs(this.config);
  }

  /** Enabled rules this decision starts. */
  rulesFor(decision: { kind: DecisionKind; jurisdictions: string[] }): ObligationRule[] {
    return this.rules.filter((r) => r.trigger === decision.kind && (!r.appliesTo || r.appliesTo(decision)));
  }

  async recordDecision(manager: EntityManager, incident: IncidentSnapshot, d: NewDecision, now: Date): Promise<DecisionRow> {
    const rules = this.rulesFor(d);
    const [decision]: DecisionRow[] = await manager.query(
      `INSERT INTO comms.decisions (id, incident_id, kind, effective_at, aware_at, reason, jurisdictions, affected_individuals, decided_by, decided_by_name, implied, recorded_at, obligations_started)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING *`,
      [randomUUID(), incident.incidentId, d.kind, d.effectiveAt, d.awareAt, d.reason, d.jurisdictions, d.affectedIndividuals, d.decidedBy, d.decidedByName, d.implied, now, rules.map((r) => r.id)],
    );
    await emit(
      manager,
      DecisionRecordedV1,
      incident.incidentId,
      {
        decisionId: decision.id,
        incidentId: incident.incidentId,
        kind: d.kind,
        effectiveAt: d.effectiveAt.toISOString(),
        awareAt: d.awareAt.toISOString(),
        decidedBy: d.decidedBy,
        reason: d.reason,
        implied: d.implied,
        recordedAt: now.toISOString(),
      },
      now,
    );
    for (const rule of rules) await this.start(manager, rule, decision, now);
    return decision;
  }

  private context(rule: ObligationRule, o: { started_at: Date; aware_at: Date; affected_individuals: number | null }, siblings: ObligationRow[]): DeadlineContext {
    const submitted: Record<string, Date | undefined> = {};
    for (const s of siblings) if (s.rule === rule.id && s.submitted_at) submitted[s.stage] = s.submitted_at;
    return { effectiveAt: o.started_at, awareAt: o.aware_at, affectedIndividuals: o.affected_individuals, submitted, undueDelayTargetHours: this.config.COMMS_UNDUE_DELAY_TARGET_HOURS };
  }

  private async start(manager: EntityManager, rule: ObligationRule, decision: DecisionRow, now: Date): Promise<void> {
    const existing: ObligationRow[] = await manager.query(`SELECT * FROM comms.obligations WHERE incident_id = $1 AND rule = $2 FOR UPDATE`, [decision.incident_id, rule.id]);
    const earliest = existing.reduce<Date | null>((min, o) => (!min || o.started_at < min ? o.started_at : min), null);
    // The earliest recorded trigger counts: a later decision may move clocks earlier, never later.
    const basis = earliest && earliest <= decision.effective_at ? null : decision;
    const base = basis
      ? { started_at: decision.effective_at, aware_at: decision.aware_at, affected_individuals: decision.affected_individuals }
      : { started_at: existing[0].started_at, aware_at: existing[0].aware_at, affected_individuals: decision.affected_individuals ?? existing[0].affected_individuals };
    const ctx = this.context(rule, base, existing);
    for (const stage of rule.stages) {
      if (stage.appliesWhen && !stage.appliesWhen(ctx)) continue;
      const row = existing.find((o) => o.stage === stage.stage);
      const deadline = stage.deadline(ctx);
      if (!row) {
        const deadlineAt = deadline.at;
        const status: ObligationStatus = deadlineAt || deadline.kind === 'none' ? 'open' : 'pending';
        const reminders = remindersAlreadyDue(deadlineAt, now, this.leads);
        const [created]: ObligationRow[] = await manager.query(
          `INSERT INTO comms.obligations (id, incident_id, rule, stage, decision_id, status, started_at, aware_at, affected_individuals, base_deadline, deadline,
             deadline_kind, deadline_basis, reminders_sent, next_check_at, created_at, updated_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10, $11, $12, $13, $14, $15, $15) RETURNING *`,
          [
            randomUUID(),
            decision.incident_id,
            rule.id,
            stage.stage,
            decision.id,
            status,
            base.started_at,
            base.aware_at,
            base.affected_individuals,
            deadlineAt,
            deadline.kind,
            deadline.basis,
            reminders,
            status === 'open' ? nextCheck(deadlineAt, reminders, this.leads) : null,
            now,
          ],
        );
        await this.history(manager, created.id, now, decision.decided_by, 'opened', decision.reason, { decisionId: decision.id, deadline: deadlineAt?.toISOString() ?? null });
        await emit(manager, ObligationOpenedV1, decision.incident_id, { obligation: this.snapshot(created), decisionId: decision.id }, now);
      } else if (basis && LIVE.has(row.status)) {
        const moved = await this.retime(manager, stage, row, { ...base, decision_id: decision.id }, ctx, now);
        await this.history(manager, row.id, now, decision.decided_by, 'moved_earlier', decision.reason, { decisionId: decision.id, deadline: moved.deadline?.toISOString() ?? null });
        await emit(manager, ObligationChangedV1, decision.incident_id, { obligation: this.snapshot(moved), change: 'moved_earlier', actor: decision.decided_by, reason: decision.reason, at: now.toISOString() }, now);
      }
    }
  }

  /** Recomputes a live clock's deadline from its trigger, pauses and the stages it waits for. */
  private async retime(
    manager: EntityManager,
    stage: StageRule,
    row: ObligationRow,
    base: { started_at: Date; aware_at: Date; affected_individuals: number | null; decision_id: string },
    ctx: DeadlineContext,
    now: Date,
  ): Promise<ObligationRow> {
    const deadline = stage.deadline(ctx);
    const baseAt = deadline.at;
    const at = baseAt ? new Date(baseAt.getTime() + row.paused_seconds * 1000) : null;
    let status: ObligationStatus = 'open';
    if (row.status === 'paused') status = 'paused';
    else if (!at && deadline.kind !== 'none') status = 'pending';
    else if (row.status === 'late' && at && at <= now) status = 'late';
    const reminders = Math.max(row.reminders_sent, remindersAlreadyDue(at, now, this.leads));
    const [updated]: ObligationRow[] = await manager.query(
      `WITH changed AS (UPDATE comms.obligations SET decision_id = $2, started_at = $3, aware_at = $4, affected_individuals = $5, base_deadline = $6, deadline = $7,
         deadline_kind = $8, deadline_basis = $9, status = $10, reminders_sent = $11, next_check_at = $12, updated_at = $13 WHERE id = $1 RETURNING *) SELECT * FROM changed`,
      [
        row.id,
        base.decision_id,
        base.started_at,
        base.aware_at,
        base.affected_individuals,
        baseAt,
        at,
        deadline.kind,
        deadline.basis,
        status,
        reminders,
        status === 'open' ? nextCheck(at, reminders, this.leads) : null,
        now,
      ],
    );
    return updated;
  }

  async lock(manager: EntityManager, obligationId: string): Promise<ObligationRow> {
    const [row]: ObligationRow[] = await manager.query(`SELECT * FROM comms.obligations WHERE id = $1 FOR UPDATE`, [obligationId]);
    if (!row) throw Problem.notFound(`Obligation ${obligationId}`);
    return row;
  }

  async submit(
    manager: EntityManager,
    row: ObligationRow,
    caller: Principal,
    body: { submittedAt?: string; reference?: string; messageId?: string; lateReason?: string },
    now: Date,
  ): Promise<ObligationRow> {
    if (!LIVE.has(row.status)) throw new Problem(409, 'Conflict', `The obligation is ${row.status.replace('_', ' ')}.`);
    const submittedAt = body.submittedAt ? new Date(body.submittedAt) : now;
    if (submittedAt.getTime() > now.getTime() + 60_000) throw Problem.unprocessable([{ pointer: '/submittedAt', detail: 'may not be in the future' }]);
    if (submittedAt < row.started_at) throw Problem.unprocessable([{ pointer: '/submittedAt', detail: 'is before the obligation started' }]);
    const late = row.deadline !== null && row.deadline_kind === 'statutory' && submittedAt > row.deadline;
    if (late && !body.lateReason) {
      throw Problem.unprocessable([{ pointer: '/lateReason', detail: `the deadline was ${row.deadline!.toISOString()}: a late submission states the reasons for the delay` }]);
    }
    const [updated]: ObligationRow[] = await manager.query(
      `WITH changed AS (UPDATE comms.obligations SET status = $2, submitted_at = $3, submitted_by = $4, reference = $5, message_id = $6, late_reason = $7, next_check_at = NULL,
         paused_at = NULL, updated_at = $8 WHERE id = $1 RETURNING *) SELECT * FROM changed`,
      [row.id, late ? 'submitted_late' : 'submitted', submittedAt, caller.subject, body.reference ?? null, body.messageId ?? null, late ? body.lateReason : null, now],
    );
    await this.history(manager, row.id, now, caller.subject, late ? 'submitted_late' : 'submitted', body.lateReason ?? null, { reference: body.reference ?? null, messageId: body.messageId ?? null });
    await emit(
      manager,
      ObligationSubmittedV1,
      row.incident_id,
      { obligation: this.snapshot(updated), submittedAt: submittedAt.toISOString(), submittedBy: caller.subject, reference: body.reference ?? null, lateReason: late ? (body.lateReason ?? null) : null },
      now,
    );
    await this.startDependents(manager, updated, caller.subject, now);
    return updated;
  }

  /** Stages counted from the one just submitted get their deadlines. */
  private async startDependents(manager: EntityManager, submitted: ObligationRow, actor: string, now: Date): Promise<void> {
    const rule = OBLIGATION_RULES[submitted.rule];
    const siblings: ObligationRow[] = await manager.query(`SELECT * FROM comms.obligations WHERE incident_id = $1 AND rule = $2 FOR UPDATE`, [submitted.incident_id, submitted.rule]);
    const ctx = this.context(rule, submitted, siblings);
    for (const row of siblings.filter((s) => s.status === 'pending')) {
      const stage = rule.stages.find((s) => s.stage === row.stage);
      if (!stage || !stage.deadline(ctx).at) continue;
      const updated = await this.retime(manager, stage, row, { started_at: row.started_at, aware_at: row.aware_at, affected_individuals: row.affected_individuals, decision_id: row.decision_id }, ctx, now);
      const reason = `${submitted.stage.replace(/_/g, ' ')} submitted`;
      await this.history(manager, row.id, now, actor, 'deadline_set', reason, { deadline: updated.deadline?.toISOString() ?? null });
      await emit(manager, ObligationChangedV1, row.incident_id, { obligation: this.snapshot(updated), change: 'deadline_set', actor, reason, at: now.toISOString() }, now);
    }
  }

  async pause(manager: EntityManager, row: ObligationRow, caller: Principal, reason: string, now: Date): Promise<ObligationRow> {
    const rule = OBLIGATION_RULES[row.rule];
    if (!rule.pause) throw new Problem(409, 'Conflict', `${rule.regulation} (${rule.citation}) allows no pause of this deadline.`);
    if (row.status !== 'open' && row.status !== 'late') throw new Problem(409, 'Conflict', `The obligation is ${row.status.replace('_', ' ')}; only a running clock can be paused.`);
    const [updated]: ObligationRow[] = await manager.query(
      `WITH changed AS (UPDATE comms.obligations SET status = 'paused', paused_at = $2, next_check_at = NULL, updated_at = $2 WHERE id = $1 RETURNING *) SELECT * FROM changed`,
      [row.id, now],
    );
    await this.history(manager, row.id, now, caller.subject, 'paused', reason, { basis: rule.pause });
    await emit(manager, ObligationChangedV1, row.incident_id, { obligation: this.snapshot(updated), change: 'paused', actor: caller.subject, reason, at: now.toISOString() }, now);
    return updated;
  }

  async resume(manager: EntityManager, row: ObligationRow, caller: Principal, reason: string, now: Date): Promise<ObligationRow> {
    if (row.status !== 'paused' || !row.paused_at) throw new Problem(409, 'Conflict', 'The obligation is not paused.');
    const pausedSeconds = row.paused_seconds + Math.max(0, Math.round((now.getTime() - row.paused_at.getTime()) / 1000));
    const deadline = row.base_deadline ? new Date(row.base_deadline.getTime() + pausedSeconds * 1000) : null;
    const reminders = Math.max(row.reminders_sent, remindersAlreadyDue(deadline, now, this.leads));
    const [updated]: ObligationRow[] = await manager.query(
      `WITH changed AS (UPDATE comms.obligations SET status = 'open', paused_at = NULL, paused_seconds = $2, deadline = $3, reminders_sent = $4, next_check_at = $5, updated_at = $6
        WHERE id = $1 RETURNING *) SELECT * FROM changed`,
      [row.id, pausedSeconds, deadline, reminders, nextCheck(deadline, reminders, this.leads) ?? null, now],
    );
    await this.history(manager, row.id, now, caller.subject, 'resumed', reason, { pausedSeconds, deadline: deadline?.toISOString() ?? null });
    await emit(manager, ObligationChangedV1, row.incident_id, { obligation: this.snapshot(updated), change: 'resumed', actor: caller.subject, reason, at: now.toISOString() }, now);
    return updated;
  }

  async waive(manager: EntityManager, row: ObligationRow, caller: Principal, reason: string, now: Date): Promise<ObligationRow> {
    if (!LIVE.has(row.status)) throw new Problem(409, 'Conflict', `The obligation is ${row.status.replace('_', ' ')}.`);
    const [updated]: ObligationRow[] = await manager.query(
      `WITH changed AS (UPDATE comms.obligations SET status = 'waived', waived_reason = $2, next_check_at = NULL, paused_at = NULL, updated_at = $3 WHERE id = $1 RETURNING *) SELECT * FROM changed`,
      [row.id, reason, now],
    );
    await this.history(manager, row.id, now, caller.subject, 'waived', reason, null);
    await emit(manager, ObligationChangedV1, row.incident_id, { obligation: this.snapshot(updated), change: 'waived', actor: caller.subject, reason, at: now.toISOString() }, now);
    return updated;
  }

  async history(manager: Query, obligationId: string, at: Date, actor: string, action: string, reason: string | null, details: Record<string, unknown> | null): Promise<void> {
    await manager.query(`INSERT INTO comms.obligation_history (obligation_id, at, actor, action, reason, details) VALUES ($1, $2, $3, $4, $5, $6)`, [obligationId, at, actor, action, reason, details]);
  }

  snapshot(row: ObligationRow): ObligationSnapshot {
    const rule = OBLIGATION_RULES[row.rule];
    const stage = rule.stages.find((s) => s.stage === row.stage)!;
    return {
      obligationId: row.id,
      incidentId: row.incident_id,
      rule: row.rule,
      stage: row.stage,
      regulation: rule.regulation,
      title: `${rule.regulation}: ${stage.title}`,
      citation: rule.citation,
      audience: rule.audience,
      status: row.status,
      startedAt: row.started_at.toISOString(),
      deadline: row.deadline?.toISOString() ?? null,
      deadlineKind: row.deadline_kind,
    };
  }

  /** The checklist filled from the incident and the decision, and the facts templates see. */
  facts(row: ObligationRow, decision: DecisionRow, incident: IncidentSnapshot): ObligationFacts {
    const rule = OBLIGATION_RULES[row.rule];
    const stage = rule.stages.find((s) => s.stage === row.stage)!;
    const ruleFacts: RuleFacts = {
      incident,
      decision: { effectiveAt: row.started_at, awareAt: row.aware_at, jurisdictions: decision.jurisdictions, affectedIndividuals: row.affected_individuals },
      organisation: this.organisation,
    };
    return {
      regulation: rule.regulation,
      title: stage.title,
      stage: row.stage,
      citation: rule.citation,
      recipient: rule.recipient,
      startedAt: row.started_at.toISOString(),
      deadline: row.deadline?.toISOString() ?? null,
      checklist: stage.checklist.map((c) => ({ key: c.key, label: c.label, required: c.required, value: c.fill?.(ruleFacts) ?? null })),
    };
  }

  view(row: ObligationRow, decision: DecisionRow, incident: IncidentSnapshot | null, now: Date): ObligationView {
    const rule = OBLIGATION_RULES[row.rule];
    const stage = rule.stages.find((s) => s.stage === row.stage)!;
    const facts = incident ? this.facts(row, decision, incident) : null;
    const pausedSoFar = row.paused_seconds + (row.paused_at ? Math.round((now.getTime() - row.paused_at.getTime()) / 1000) : 0);
    const effectiveDeadline = row.deadline && row.paused_at ? new Date(row.deadline.getTime() + (pausedSoFar - row.paused_seconds) * 1000) : row.deadline;
    return {
      obligationId: row.id,
      incidentId: row.incident_id,
      rule: row.rule,
      stage: row.stage,
      regulation: rule.regulation,
      title: stage.title,
      citation: rule.citation,
      sourceUrl: rule.sourceUrl,
      audience: rule.audience,
      recipient: rule.recipient,
      status: row.status,
      startedAt: row.started_at.toISOString(),
      deadline: effectiveDeadline?.toISOString() ?? null,
      deadlineKind: row.deadline_kind,
      deadlineBasis: row.deadline_basis,
      timeLeftSeconds: effectiveDeadline && !['submitted', 'submitted_late', 'waived'].includes(row.status) ? Math.round((effectiveDeadline.getTime() - now.getTime()) / 1000) : null,
      pausedAt: row.paused_at?.toISOString() ?? null,
      pausedSeconds: pausedSoFar,
      pauseAllowed: rule.pause,
      submittedAt: row.submitted_at?.toISOString() ?? null,
      submittedBy: row.submitted_by,
      reference: row.reference,
      lateReason: row.late_reason,
      waivedReason: row.waived_reason,
      decisionId: row.decision_id,
      checklist: facts?.checklist ?? stage.checklist.map((c) => ({ key: c.key, label: c.label, required: c.required, value: null })),
    };
  }
}

export function decisionView(row: DecisionRow): DecisionView {
  return {
    decisionId: row.id,
    incidentId: row.incident_id,
    kind: row.kind,
    effectiveAt: row.effective_at.toISOString(),
    awareAt: row.aware_at.toISOString(),
    reason: row.reason,
    jurisdictions: row.jurisdictions,
    affectedIndividuals: row.affected_individuals,
    decidedBy: row.decided_by,
    decidedByName: row.decided_by_name,
    implied: row.implied,
    recordedAt: row.recorded_at.toISOString(),
    obligationsStarted: row.obligations_started,
  };
}
