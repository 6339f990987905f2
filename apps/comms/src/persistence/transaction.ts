import type { DataSource, EntityManager } from 'typeorm';

/**
 * A transaction whose `afterCommit` callbacks (waking a worker) run only once it has committed,
 * as the consumer's handlers have it.
 */
export async function inTransaction<T>(dataSource: DataSource, work: (manager: EntityManager, afterCommit: (fn: () => void) => void) => Promise<T>): Promise<T> {
  const after: Array<() => void> = [];
  const result = await dataSource.transaction((manager) => work(manager, (fn) => after.push(fn)));
  for (const fn of after) fn();
  return result;
}
