import { Topics, type CloudEvent } from '@vigil/contracts';
import { enqueueEvent } from '@vigil/messaging';
import { auditTouch, canSeeIncident, digest, Problem, type Principal } from '@vigil/platform';
import type { DataSource, EntityManager } from 'typeorm';
import { assertVersion, type ExpectedVersion } from '../incidents/concurrency';
import { lockIncident, saveIncident } from '../incidents/incident-writes';
import { toSnapshot, type Incident } from '../persistence/incident.entity';

export interface HistoryEntry {
  /** The person who made the change (their token's subject, name and e-mail), or a part of the system. */
  actor: Principal | string;
  action: string;
  fromPhase?: string;
  toPhase?: string;
  effectiveAt?: Date;
  reason?: string | null;
  details?: Record<string, unknown>;
}

export interface ChangeOutcome {
  history: HistoryEntry;
  event: (incident: Incident) => CloudEvent;
}

export async function recordHistory(manager: EntityManager, incidentId: string, h: HistoryEntry): Promise<void> {
  await manager.query(
    `INSERT INTO triage.incident_history (incident_id, actor, actor_name, actor_email, action, from_phase, to_phase, effective_at, reason, details)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
    [
      incidentId,
      typeof h.actor === 'string' ? h.actor : h.actor.subject,
      typeof h.actor === 'string' ? null : (h.actor.name ?? null),
      typeof h.actor === 'string' ? null : (h.actor.email ?? null),
      h.action,
      h.fromPhase ?? null,
      h.toPhase ?? null,
      h.effectiveAt ?? null,
      h.reason ?? null,
      h.details ?? null,
    ],
  );
}

/**
 * Applies one analyst change to an incident under a row lock, after checking the version the
 * analyst saw (If-Match): the change, its history entry and its event commit together, so
 * reporting sees exactly what the analyst did, and of two analysts acting at once the second
 * gets a 412 instead of silently undoing the first.
 */
export async function changeIncident(
  dataSource: DataSource,
  incidentId: string,
  expected: ExpectedVersion,
  caller: Principal,
  change: (incident: Incident, manager: EntityManager) => ChangeOutcome | null | Promise<ChangeOutcome | null>,
): Promise<Incident> {
  return dataSource.transaction(async (manager) => {
    const incident = await lockIncident(manager, incidentId);
    // A restricted incident the caller may not see does not exist for them (no existence leak).
    if (!incident || !canSeeIncident(caller, incident)) throw Problem.notFound(`Incident ${incidentId}`);
    assertVersion(incident.version, expected, `Incident ${incidentId}`);
    auditTouch({ ids: { incidentId }, before: toSnapshot(incident) }, digest);
    const outcome = await change(incident, manager);
    if (!outcome) return incident; // nothing changed (an idempotent repeat)
    incident.version += 1;
    incident.updatedAt = new Date();
    await saveIncident(manager, incident);
    await recordHistory(manager, incident.id, outcome.history);
    auditTouch({ after: toSnapshot(incident) }, digest);
    const event = outcome.event(incident);
    await enqueueEvent(manager, 'triage', event, { topic: Topics.incidents, key: incident.id });
    return incident;
  });
}

/** A backdated time must not be in the future nor before the incident occurred. */
export function effectiveTime(incident: Incident, at: string | undefined, pointer = '/at'): Date {
  const now = new Date();
  if (!at) return now;
  const when = new Date(at);
  if (when.getTime() > now.getTime() + 60_000) {
    throw Problem.unprocessable([{ pointer, detail: 'must not be in the future' }]);
  }
  if (when < incident.occurredAt) {
    throw Problem.unprocessable([{ pointer, detail: `must not be before the incident occurred (${incident.occurredAt.toISOString()})` }]);
  }
  return when;
}
