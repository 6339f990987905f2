import { Injectable } from '@nestjs/common';
import type { EventData, IncidentMergedV1 } from '@vigil/contracts';
import type { EntityManager } from 'typeorm';
import { cancelUnfinishedTasks } from '../cancel-tasks';
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
  /** `time`: when the merge happened (the event's time). */
  async handle(d: EventData<typeof IncidentMergedV1>, time: string, manager: EntityManager): Promise<void> {
    const into = d.incident.incidentId;
    const at = new Date(time);
    await lockTasksOfIncidents(manager, d.mergedIncidentIds);
    await manager.query(
      `INSERT INTO tasking.merged_incidents (incident_id, merged_into, merged_at)
       SELECT id, $2, $3 FROM unnest($1::uuid[]) AS id ON CONFLICT (incident_id) DO NOTHING`,
      [d.mergedIncidentIds, into, at],
    );
    const reason = `incident merged into ${into} by ${d.actor}: ${d.reason}`;
    await cancelUnfinishedTasks(manager, { incidentIds: d.mergedIncidentIds, at, reason, actor: d.actor, mergedInto: into });
  }
}
