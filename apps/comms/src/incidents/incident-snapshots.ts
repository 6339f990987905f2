import { withIncidentAccess } from '@vigil/platform';
import type { EventHandler } from '@vigil/messaging';
import { EventCatalog, Topics, type IncidentSnapshot } from '@vigil/contracts';
import type { EntityManager } from 'typeorm';
import { Problem } from '@vigil/platform';

type Query = Pick<EntityManager, 'query'>;

const INCIDENT_EVENT_TYPES = Object.values(EventCatalog)
  .filter((d) => d.topic === Topics.incidents)
  .map((d) => d.type);

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
export function withIncidentSnapshots(handlers: Record<string, EventHandler>): Record<string, EventHandler> {
  const wrapped: Record<string, EventHandler> = { ...handlers };
  for (const type of INCIDENT_EVENT_TYPES) {
    const inner = handlers[type];
    wrapped[type] = async (event, manager, context) => {
      const snapshot = (event.data as { incident?: IncidentSnapshot }).incident;
      if (snapshot) await recordSnapshot(manager, snapshot, new Date(event.time));
      if (inner) await inner(event, manager, context);
    };
  }
  return withIncidentAccess('comms', wrapped);
}
