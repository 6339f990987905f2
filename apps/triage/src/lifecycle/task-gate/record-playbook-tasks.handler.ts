import { Injectable } from '@nestjs/common';
import {
  PlaybookAppliedV1,
  TaskCancelledV1,
  TaskCompletedV1,
  TaskCreatedV1,
  TaskSkippedV1,
  type CloudEvent,
  type EventData,
} from '@vigil/contracts';
import type { EntityManager } from 'typeorm';

/**
 * What triage keeps from tasking's events: each incident's mandatory tasks and whether they are
 * still open (closing waits for them), and the recovery watch window of the incident's playbook.
 * A task's end (done, skipped, cancelled) is final, so an event replayed late cannot reopen it.
 */
@Injectable()
export class RecordPlaybookTasksHandler {
  async handle(event: CloudEvent, manager: EntityManager): Promise<void> {
    switch (event.type) {
      case TaskCreatedV1.type: {
        const d = event.data as EventData<typeof TaskCreatedV1>;
        if (!d.mandatory) return;
        await manager.query(
          `INSERT INTO triage.incident_mandatory_tasks (task_id, incident_id, title, state, updated_at) VALUES ($1, $2, $3, 'open', $4) ON CONFLICT (task_id) DO NOTHING`,
          [d.taskId, d.incidentId, d.title, event.time],
        );
        return;
      }
      case TaskCompletedV1.type:
      case TaskSkippedV1.type:
      case TaskCancelledV1.type: {
        const d = event.data as EventData<typeof TaskCompletedV1>;
        const state = event.type === TaskCompletedV1.type ? 'done' : event.type === TaskSkippedV1.type ? 'skipped' : 'cancelled';
        await manager.query(`UPDATE triage.incident_mandatory_tasks SET state = $2, updated_at = $3 WHERE task_id = $1`, [d.taskId, state, event.time]);
        return;
      }
      case PlaybookAppliedV1.type: {
        const d = event.data as EventData<typeof PlaybookAppliedV1>;
        await manager.query(`UPDATE triage.incidents SET recovery_watch_days = $2 WHERE id = $1`, [d.incidentId, d.recoveryWatchDays]);
        return;
      }
    }
  }
}

/** The event types the handler takes (what triage's consumer routes to it). */
export const PLAYBOOK_TASK_EVENT_TYPES = [TaskCreatedV1.type, TaskCompletedV1.type, TaskSkippedV1.type, TaskCancelledV1.type, PlaybookAppliedV1.type];
