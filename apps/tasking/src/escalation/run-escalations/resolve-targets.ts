import type { ContactMethod, EscalationTarget } from '@vigil/contracts';
import type { EntityManager } from 'typeorm';
import { loadEngine } from '../../schedules/schedule-store';

type Db = Pick<EntityManager, 'query'>;

export interface PageablePerson {
  id: string;
  name: string;
  time_zone: string;
  contact_methods: ContactMethod[];
}

export interface Resolution {
  /** Everyone to page, once each, in the order the targets name them. */
  people: PageablePerson[];
  /** Targets that named nobody, and why: they go on the timeline so a gap is seen. */
  unresolved: Array<{ target: EscalationTarget; reason: string }>;
}

/**
 * Who a step's targets name at the moment it runs: a schedule's on-call person now (not when the
 * escalation started), a team's members and the people with a role as the roster says now.
 * People removed from the roster are never paged.
 */
export async function resolveTargets(db: Db, targets: EscalationTarget[], at: Date): Promise<Resolution> {
  const ids: string[][] = [];
  const unresolved: Resolution['unresolved'] = [];
  for (const target of targets) {
    let found: string[] = [];
    let reason = '';
    switch (target.type) {
      case 'person': {
        const rows: Array<{ id: string }> = await db.query(`SELECT id FROM tasking.people WHERE id = $1 AND active`, [target.personId]);
        found = rows.map((r) => r.id);
        reason = 'not on the roster';
        break;
      }
      case 'schedule': {
        const [schedule]: Array<{ name: string }> = await db.query(`SELECT name FROM tasking.schedules WHERE id = $1 AND archived_at IS NULL`, [target.scheduleId]);
        if (!schedule) {
          reason = 'no such schedule (archived?)';
          break;
        }
        found = (await loadEngine(db, target.scheduleId)).engine.onCallAt(at.getTime()).people;
        reason = `nobody on call on ${schedule.name}`;
        break;
      }
      case 'team': {
        const rows: Array<{ id: string }> = await db.query(
          `SELECT p.id FROM tasking.team_members m JOIN tasking.people p ON p.id = m.person_id WHERE m.team_id = $1 AND p.active ORDER BY p.name`,
          [target.teamId],
        );
        found = rows.map((r) => r.id);
        reason = 'no such team, or nobody in it';
        break;
      }
      case 'role': {
        const rows: Array<{ id: string }> = await db.query(`SELECT id FROM tasking.people WHERE active AND $1 = ANY(roles) ORDER BY name`, [target.role]);
        found = rows.map((r) => r.id);
        reason = `nobody on the roster has the role ${target.role}`;
        break;
      }
    }
    if (found.length === 0) unresolved.push({ target, reason });
    ids.push(found);
  }
  const unique = [...new Set(ids.flat())];
  const rows: PageablePerson[] = unique.length
    ? await db.query(`SELECT id, name, time_zone, contact_methods FROM tasking.people WHERE id = ANY($1::uuid[]) AND active`, [unique])
    : [];
  const byId = new Map(rows.map((r) => [r.id, r]));
  return { people: unique.map((id) => byId.get(id)).filter((p): p is PageablePerson => !!p), unresolved };
}
