import { Problem } from '@vigil/platform';
import type { EntityManager } from 'typeorm';

/** 400 naming each id that is not a person on the roster (removed people count as unknown when `activeOnly`). */
export async function assertPeopleExist(manager: Pick<EntityManager, 'query'>, ids: Array<{ id: string; pointer: string }>, activeOnly = true): Promise<void> {
  if (ids.length === 0) return;
  const found: Array<{ id: string }> = await manager.query(`SELECT id FROM tasking.people WHERE id = ANY($1::uuid[]) ${activeOnly ? 'AND active' : ''}`, [[...new Set(ids.map((i) => i.id))]]);
  const known = new Set(found.map((f) => f.id));
  const missing = ids.filter((i) => !known.has(i.id));
  if (missing.length) throw Problem.unprocessable(missing.map((m) => ({ pointer: m.pointer, detail: `no person ${m.id} on the roster` })));
}

/** A unique-constraint violation (e.g. a subject or team name already taken) as a 409 naming the field. */
export function conflictOn(error: unknown, constraints: Record<string, string>): never {
  const e = error as { code?: string; constraint?: string; driverError?: { code?: string; constraint?: string } };
  const code = e.code ?? e.driverError?.code;
  const constraint = e.constraint ?? e.driverError?.constraint ?? '';
  if (code === '23505') {
    const field = Object.entries(constraints).find(([name]) => constraint.includes(name))?.[1];
    if (field) throw new Problem(409, 'Conflict', `Another one already has this ${field}.`, { errors: [{ pointer: `/${field}`, detail: 'is already taken' }] });
  }
  throw error;
}
