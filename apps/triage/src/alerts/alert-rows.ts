import type { AlertReceivedV1, EventData, TriageAlertView } from '@vigil/contracts';
import type { EntityManager } from 'typeorm';

export interface AlertRow {
  alert_id: string;
  incident_id: string | null;
  dedup_key: string;
  title: string;
  source: string;
  severity: TriageAlertView['severity'];
  category: TriageAlertView['category'];
  disposition: TriageAlertView['disposition'];
  correlated_by: TriageAlertView['correlatedBy'];
  suppression_rule_id: string | null;
  occurrences: number;
  source_status: TriageAlertView['sourceStatus'];
  exercise: boolean;
  occurred_at: Date;
  received_at: Date;
  last_seen_at: Date | null;
  /** The alert as received; null for alerts triage recorded before it kept them whole. */
  data: EventData<typeof AlertReceivedV1> | null;
}

/** The alert as received, or, for an alert recorded before triage kept it whole, what its row holds. */
export function receivedAlertOf(r: AlertRow): EventData<typeof AlertReceivedV1> {
  return (
    r.data ?? {
      alertId: r.alert_id,
      dedupKey: r.dedup_key,
      title: r.title,
      source: r.source,
      severity: r.severity,
      ...(r.category ? { category: r.category } : {}),
      occurredAt: r.occurred_at.toISOString(),
      receivedAt: r.received_at.toISOString(),
      labels: {},
      assets: [],
      observables: [],
      exercise: r.exercise,
    }
  );
}

export function toAlertView(r: AlertRow): TriageAlertView {
  return {
    alertId: r.alert_id,
    dedupKey: r.dedup_key,
    title: r.title,
    source: r.source,
    severity: r.severity,
    category: r.category,
    disposition: r.disposition,
    incidentId: r.incident_id,
    correlatedBy: r.correlated_by,
    suppressionRuleId: r.suppression_rule_id,
    occurrences: r.occurrences,
    sourceStatus: r.source_status,
    exercise: r.exercise,
    occurredAt: r.occurred_at.toISOString(),
    receivedAt: r.received_at.toISOString(),
    lastSeenAt: r.last_seen_at?.toISOString() ?? null,
  };
}

export async function readAlert(manager: Pick<EntityManager, 'query'>, alertId: string, lock = false): Promise<AlertRow | undefined> {
  const [row]: AlertRow[] = await manager.query(`SELECT * FROM triage.alerts WHERE alert_id = $1${lock ? ' FOR UPDATE' : ''}`, [alertId]);
  return row;
}
