import { Injectable } from '@nestjs/common';
import { createEvent, TaskCancelledV1, type EventData, type IncidentPhaseChangedV1 } from '@vigil/contracts';
import { enqueueEvents } from '@vigil/messaging';
import type { EntityManager } from 'typeorm';

/**
 * On an incident moved to false_positive: its open and started tasks are cancelled with the reason
 * (there is nothing to respond to). Done and skipped tasks stay as they are, the record of work done.
 */
@Injectable()
export class CancelTasksOfFalsePositivesHandler {
  async handle(d: EventData<typeof IncidentPhaseChangedV1>, time: string, manager: EntityManager): Promise<void> {
    if (d.to !== 'false_positive') return;
    const incidentId = d.incident.incidentId;
    const at = new Date(time);
    const reason = `incident closed as a false positive by ${d.actor}${d.reason ? `: ${d.reason}` : ''}`;
    const cancelled: Array<{ id: string; title: string }> = await manager.query(
      `WITH cancelled AS (
         UPDATE tasking.tasks SET status = 'cancelled', cancelled_at = $2, cancel_reason = $3
          WHERE incident_id = $1 AND status IN ('open', 'in_progress')
          RETURNING id, title, created_at, step_key)
       SELECT id, title FROM cancelled ORDER BY created_at, step_key`,
      [incidentId, at, reason],
    );
    await enqueueEvents(
      manager,
      'tasking',
      cancelled.map((task) => ({
        event: createEvent(TaskCancelledV1, {
          source: '/vigil/tasking',
          subject: incidentId,
          time: at,
          data: { taskId: task.id, incidentId, title: task.title, cancelledAt: at.toISOString(), reason, actor: d.actor, mergedInto: null },
        }),
        topic: TaskCancelledV1.topic,
        key: incidentId,
      })),
    );
  }
}
