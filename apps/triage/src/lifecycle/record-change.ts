import { Topics, type CloudEvent } from '@vigil/contracts';
import { enqueueEvent } from '@vigil/messaging';
import { Problem } from '@vigil/platform';
import type { DataSource, EntityManager } from 'typeorm';
import { lockIncident } from '../incidents/incident-writes';
import type { Incident } from '../persistence/incident.entity';

export interface HistoryEntry {
  actor: string;
  action: string;
  fromPhase?: string;
  toPhase?: string;
  effectiveAt?: Date;
  reason?: string | null;
}

/**
 * Applies one analyst change to an incident under a row lock: the change, its history entry and
 * its event commit together, so reporting sees exactly what the analyst did.
 */
export async function changeIncident(
  dataSource: DataSource,
  incidentId: string,
  change: (incident: Incident, manager: EntityManager) => { history: HistoryEntry; event: (incident: Incident) => CloudEvent } | null,
): Promise<Incident> {
  return dataSource.transaction(async (manager) => {
    const incident = await lockIncident(manager, incidentId);
    if (!incident) throw Problem.notFound(`Incident ${incidentId}`);
    const outcome = change(incident, manager);
    if (!outcome) return incident; // nothing changed (an idempotent repeat)
    incident.version += 1;
    incident.updatedAt = new Date();
    await manager.save(incident);
    const h = outcome.history;
    await manager.query(
      `INSERT INTO triage.incident_history (incident_id, actor, action, from_phase, to_phase, effective_at, reason)
       VALUES ($1, $2, $3, $4, $5, $6, $7)`,
      [incident.id, h.actor, h.action, h.fromPhase ?? null, h.toPhase ?? null, h.effectiveAt ?? null, h.reason ?? null],
    );
    const event = outcome.event(incident);
    await enqueueEvent(manager, 'triage', event, { topic: Topics.incidents, key: incident.id });
    return incident;
  });
}

/** A backdated time must not be in the future nor before the incident was detected. */
export function effectiveTime(incident: Incident, at: string | undefined): Date {
  const now = new Date();
  if (!at) return now;
  const when = new Date(at);
  if (when.getTime() > now.getTime() + 60_000) {
    throw Problem.validation([{ pointer: '/at', detail: 'must not be in the future' }]);
  }
  if (when < incident.occurredAt) {
    throw Problem.validation([{ pointer: '/at', detail: `must not be before the incident occurred (${incident.occurredAt.toISOString()})` }]);
  }
  return when;
}
