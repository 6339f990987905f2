import type { ScheduleDefinition } from '@vigil/contracts';
import { Problem } from '@vigil/platform';
import type { EntityManager } from 'typeorm';
import { assertPeopleExist } from '../roster/roster-checks';
import { rotationProblem } from './engine/rotation';
import type { ScheduleRow } from './schedule-store';

type Db = Pick<EntityManager, 'query'>;

/** The schedule (404 when unknown or archived, unless `archivedToo`). */
export async function scheduleOr404(db: Db, scheduleId: string, archivedToo = false): Promise<ScheduleRow> {
  const [row]: ScheduleRow[] = await db.query(`SELECT * FROM tasking.schedules WHERE id = $1 ${archivedToo ? '' : 'AND archived_at IS NULL'}`, [scheduleId]);
  if (!row) throw Problem.notFound(`Schedule ${scheduleId}`);
  return row;
}

/** 422 naming each rotation the engine cannot run and each person the definition names who is not on the roster. */
export async function validateDefinition(db: Db, definition: ScheduleDefinition, base = '/definition'): Promise<void> {
  const errors: Array<{ pointer: string; detail: string }> = [];
  const people: Array<{ id: string; pointer: string }> = [];
  definition.layers.forEach((layer, i) => {
    const problem = rotationProblem(layer.rotation);
    if (problem) errors.push({ pointer: `${base}/layers/${i}/rotation/handoff`, detail: problem });
    layer.rotation.participants.forEach((turn, j) => {
      for (const id of Array.isArray(turn) ? turn : [turn]) people.push({ id, pointer: `${base}/layers/${i}/rotation/participants/${j}` });
    });
  });
  if (errors.length) throw Problem.unprocessable(errors);
  await assertPeopleExist(db, people);
}

/** Changes take effect now or later: an effective time in the past would rewrite who was on call. */
export function effectiveFromOf(requested: string | undefined, now: number, pointer = '/effectiveFrom'): number {
  if (!requested) return now;
  const at = Date.parse(requested);
  // A minute of grace for clocks a little apart.
  if (at < now - 60_000) throw Problem.unprocessable([{ pointer, detail: 'must be now or later: history is not rewritten' }]);
  return Math.max(at, now);
}
