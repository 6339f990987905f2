import type { EntityManager } from 'typeorm';

/**
 * Advisory lock class of "the tasks of this incident" (the two-key form, a key space apart from the
 * one-key locks other code takes): 'task' in ASCII.
 */
const TASKS_OF_INCIDENT = 0x7461736b;

/**
 * Serialises what decides whether an incident has open tasks: its opening (which makes them unless
 * the incident is known to be merged) and its merge (which records that and cancels them). The two
 * events travel on different partitions — the opening keyed by the incident, the merge by its
 * target — and are applied side by side; under READ COMMITTED each could read around the other's
 * uncommitted write and leave a merged incident's tasks open. Both take this transaction-scoped
 * lock on the incident first, so whichever comes second waits for the first to commit and then,
 * in its next statement, sees its write. Several incidents are locked in one order, never deadlocking.
 */
export async function lockTasksOfIncidents(manager: EntityManager, incidentIds: readonly string[]): Promise<void> {
  if (incidentIds.length === 0) return;
  await manager.query(
    `SELECT pg_advisory_xact_lock(${TASKS_OF_INCIDENT}, k) FROM (SELECT DISTINCT hashtext(lower(id)) AS k FROM unnest($1::text[]) AS id ORDER BY 1) AS ordered`,
    [incidentIds],
  );
}
