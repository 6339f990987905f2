import { IncidentEvents, newestPerIncident, type IncidentSnapshot } from '@vigil/contracts';
import { onRunOf, toRegistrations, type ConsumerHandlers, type HandlerRegistration } from '@vigil/messaging';
import { Problem, recordIncidentAccesses } from '@vigil/platform';
import type { EntityManager } from 'typeorm';

type Query = Pick<EntityManager, 'query'>;

/**
 * Comms keeps the newest snapshot of every incident it has read (a replayed or reordered older
 * one changes nothing): templates, audience rules, cadences and regulatory checklists read it.
 */
export async function recordSnapshot(manager: Query, snapshot: IncidentSnapshot, at: Date): Promise<void> {
  await recordSnapshots(manager, [{ snapshot, at }]);
}

/**
 * A run's snapshots in one statement: the newest of each incident among them (its event's time as
 * `updated_at`), kept only where it is newer than the stored one.
 */
export async function recordSnapshots(manager: Query, items: ReadonlyArray<{ snapshot: IncidentSnapshot; at: Date }>): Promise<void> {
  const rows = newestPerIncident(items, (item) => item.snapshot);
  if (rows.length === 0) return;
  await manager.query(
    `INSERT INTO comms.incidents AS i (incident_id, version, snapshot, updated_at)
     SELECT * FROM unnest($1::uuid[], $2::int[], $3::jsonb[], $4::timestamptz[])
     ON CONFLICT (incident_id) DO UPDATE SET version = EXCLUDED.version, snapshot = EXCLUDED.snapshot, updated_at = EXCLUDED.updated_at
     WHERE i.version < EXCLUDED.version`,
    [rows.map((r) => r.snapshot.incidentId), rows.map((r) => r.snapshot.version), rows.map((r) => JSON.stringify(r.snapshot)), rows.map((r) => r.at)],
  );
}

export async function findSnapshot(manager: Query, incidentId: string): Promise<IncidentSnapshot | null> {
  const [row] = (await manager.query(`SELECT snapshot FROM comms.incidents WHERE incident_id = $1`, [incidentId])) as Array<{ snapshot: IncidentSnapshot }>;
  return row?.snapshot ?? null;
}

/** The stored snapshots of several incidents, by id (one statement). */
export async function findSnapshots(manager: Query, incidentIds: readonly string[]): Promise<Map<string, IncidentSnapshot>> {
  if (incidentIds.length === 0) return new Map();
  const rows = (await manager.query(`SELECT snapshot FROM comms.incidents WHERE incident_id = ANY($1::uuid[])`, [incidentIds])) as Array<{ snapshot: IncidentSnapshot }>;
  return new Map(rows.map((r) => [r.snapshot.incidentId, r.snapshot]));
}

/** The snapshot, or a 404 naming the incident comms has not heard of (yet). */
export async function requireSnapshot(manager: Query, incidentId: string): Promise<IncidentSnapshot> {
  const snapshot = await findSnapshot(manager, incidentId);
  if (!snapshot) throw Problem.notFound(`Incident ${incidentId}`);
  return snapshot;
}

/**
 * The consumer's handlers, with every incident event first recording the incident's access (who
 * may see it) and its snapshot, in the same transaction as whatever the handler does: once per
 * incident for a run's stretch of incident events (of every type: one stretch, not one per
 * type), from its newest snapshot among them.
 */
export function withIncidentSnapshots(handlers: ConsumerHandlers): HandlerRegistration[] {
  return [
    onRunOf(IncidentEvents, (run, tx) => recordIncidentAccesses(tx, 'comms', run.map((e) => e.data.incident))),
    onRunOf(IncidentEvents, (run, tx) => recordSnapshots(tx, run.map((e) => ({ snapshot: e.data.incident, at: new Date(e.meta.time) })))),
    ...toRegistrations(handlers),
  ];
}
