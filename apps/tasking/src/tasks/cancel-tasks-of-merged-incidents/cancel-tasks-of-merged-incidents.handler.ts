import { Injectable } from '@nestjs/common';
import { createEvent, IncidentMergedV1, TaskCancelledV1, type CloudEvent, type EventData } from '@vigil/contracts';
import { enqueueEvents } from '@vigil/messaging';
import type { EntityManager } from 'typeorm';
import { lockTasksOfIncidents } from '../merged-incident-lock';

/**
 * On incidents merged: the open tasks of each merged incident are cancelled, naming the incident
 * they were merged into, whose own playbook tasks carry the work (a merge must not leave responders
 * two copies of every step). Done tasks stay done: they are the record of work that was done.
 * Merged incidents are remembered, so that an opening read after its merge makes no tasks; an
 * opening applied at the same moment is serialised with this by a lock on each merged incident.
 */
@Injectable()
export class CancelTasksOfMergedIncidentsHandler {
  async handle(event: CloudEvent, manager: EntityManager): Promise<void> {
    const d = event.data as EventData<typeof IncidentMergedV1>;
    const into = d.incident.incidentId;
    const at = new Date(event.time);
    await lockTasksOfIncidents(manager, d.mergedIncidentIds);
    await manager.query(
      `INSERT INTO tasking.merged_incidents (incident_id, merged_into, merged_at)
       SELECT id, $2, $3 FROM unnest($1::uuid[]) AS id ON CONFLICT (incident_id) DO NOTHING`,
      [d.mergedIncidentIds, into, at],
    );
    const reason = `incident merged into ${into} by ${d.actor}: ${d.reason}`;
    const cancelled: Array<{ id: string; incident_id: string; title: string }> = await manager.query(
      `WITH cancelled AS (
         UPDATE tasking.tasks SET status = 'cancelled', cancelled_at = $2, cancel_reason = $3
          WHERE incident_id = ANY($1::uuid[]) AND status = 'open'
          RETURNING id, incident_id, title, created_at, step_key)
       SELECT id, incident_id, title FROM cancelled ORDER BY incident_id, created_at, step_key`,
      [d.mergedIncidentIds, at, reason],
    );
    await enqueueEvents(
      manager,
      'tasking',
      cancelled.map((task) => ({
        event: createEvent(TaskCancelledV1, {
          source: '/vigil/tasking',
          subject: task.incident_id,
          time: at,
          data: { taskId: task.id, incidentId: task.incident_id, title: task.title, cancelledAt: at.toISOString(), reason, actor: d.actor, mergedInto: into },
        }),
        topic: TaskCancelledV1.topic,
        key: task.incident_id,
      })),
    );
  }
}
