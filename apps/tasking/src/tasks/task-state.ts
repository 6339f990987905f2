import { Problem } from '@vigil/platform';
import type { EntityManager } from 'typeorm';
import { blockers } from '../playbooks/library/playbook-rules';
import { stepStatuses, Task } from '../persistence/task.entity';

/** The task, locked for the change (404 when the incident has no such task). */
export async function lockTask(manager: EntityManager, incidentId: string, taskId: string): Promise<Task> {
  const task = await manager.getRepository(Task).findOne({ where: { id: taskId, incidentId }, lock: { mode: 'pessimistic_write' } });
  if (!task) throw Problem.notFound(`Task ${taskId} of incident ${incidentId}`);
  return task;
}

/** The incident's phase as tasking last read it (null before its first event arrived). */
export async function incidentPhase(manager: Pick<EntityManager, 'query'>, incidentId: string): Promise<string | null> {
  const [row]: Array<{ phase: string }> = await manager.query(`SELECT phase FROM tasking.incident_facts WHERE incident_id = $1`, [incidentId]);
  return row?.phase ?? null;
}

/** What each task of the incident waits for (see blockers), by task id. */
export async function blockersByTask(manager: EntityManager, incidentId: string, tasks?: Task[]): Promise<Map<string, string[]>> {
  const all = tasks ?? (await manager.getRepository(Task).find({ where: { incidentId } }));
  const phase = await incidentPhase(manager, incidentId);
  // Steps of the same playbook only: an action item's task never waits for a playbook step.
  const byPlaybook = new Map<string, Map<string, string>>();
  for (const t of all) byPlaybook.set(t.playbook, stepStatuses(all.filter((o) => o.playbook === t.playbook)));
  return new Map(all.map((t) => [t.id, t.playbookVersion === null ? [] : blockers(t, byPlaybook.get(t.playbook)!, phase)]));
}

/** A task that cannot start (or be done) yet: 409 naming what it waits for. */
export async function assertUnblocked(manager: EntityManager, task: Task, verb: string): Promise<void> {
  const waits = (await blockersByTask(manager, task.incidentId)).get(task.id) ?? [];
  if (!waits.length) return;
  const steps = waits.filter((w) => !w.startsWith('phase:'));
  const phase = waits.find((w) => w.startsWith('phase:'));
  const parts = [
    ...(steps.length ? [`its dependencies ${steps.join(', ')} are not done`] : []),
    ...(phase ? [`the incident has not reached the ${phase.slice('phase:'.length)} phase`] : []),
  ];
  throw new Problem(409, 'Task blocked', `Task ${task.stepKey} cannot ${verb}: ${parts.join(' and ')}.`, { blockedBy: waits, openDependencies: steps });
}

/** A task that is no longer open or in progress cannot change state (409 saying what it is). */
export function assertUnfinished(task: Task, verb: string): void {
  if (task.status === 'open' || task.status === 'in_progress') return;
  const why = task.status === 'cancelled' ? `was cancelled (${task.cancelReason ?? 'no reason given'})` : `is ${task.status}`;
  throw new Problem(409, `Task ${task.status}`, `Task ${task.id} ${why}: it cannot ${verb}.`, { status: task.status });
}
