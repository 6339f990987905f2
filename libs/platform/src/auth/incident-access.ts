import { IncidentEvents, newestPerIncident, type IncidentSnapshot } from '@vigil/contracts';
import { onRun, toRegistrations, type ConsumerHandlers, type HandlerRegistration } from '@vigil/messaging';
import type { EntityManager, QueryRunner } from 'typeorm';
import { Problem } from '../http/problem';
import { canSeeIncident, visibilityCondition, type Principal } from './principal';

/**
 * Every service keeps, from the incident events it consumes, who may see each incident (its
 * restriction, owner and responders), and enforces it on its own data: tasks, notifications,
 * timelines. Triage is the source; the snapshot in each incident event carries the result.
 */
export const INCIDENT_ACCESS_TABLE = 'incident_access';

export function incidentAccessMigration(schema: string) {
  return class IncidentAccess1764800000001 {
    name = 'IncidentAccess1764800000001';
    async up(q: QueryRunner): Promise<void> {
      await q.query(`CREATE TABLE "${schema}".${INCIDENT_ACCESS_TABLE} (
        incident_id uuid PRIMARY KEY,
        restricted boolean NOT NULL,
        owner text,
        responders text[] NOT NULL DEFAULT '{}',
        version int NOT NULL
      )`);
    }
    async down(q: QueryRunner): Promise<void> {
      await q.query(`DROP TABLE "${schema}".${INCIDENT_ACCESS_TABLE}`);
    }
  };
}

/** Keeps the newest snapshot's access (a replayed or reordered older one changes nothing). */
export async function recordIncidentAccess(manager: Pick<EntityManager, 'query'>, schema: string, snapshot: IncidentSnapshot): Promise<void> {
  await manager.query(
    `INSERT INTO "${schema}".${INCIDENT_ACCESS_TABLE} AS a (incident_id, restricted, owner, responders, version) VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (incident_id) DO UPDATE SET restricted = EXCLUDED.restricted, owner = EXCLUDED.owner, responders = EXCLUDED.responders, version = EXCLUDED.version
     WHERE a.version < EXCLUDED.version`,
    [snapshot.incidentId, snapshot.restricted ?? false, snapshot.owner ?? null, snapshot.responders ?? [], snapshot.version],
  );
}

/**
 * The service's handlers (registrations, or the older record by type), with every incident event
 * (handled or not) first recording the incident's access in the same transaction: a registration
 * of each incident event placed before the service's own, so the consumer applies it first. A run
 * of incident events is one statement, with each incident's newest snapshot.
 */
export function withIncidentAccess(schema: string, handlers: ConsumerHandlers): HandlerRegistration[] {
  return [...IncidentEvents.map((def) => onRun(def, (run, tx) => recordIncidentAccesses(tx, schema, run.map((e) => e.data.incident)))), ...toRegistrations(handlers)];
}

/** Several incidents' access at once, each from its newest snapshot among them (one statement). */
export async function recordIncidentAccesses(manager: Pick<EntityManager, 'query'>, schema: string, snapshots: IncidentSnapshot[]): Promise<void> {
  const rows = newestPerIncident(snapshots, (s) => s);
  if (rows.length === 0) return;
  if (rows.length === 1) return recordIncidentAccess(manager, schema, rows[0]);
  await manager.query(
    `INSERT INTO "${schema}".${INCIDENT_ACCESS_TABLE} AS a (incident_id, restricted, owner, responders, version)
     SELECT id, restricted, owner, ARRAY(SELECT jsonb_array_elements_text(responders)), version
       FROM unnest($1::uuid[], $2::boolean[], $3::text[], $4::jsonb[], $5::int[]) AS u(id, restricted, owner, responders, version)
     ON CONFLICT (incident_id) DO UPDATE SET restricted = EXCLUDED.restricted, owner = EXCLUDED.owner, responders = EXCLUDED.responders, version = EXCLUDED.version
     WHERE a.version < EXCLUDED.version`,
    [rows.map((r) => r.incidentId), rows.map((r) => r.restricted ?? false), rows.map((r) => r.owner ?? null), rows.map((r) => JSON.stringify(r.responders ?? [])), rows.map((r) => r.version)],
  );
}

/** 404 unless the caller may see the incident (an unknown incident counts as unrestricted). */
export async function assertIncidentVisible(manager: Pick<EntityManager, 'query'>, schema: string, incidentId: string, caller: Principal, what = `Incident ${incidentId}`): Promise<void> {
  const [row] = (await manager.query(`SELECT restricted, owner, responders FROM "${schema}".${INCIDENT_ACCESS_TABLE} WHERE incident_id = $1`, [incidentId])) as Array<{
    restricted: boolean;
    owner: string | null;
    responders: string[];
  }>;
  if (row && !canSeeIncident(caller, row)) throw Problem.notFound(what);
}

/**
 * A condition keeping out rows of incidents the caller may not see, for lists and counts:
 * `incidentIdColumn` is the row's incident id. Adds its parameters to `params`.
 */
export function visibleIncidentCondition(schema: string, incidentIdColumn: string, caller: Principal, params: unknown[]): string {
  const condition = visibilityCondition(caller, { restricted: 'x.restricted', owner: 'x.owner', responders: 'x.responders' }, params);
  if (condition === 'TRUE') return 'TRUE';
  return `NOT EXISTS (SELECT 1 FROM "${schema}".${INCIDENT_ACCESS_TABLE} x WHERE x.incident_id = ${incidentIdColumn} AND NOT ${condition})`;
}
