import { createEvent, Topics, type AlertSeverity, type EventData, type EventDefinition, type IncidentSnapshot } from '@vigil/contracts';
import { enqueueEvent } from '@vigil/messaging';
import type { EntityManager } from 'typeorm';
import { mostSevere, severityFromAlert } from '../classification/severity';
import { Incident, toSnapshot } from '../persistence/incident.entity';

/** The incident row, locked for the rest of the transaction (every change to an incident takes it). */
export function lockIncident(manager: EntityManager, incidentId: string): Promise<Incident | null> {
  return manager.createQueryBuilder(Incident, 'i').setLock('pessimistic_write').where('i.id = :id', { id: incidentId }).getOne();
}

/** Enqueues an incident event, carrying the incident's snapshot after the change, keyed by incident. */
export async function publishIncidentEvent<E extends EventDefinition>(
  manager: EntityManager,
  definition: E,
  incident: Incident,
  data: Omit<EventData<E>, 'incident'>,
): Promise<void> {
  const event = createEvent(definition, {
    source: '/vigil/triage',
    subject: incident.id,
    data: { ...data, incident: toSnapshot(incident) as IncidentSnapshot } as EventData<E>,
  });
  await enqueueEvent(manager, 'triage', event, { topic: Topics.incidents, key: incident.id });
}

/**
 * One more alert occurrence on an open incident (a correlated alert or a repeat of one): the
 * count goes up, the severity becomes the more severe, the clock's occurredAt moves earlier if this
 * occurrence saw the activity earlier. Saved; the caller publishes.
 */
export async function countOccurrence(manager: EntityManager, incident: Incident, occurrence: { severity: AlertSeverity; occurredAt?: string }): Promise<void> {
  incident.alertCount += 1;
  incident.version += 1;
  incident.severity = mostSevere(incident.severity, severityFromAlert(occurrence.severity));
  if (occurrence.occurredAt) {
    const occurredAt = new Date(occurrence.occurredAt);
    if (occurredAt < incident.occurredAt) incident.occurredAt = occurredAt;
  }
  incident.updatedAt = new Date();
  await manager.save(incident);
}
