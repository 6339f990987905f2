import { IncidentEvents, type IncidentSnapshot } from '@vigil/contracts';
import { on, toRegistrations, type ConsumerHandlers, type HandlerRegistration } from '@vigil/messaging';
import { Problem, withIncidentAccess } from '@vigil/platform';
import type { EntityManager } from 'typeorm';

type Query = Pick<EntityManager, 'query'>;

/**
 * Comms keeps the newest snapshot of every incident it has read (a replayed or reordered older
 * one changes nothing): templates, audience rules, cadences and regulatory checklists read it.
 */
export async function recordSnapshot(manager: Query, snapshot: IncidentSnapshot, at: Date): Promise<void> {
  await manager.query(
    `INSERT INTO comms.incidents AS i (incident_id, version, snapshot, updated_at) VALUES ($1, $2, $3, $4)
     ON CONFLICT (incident_id) DO UPDATE SET version = EXCLUDED.version, snapshot = EXCLUDED.snapshot, updated_at = EXCLUDED.updated_at
     WHERE i.version < EXCLUDED.version`,
    [snapshot.incidentId, snapshot.version, snapshot, at],
  );
}

export async function findSnapshot(manager: Query, incidentId: string): Promise<IncidentSnapshot | null> {
  const [row] = (await manager.query(`SELECT snapshot FROM comms.incidents WHERE incident_id = $1`, [incidentId])) as Array<{ snapshot: IncidentSnapshot }>;
  return row?.snapshot ?? null;
}

/** The snapshot, or a 404 naming the incident comms has not heard of (yet). */
export async function requireSnapshot(manager: Query, incidentId: string): Promise<IncidentSnapshot> {
  const snapshot = await findSnapshot(manager, incidentId);
  if (!snapshot) throw Problem.notFound(`Incident ${incidentId}`);
  return snapshot;
}

/**
 * The consumer's handlers, with every incident event first recording the incident's access (who
 * may see it) and its snapshot, in the same transaction as whatever the handler does.
 */
export function withIncidentSnapshots(handlers: ConsumerHandlers): HandlerRegistration[] {
  const snapshots = IncidentEvents.map((def) => on(def, (data, tx, meta) => recordSnapshot(tx, data.incident, new Date(meta.time))));
  return withIncidentAccess('comms', [...snapshots, ...toRegistrations(handlers)]);
}
