import { Injectable } from '@nestjs/common';
import type { AudienceKey, IncidentSnapshot } from '@vigil/contracts';
import type { EntityManager } from 'typeorm';
import type { AudienceRow } from '../audiences/audience-store';
import { afterUpdate, cadenceOf, nextCheckAt } from './cadence';

export interface CadenceRow {
  incident_id: string;
  audience: AudienceKey;
  severity: string;
  interval_seconds: number;
  grace_seconds: number;
  active: boolean;
  started_at: Date;
  last_update_at: Date | null;
  due_at: Date;
  reminded_at: Date | null;
  missed_at: Date | null;
  next_check_at: Date | null;
}

/**
 * Keeps each incident's status-update clocks, one per audience owed updates: started when the
 * incident matches the audience's rule and cadence, re-timed when its severity changes, stopped
 * when it ends, and reset whenever a message reaches the audience. The clocks live in the
 * database (next_check_at), so a restart loses none; the cadence poller acts on them.
 */
@Injectable()
export class CadenceTracker {
  /** `audiences`: the rows of comms.audiences; `existing`: the incident's clocks, locked by `lockAll`. */
  async sync(manager: EntityManager, incident: IncidentSnapshot, now: Date, audiences: readonly AudienceRow[], existing: readonly CadenceRow[]): Promise<void> {
    for (const audience of audiences) {
      const owed = cadenceOf(audience, incident);
      const row = existing.find((r) => r.audience === audience.audience);
      if (!owed) {
        if (row?.active) await manager.query(`UPDATE comms.status_cadences SET active = false, next_check_at = NULL WHERE incident_id = $1 AND audience = $2`, [incident.incidentId, audience.audience]);
        continue;
      }
      if (!row) {
        const state = afterUpdate(owed.intervalSeconds, owed.graceSeconds, now);
        await manager.query(
          `INSERT INTO comms.status_cadences (incident_id, audience, severity, interval_seconds, grace_seconds, active, started_at, due_at, next_check_at)
           VALUES ($1, $2, $3, $4, $5, true, $6, $7, $7)`,
          [incident.incidentId, audience.audience, incident.severity, owed.intervalSeconds, owed.graceSeconds, now, state.dueAt],
        );
        continue;
      }
      if (row.active && row.interval_seconds === owed.intervalSeconds && row.grace_seconds === owed.graceSeconds) continue;
      // Restarted, or the severity changed: count the new interval from the last update (or the start).
      const from = row.active ? (row.last_update_at ?? row.started_at) : now;
      const dueAt = new Date(Math.max(now.getTime(), from.getTime() + owed.intervalSeconds * 1000));
      const keep = row.active && dueAt.getTime() === row.due_at.getTime();
      const state = { dueAt, graceSeconds: owed.graceSeconds, remindedAt: keep ? row.reminded_at : null, missedAt: keep ? row.missed_at : null };
      await manager.query(
        `UPDATE comms.status_cadences SET severity = $3, interval_seconds = $4, grace_seconds = $5, active = true, due_at = $6, reminded_at = $7, missed_at = $8, next_check_at = $9
          WHERE incident_id = $1 AND audience = $2`,
        [incident.incidentId, audience.audience, incident.severity, owed.intervalSeconds, owed.graceSeconds, state.dueAt, state.remindedAt, state.missedAt, nextCheckAt(state)],
      );
    }
  }

  /** Several incidents' clocks, locked and read in one statement (in id order): for `sync` of each. */
  async lockAll(manager: EntityManager, incidentIds: readonly string[]): Promise<Map<string, CadenceRow[]>> {
    const rows: CadenceRow[] = await manager.query(`SELECT * FROM comms.status_cadences WHERE incident_id = ANY($1::uuid[]) ORDER BY incident_id, audience FOR UPDATE`, [
      [...incidentIds].sort(),
    ]);
    const byIncident = new Map<string, CadenceRow[]>(incidentIds.map((id) => [id, []]));
    for (const row of rows) byIncident.get(row.incident_id)?.push(row);
    return byIncident;
  }

  /**
   * Messages reached their audiences: each (incident, audience) of `reached` (a relation of the
   * caller's statement with those columns) is next due one interval after `at`. An UPDATE for the
   * caller's statement: the clocks move with the messages that reset them, or not at all.
   */
  reachedSql(reached: string, at: string): string {
    return `UPDATE comms.status_cadences c SET last_update_at = ${at}::timestamptz, due_at = ${at}::timestamptz + make_interval(secs => c.interval_seconds),
              next_check_at = ${at}::timestamptz + make_interval(secs => c.interval_seconds), reminded_at = NULL, missed_at = NULL
         FROM (SELECT DISTINCT incident_id, audience FROM ${reached}) AS reached
        WHERE c.incident_id = reached.incident_id AND c.audience = reached.audience AND c.active`;
  }
}
