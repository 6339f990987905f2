import { Injectable } from '@nestjs/common';
import {
  PlaybookAppliedV1,
  TaskCancelledV1,
  TaskCompletedV1,
  TaskCreatedV1,
  TaskSkippedV1,
  type EventData,
} from '@vigil/contracts';
import { on, type HandlerRegistration } from '@vigil/messaging';
import type { EntityManager } from 'typeorm';

type TaskEnd = 'done' | 'skipped' | 'cancelled';

/**
 * What triage keeps from tasking's events: each incident's mandatory tasks and whether they are
 * still open (closing waits for them), and the recovery watch window of the incident's playbook.
 * A task's end (done, skipped, cancelled) is final, so an event replayed late cannot reopen it.
 */
@Injectable()
export class RecordPlaybookTasksHandler {
  /** The registrations triage's consumer takes for tasking's events. */
  registrations(): HandlerRegistration[] {
    return [
      on(TaskCreatedV1, (data, tx, meta) => this.created(data, meta.time, tx)),
      on(TaskCompletedV1, (data, tx, meta) => this.ended(data.taskId, 'done', meta.time, tx)),
      on(TaskSkippedV1, (data, tx, meta) => this.ended(data.taskId, 'skipped', meta.time, tx)),
      on(TaskCancelledV1, (data, tx, meta) => this.ended(data.taskId, 'cancelled', meta.time, tx)),
      on(PlaybookAppliedV1, (data, tx) => this.playbookApplied(data, tx)),
    ];
  }

  async created(d: EventData<typeof TaskCreatedV1>, time: string, manager: EntityManager): Promise<void> {
    if (!d.mandatory) return;
    await manager.query(
      `INSERT INTO triage.incident_mandatory_tasks (task_id, incident_id, title, state, updated_at) VALUES ($1, $2, $3, 'open', $4) ON CONFLICT (task_id) DO NOTHING`,
      [d.taskId, d.incidentId, d.title, time],
    );
  }

  async ended(taskId: string, state: TaskEnd, time: string, manager: EntityManager): Promise<void> {
    await manager.query(`UPDATE triage.incident_mandatory_tasks SET state = $2, updated_at = $3 WHERE task_id = $1`, [taskId, state, time]);
  }

  async playbookApplied(d: EventData<typeof PlaybookAppliedV1>, manager: EntityManager): Promise<void> {
    await manager.query(`UPDATE triage.incidents SET recovery_watch_days = $2 WHERE id = $1`, [d.incidentId, d.recoveryWatchDays]);
  }
}
