import { Injectable } from '@nestjs/common';
import {
  PlaybookAppliedV1,
  TaskCancelledV1,
  TaskCompletedV1,
  TaskCreatedV1,
  TaskSkippedV1,
} from '@vigil/contracts';
import { onRunOf, type HandlerRegistration, type RunOfEvent } from '@vigil/messaging';
import type { EntityManager } from 'typeorm';

type TaskEnd = 'done' | 'skipped' | 'cancelled';

/**
 * What triage keeps from tasking's events: each incident's mandatory tasks and whether they are
 * still open (closing waits for them), and the recovery watch window of the incident's playbook.
 * A task's end (done, skipped, cancelled) is final, so an event replayed late cannot reopen it.
 *
 * A run of tasking's events (many incidents' tasks, in the partition's order) is applied at once:
 * the incidents whose watch window it sets are locked first, in id order, as placement locks them.
 * Updating them one by one in the events' order deadlocked against placement's sorted locks.
 */
@Injectable()
export class RecordPlaybookTasksHandler {
  /** The registration triage's consumer takes for tasking's events. */
  registrations(): HandlerRegistration[] {
    return [onRunOf([TaskCreatedV1, TaskCompletedV1, TaskSkippedV1, TaskCancelledV1, PlaybookAppliedV1], (run, tx) => this.applyRun(run, tx))];
  }

  async applyRun(run: ReadonlyArray<RunOfEvent<TaskEvent>>, manager: EntityManager): Promise<void> {
    const watch = new Map<string, number | null>();
    const created = new Map<string, { incidentId: string; title: string; time: string }>();
    const ends = new Map<string, { state: TaskEnd; time: string }>();
    for (const e of run) {
      switch (e.type) {
        case PlaybookAppliedV1.type: {
          watch.set(e.data.incidentId, e.data.recoveryWatchDays);
          break;
        }
        case TaskCreatedV1.type: {
          const d = e.data;
          if (d.mandatory && !created.has(d.taskId)) created.set(d.taskId, { incidentId: d.incidentId, title: d.title, time: e.meta.time });
          break;
        }
        default: {
          // The last end of a task in the run is the one that stands, as applying them in order would leave it.
          ends.set(e.data.taskId, { state: END_OF[e.type], time: e.meta.time });
        }
      }
    }
    if (watch.size) {
      const ids = [...watch.keys()].sort();
      await manager.query(`SELECT 1 FROM triage.incidents WHERE id = ANY($1::uuid[]) ORDER BY id FOR NO KEY UPDATE`, [ids]);
      await manager.query(
        `UPDATE triage.incidents i SET recovery_watch_days = v.days FROM unnest($1::uuid[], $2::int[]) AS v(id, days) WHERE i.id = v.id`,
        [ids, ids.map((id) => watch.get(id))],
      );
    }
    if (created.size) {
      const rows = [...created];
      await manager.query(
        `INSERT INTO triage.incident_mandatory_tasks (task_id, incident_id, title, state, updated_at)
         SELECT task_id, incident_id, title, 'open', updated_at FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::timestamptz[]) AS t(task_id, incident_id, title, updated_at)
         ON CONFLICT (task_id) DO NOTHING`,
        [rows.map(([id]) => id), rows.map(([, t]) => t.incidentId), rows.map(([, t]) => t.title), rows.map(([, t]) => t.time)],
      );
    }
    if (ends.size) {
      const rows = [...ends].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
      await manager.query(
        `UPDATE triage.incident_mandatory_tasks m SET state = v.state, updated_at = v.updated_at
           FROM unnest($1::uuid[], $2::text[], $3::timestamptz[]) AS v(task_id, state, updated_at) WHERE m.task_id = v.task_id`,
        [rows.map(([id]) => id), rows.map(([, e]) => e.state), rows.map(([, e]) => e.time)],
      );
    }
  }
}

type TaskEvent = typeof TaskCreatedV1 | typeof TaskCompletedV1 | typeof TaskSkippedV1 | typeof TaskCancelledV1 | typeof PlaybookAppliedV1;

const END_OF: Record<string, TaskEnd> = {
  [TaskCompletedV1.type]: 'done',
  [TaskSkippedV1.type]: 'skipped',
  [TaskCancelledV1.type]: 'cancelled',
};
