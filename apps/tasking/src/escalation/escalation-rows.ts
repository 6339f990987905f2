import type { EscalationStatus, EscalationTarget, EscalationView } from '@vigil/contracts';
import type { IncidentFacts } from './incident-facts';
import { stepKey, type PolicySnapshot } from './step-plan';

export interface EscalationRow {
  id: string;
  incident_id: string;
  trigger_kind: string;
  trigger_key: string;
  reason: string;
  policy_id: string;
  policy_version: number;
  policy: PolicySnapshot;
  facts: IncidentFacts;
  status: EscalationStatus;
  next_cycle: number | null;
  next_index: number | null;
  due_at: Date | null;
  last_step_key: string | null;
  last_step_at: Date | null;
  started_at: Date;
  stopped_at: Date | null;
  stop_reason: string | null;
  stopped_by: string | null;
}

export interface StepRow {
  escalation_id: string;
  step_key: string;
  number: number;
  cycle: number;
  executed_at: Date;
  targets: EscalationTarget[];
  paged: Array<{ pageId: string; personId: string; name: string }>;
  unresolved: Array<{ target: EscalationTarget; reason: string }>;
}

export function positionOfKey(key: string): { number: number; cycle: number; key: string } {
  const [cycle, number] = key.split('.').map(Number);
  return { number, cycle, key };
}

export function toEscalationView(e: EscalationRow, steps: StepRow[]): EscalationView {
  const next =
    e.status === 'active' && e.next_index !== null && e.next_cycle !== null && e.due_at
      ? { ...positionOfKey(stepKey({ cycle: e.next_cycle, index: e.next_index })), dueAt: e.due_at.toISOString() }
      : null;
  return {
    escalationId: e.id,
    incidentId: e.incident_id,
    policyId: e.policy_id,
    policyVersion: e.policy_version,
    policyName: e.policy.name,
    trigger: { kind: e.trigger_kind, reason: e.reason },
    status: e.status,
    startedAt: e.started_at.toISOString(),
    stoppedAt: e.stopped_at?.toISOString() ?? null,
    stopReason: e.stop_reason,
    stoppedBy: e.stopped_by,
    next,
    steps: steps
      .filter((s) => s.escalation_id === e.id)
      .sort((a, b) => a.executed_at.getTime() - b.executed_at.getTime())
      .map((s) => ({ number: s.number, cycle: s.cycle, key: s.step_key, executedAt: s.executed_at.toISOString(), paged: s.paged, unresolved: s.unresolved })),
  };
}
