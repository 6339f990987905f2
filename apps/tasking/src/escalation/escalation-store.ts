import { createEvent, EscalationStartedV1, EscalationStoppedV1, type EscalationRouting, type EventData } from '@vigil/contracts';
import { enqueueEvents } from '@vigil/messaging';
import { randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import type { EscalationRow } from './escalation-rows';
import { positionOfKey } from './escalation-rows';
import type { IncidentFacts } from './incident-facts';
import { choosePolicy } from './routing/choose-policy';
import type { PolicySnapshot } from './step-plan';
import type { TriggerFiring } from './triggers/trigger-registry';

/*
 * Starting and stopping escalations, in the caller's transaction, with their events. No HTTP
 * here (no @vigil/platform): consumers, the runner and tests without Nest share it.
 */

type Db = Pick<EntityManager, 'query'>;

export async function loadRouting(db: Db): Promise<(EscalationRouting & { updatedAt: Date | null; updatedBy: string | null }) | null> {
  const [row]: Array<{ rules: EscalationRouting['rules']; default_policy_id: string | null; updated_at: Date; updated_by: string }> = await db.query(
    `SELECT rules, default_policy_id, updated_at, updated_by FROM tasking.escalation_routing WHERE id = 1`,
  );
  return row ? { rules: row.rules, defaultPolicyId: row.default_policy_id, updatedAt: row.updated_at, updatedBy: row.updated_by } : null;
}

/** The version of a policy in force now (null when unknown or archived). */
export async function currentPolicy(db: Db, policyId: string): Promise<PolicySnapshot | null> {
  const [row]: Array<{ policy_id: string; version: number; name: string; steps: PolicySnapshot['steps']; repeat: PolicySnapshot['repeat'] }> = await db.query(
    `SELECT v.policy_id, v.version, v.name, v.steps, v.repeat FROM tasking.escalation_policies p
       JOIN tasking.escalation_policy_versions v ON v.policy_id = p.id AND v.version = p.current_version
      WHERE p.id = $1 AND p.archived_at IS NULL`,
    [policyId],
  );
  return row ? { policyId: row.policy_id, version: row.version, name: row.name, steps: row.steps, repeat: row.repeat } : null;
}

export interface Started {
  escalationId: string;
  policy: PolicySnapshot;
  superseded: StoppedEscalation[];
}

export type StartOutcome = { started: Started } | { skipped: string };

/**
 * Starts an escalation for an incident as a trigger fired: the policy the rules choose, the
 * version of it in force now (kept for the whole escalation), its first step due at once.
 * Idempotent per incident and firing key.
 */
export async function startEscalation(
  manager: Db,
  input: { facts: IncidentFacts; triggerKind: string; firing: TriggerFiring; now: Date },
): Promise<StartOutcome> {
  const { facts, firing, now } = input;
  if (firing.joinsRunning) {
    // Before any routing is read: a firing that joins starts nothing. Events of one incident share
    // a partition (keyed by it), so its firings are read in order; the lock waits for the runner,
    // so an escalation it has just run out is seen as over, and the firing starts a new one.
    const running: Array<{ id: string }> = await manager.query(
      `SELECT id FROM tasking.escalations WHERE incident_id = $1 AND trigger_kind = $2 AND status = 'active' FOR UPDATE`,
      [facts.incidentId, input.triggerKind],
    );
    if (running.length > 0) return { skipped: `joins the ${input.triggerKind} escalation already running (${running[0].id})` };
  }
  const choice = choosePolicy(await loadRouting(manager), facts);
  if (!choice) return { skipped: 'no escalation rule matches and there is no default policy' };
  const chosen = await currentPolicy(manager, choice.policyId);
  if (!chosen) return { skipped: `the policy ${choice.policyId} chosen by ${choice.rule} is archived or gone` };
  const policy = firing.pageFirst ? await withFirstPage(manager, chosen, firing.pageFirst) : chosen;
  let superseded: StoppedEscalation[] = [];
  if (firing.supersedes) {
    const running: Array<{ id: string; policy_id: string }> = await manager.query(
      `SELECT id, policy_id FROM tasking.escalations WHERE incident_id = $1 AND status = 'active' ORDER BY started_at FOR UPDATE`,
      [facts.incidentId],
    );
    // Already escalating with the policy this severity calls for: that one carries on.
    if (running.some((r) => r.policy_id === policy.policyId)) return { skipped: `an escalation with ${policy.name} is already running` };
    superseded = await stopEscalations(manager, { escalationIds: running.map((r) => r.id) }, { reason: 'superseded', detail: firing.reason, actor: null, at: now });
  }
  const escalationId = randomUUID();
  const inserted: Array<{ id: string }> = await manager.query(
    `INSERT INTO tasking.escalations (id, incident_id, trigger_kind, trigger_key, reason, policy_id, policy_version, policy, facts, status, next_cycle, next_index, due_at, started_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'active', 0, 0, $10, $10)
     ON CONFLICT (incident_id, trigger_key) DO NOTHING RETURNING id`,
    [escalationId, facts.incidentId, input.triggerKind, firing.key, firing.reason, policy.policyId, policy.version, JSON.stringify(policy), JSON.stringify(facts), now],
  );
  if (inserted.length === 0) return { skipped: `already started for ${firing.key}` };
  const data: EventData<typeof EscalationStartedV1> = {
    escalationId,
    incidentId: facts.incidentId,
    policyId: policy.policyId,
    policyName: policy.name,
    policyVersion: policy.version,
    trigger: { kind: input.triggerKind, reason: firing.reason },
    severity: facts.severity,
    exercise: facts.exercise,
    startedAt: now.toISOString(),
  };
  await enqueueEvents(manager as EntityManager, 'tasking', [
    { event: createEvent(EscalationStartedV1, { source: '/vigil/tasking', subject: facts.incidentId, time: now, data }), topic: EscalationStartedV1.topic, key: facts.incidentId },
  ]);
  return { started: { escalationId, policy, superseded } };
}

/**
 * The policy with a step of its own first that pages one person (by token subject or e-mail), waiting
 * as long as the policy's first step; the repeat keeps its place. The escalation keeps this copy, as
 * it keeps any policy version. Someone not on the roster: the policy as it is.
 */
async function withFirstPage(manager: Db, policy: PolicySnapshot, subject: string): Promise<PolicySnapshot> {
  const [person]: Array<{ id: string }> = await manager.query(
    `SELECT id FROM tasking.people WHERE active AND (subject = $1 OR lower(email) = lower($1)) ORDER BY subject = $1 DESC LIMIT 1`,
    [subject],
  );
  if (!person) return policy;
  return {
    ...policy,
    steps: [{ targets: [{ type: 'person', personId: person.id }], waitMinutes: policy.steps[0]?.waitMinutes ?? 5 }, ...policy.steps],
    repeat: { ...policy.repeat, fromStep: policy.repeat.fromStep + 1 },
  };
}

export interface StoppedEscalation {
  escalationId: string;
  incidentId: string;
  reason: EventData<typeof EscalationStoppedV1>['reason'];
  lastStepKey: string | null;
  lastStepAt: Date | null;
  facts: IncidentFacts;
  at: Date;
}

/**
 * Stops active escalations (of incidents, or by id) at once: no step runs after this commits.
 * An acknowledgement leaves them `acknowledged`; anything else `stopped`.
 */
export async function stopEscalations(
  manager: Db,
  which: { incidentIds?: string[]; escalationIds?: string[] },
  how: { reason: StoppedEscalation['reason']; detail: string | null; actor: string | null; at: Date },
): Promise<StoppedEscalation[]> {
  if (!which.incidentIds?.length && !which.escalationIds?.length) return [];
  const rows: Array<Pick<EscalationRow, 'id' | 'incident_id' | 'last_step_key' | 'last_step_at' | 'facts'>> = await manager.query(
    `WITH stopped AS (
       UPDATE tasking.escalations SET status = $3, due_at = NULL, stopped_at = $4, stop_reason = $5, stopped_by = $6
        WHERE status = 'active' AND (incident_id = ANY($1::uuid[]) OR id = ANY($2::uuid[]))
        RETURNING id, incident_id, last_step_key, last_step_at, facts, started_at)
     SELECT * FROM stopped ORDER BY incident_id, started_at`,
    [which.incidentIds ?? [], which.escalationIds ?? [], how.reason === 'acknowledged' ? 'acknowledged' : 'stopped', how.at, how.detail ? `${how.reason}: ${how.detail}` : how.reason, how.actor],
  );
  await enqueueEvents(
    manager as EntityManager,
    'tasking',
    rows.map((r) => ({
      event: createEvent(EscalationStoppedV1, {
        source: '/vigil/tasking',
        subject: r.incident_id,
        time: how.at,
        data: { escalationId: r.id, incidentId: r.incident_id, reason: how.reason, detail: how.detail, actor: how.actor, at: how.at.toISOString(), lastStep: r.last_step_key ? positionOfKey(r.last_step_key) : null },
      }),
      topic: EscalationStoppedV1.topic,
      key: r.incident_id,
    })),
  );
  return rows.map((r) => ({ escalationId: r.id, incidentId: r.incident_id, reason: how.reason, lastStepKey: r.last_step_key, lastStepAt: r.last_step_at, facts: r.facts, at: how.at }));
}

/** Acknowledgement latency per step, once the stop has committed. */
export function recordAcknowledgements(metrics: { acknowledgement: { record(v: number, a: Record<string, string>): void } }, stopped: StoppedEscalation[], acknowledgedAt: Date): void {
  for (const s of stopped) {
    if (s.reason !== 'acknowledged' || !s.lastStepKey || !s.lastStepAt) continue;
    const seconds = Math.max(0, (acknowledgedAt.getTime() - s.lastStepAt.getTime()) / 1000);
    metrics.acknowledgement.record(seconds, { step: String(positionOfKey(s.lastStepKey).number), severity: s.facts.severity, exercise: String(s.facts.exercise) });
  }
}
