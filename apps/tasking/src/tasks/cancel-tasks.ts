import { createEvent, TaskCancelledV1 } from '@vigil/contracts';
import { enqueueEvents } from '@vigil/messaging';
import type { EntityManager } from 'typeorm';

export interface Cancellation {
  incidentIds: readonly string[];
  /** Only these tasks (a version move's dropped steps); all the incidents' unfinished tasks when absent. */
  taskIds?: readonly string[];
  at: Date;
  reason: string;
  actor: string;
  /** The incident the tasks' incident was merged into, when that is why. */
  mergedInto: string | null;
}

/**
 * Cancels the unfinished (open or started) tasks of incidents, with the reason, and publishes a
 * vigil.task.cancelled.v1 for each, in the caller's transaction: a merge, a false positive, a
 * playbook version that drops a step. Done and skipped tasks stay as they are, the record of work
 * done. Returns how many were cancelled.
 */
export async function cancelUnfinishedTasks(manager: EntityManager, c: Cancellation): Promise<number> {
  if (c.incidentIds.length === 0 || c.taskIds?.length === 0) return 0;
  const cancelled: Array<{ id: string; incident_id: string; title: string }> = await manager.query(
    `WITH cancelled AS (
       UPDATE tasking.tasks SET status = 'cancelled', cancelled_at = $2, cancel_reason = $3
        WHERE incident_id = ANY($1::uuid[]) AND status IN ('open', 'in_progress') AND ($4::uuid[] IS NULL OR id = ANY($4::uuid[]))
        RETURNING id, incident_id, title, created_at, step_key)
     SELECT id, incident_id, title FROM cancelled ORDER BY incident_id, created_at, step_key`,
    [c.incidentIds, c.at, c.reason, c.taskIds ?? null],
  );
  await enqueueEvents(
    manager,
    'tasking',
    cancelled.map((task) => ({
      event: createEvent(TaskCancelledV1, {
        source: '/vigil/tasking',
        subject: task.incident_id,
        time: c.at,
        data: { taskId: task.id, incidentId: task.incident_id, title: task.title, cancelledAt: c.at.toISOString(), reason: c.reason, actor: c.actor, mergedInto: c.mergedInto },
      }),
      topic: TaskCancelledV1.topic,
      key: task.incident_id,
    })),
  );
  return cancelled.length;
}
