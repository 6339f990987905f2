import type { EntityManager } from 'typeorm';

/**
 * Rows of an UPDATE … RETURNING. TypeORM answers an UPDATE or DELETE with [rows, count] and any
 * other statement with the rows alone; callers want the rows either way.
 */
export async function updateReturning<T>(manager: Pick<EntityManager, 'query'>, sql: string, params: unknown[]): Promise<T[]> {
  const result = (await manager.query(sql, params)) as unknown;
  if (Array.isArray(result) && result.length === 2 && Array.isArray(result[0]) && typeof result[1] === 'number') return result[0] as T[];
  return result as T[];
}
