import type { AffectedAsset, IncidentClassification, IncidentTimestamps, Observable, ReviewView } from '@vigil/contracts';
import { Problem } from '@vigil/platform';
import { createHash } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { findReview } from '../../reviews/review-records';
import { reviewView } from '../../reviews/review-view';
import { incidentTimeline, type TimelineLine } from '../../timeline/timeline-entries';

/** Everything reporting holds about one incident: what its report is made of. */
export interface IncidentRecord {
  incident: {
    incidentId: string;
    title: string | null;
    severity: string;
    category: string;
    phase: string;
    exercise: boolean;
    alertCount: number | null;
    owner: string | null;
    responders: string[];
    mergedInto: string | null;
    classification: IncidentClassification | null;
    timestamps: Record<keyof IncidentTimestamps, string | null>;
  };
  alerts: Array<{ alertId: string; title: string; source: string; severity: string; category: string | null; occurredAt: string | null; receivedAt: string; assets: AffectedAsset[]; observables: Observable[] }>;
  timeline: TimelineLine[];
  tasks: Array<{
    title: string;
    role: string;
    phase: string;
    status: string;
    dueAt: string | null;
    createdAt: string;
    assignee: string | null;
    completedAt: string | null;
    completedBy: string | null;
    cancelReason: string | null;
  }>;
  review: ReviewView | null;
  audit: AuditDigest;
}

/** What reporting's own audit trail holds about the incident, in a form a reader can check against the chain. */
export interface AuditDigest {
  service: 'reporting';
  records: number;
  firstSeq: number | null;
  lastSeq: number | null;
  lastHash: string | null;
  /** SHA-256 over the hashes of those records, in chain order, each followed by a newline. */
  digest: string | null;
  chainHead: { seq: number; hash: string } | null;
}

const iso = (d: Date | null) => (d ? d.toISOString() : null);

export async function auditDigest(manager: Pick<EntityManager, 'query'>, ids: { column: 'incidentId' | 'exerciseId'; value: string }): Promise<AuditDigest> {
  const rows: Array<{ seq: string; hash: string }> = await manager.query(
    `SELECT seq, hash FROM reporting.audit_record WHERE (body::jsonb -> 'ids' ->> '${ids.column}') = $1 ORDER BY seq`,
    [ids.value],
  );
  const [head] = (await manager.query(`SELECT seq, hash FROM reporting.audit_record ORDER BY seq DESC LIMIT 1`)) as Array<{ seq: string; hash: string }>;
  return {
    service: 'reporting',
    records: rows.length,
    firstSeq: rows.length ? Number(rows[0].seq) : null,
    lastSeq: rows.length ? Number(rows[rows.length - 1].seq) : null,
    lastHash: rows.length ? rows[rows.length - 1].hash : null,
    digest: rows.length ? createHash('sha256').update(rows.map((r) => `${r.hash}\n`).join('')).digest('hex') : null,
    chainHead: head ? { seq: Number(head.seq), hash: head.hash } : null,
  };
}

export async function loadIncidentRecord(manager: Pick<EntityManager, 'query'>, incidentId: string, now: Date): Promise<IncidentRecord> {
  const [clock] = (await manager.query(`SELECT * FROM reporting.incident_clocks WHERE incident_id = $1`, [incidentId])) as Array<Record<string, any>>;
  if (!clock) throw Problem.notFound(`A record of incident ${incidentId}`);
  const [alerts, timeline, tasks, review, audit] = await Promise.all([
    manager.query(
      `SELECT a.* FROM reporting.alerts a JOIN reporting.incident_alert_links l ON l.alert_id = a.alert_id
        WHERE l.incident_id = $1 ORDER BY a.received_at, a.alert_id`,
      [incidentId],
    ) as Promise<Array<Record<string, any>>>,
    incidentTimeline(manager, incidentId),
    manager.query(`SELECT * FROM reporting.tasks WHERE incident_id = $1 ORDER BY created_at, task_id`, [incidentId]) as Promise<Array<Record<string, any>>>,
    findReview(manager, incidentId),
    auditDigest(manager, { column: 'incidentId', value: incidentId }),
  ]);
  return {
    incident: {
      incidentId,
      title: clock.title,
      severity: clock.severity,
      category: clock.category,
      phase: clock.phase,
      exercise: clock.exercise,
      alertCount: clock.alert_count,
      owner: clock.owner,
      responders: clock.responders ?? [],
      mergedInto: clock.merged_into,
      classification: clock.classification,
      timestamps: {
        occurredAt: iso(clock.occurred_at),
        detectedAt: iso(clock.detected_at),
        declaredAt: iso(clock.declared_at),
        acknowledgedAt: iso(clock.acknowledged_at),
        containedAt: iso(clock.contained_at),
        eradicatedAt: iso(clock.eradicated_at),
        recoveredAt: iso(clock.recovered_at),
        closedAt: iso(clock.closed_at),
      },
    },
    alerts: alerts.map((a) => ({
      alertId: a.alert_id,
      title: a.title,
      source: a.source,
      severity: a.severity,
      category: a.category,
      occurredAt: iso(a.occurred_at),
      receivedAt: a.received_at.toISOString(),
      assets: a.assets,
      observables: a.observables,
    })),
    timeline,
    tasks: tasks.map((t) => ({
      title: t.title,
      role: t.role,
      phase: t.phase,
      status: t.status,
      dueAt: iso(t.due_at),
      createdAt: t.created_at.toISOString(),
      assignee: t.assignee,
      completedAt: iso(t.completed_at),
      completedBy: t.completed_by,
      cancelReason: t.cancel_reason,
    })),
    review: review ? await reviewView(manager, review, now) : null,
    audit,
  };
}
