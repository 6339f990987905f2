import { Injectable } from '@nestjs/common';
import type { AlertReceivedV1, EventData, TaskCancelledV1, TaskCompletedV1, TaskCreatedV1, TaskSkippedV1 } from '@vigil/contracts';
import type { EntityManager } from 'typeorm';

/**
 * Keeps what an incident report needs beyond the timeline: each alert as it was received (title,
 * source, severity, assets, observables), each task with who did it, and the state of the action
 * items whose tasks tasking reports on. Every write is idempotent (a replayed event changes nothing).
 */
@Injectable()
export class RecordIncidentRecordsHandler {
  /** The run's alerts as received, in one statement. */
  async alertsReceived(alerts: ReadonlyArray<EventData<typeof AlertReceivedV1>>, manager: EntityManager): Promise<void> {
    if (alerts.length === 0) return;
    await manager.query(
      `INSERT INTO reporting.alerts (alert_id, dedup_key, title, source, severity, category, occurred_at, received_at, assets, observables, exercise)
       SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::timestamptz[], $8::timestamptz[], $9::jsonb[], $10::jsonb[], $11::boolean[])
       ON CONFLICT (alert_id) DO NOTHING`,
      [
        alerts.map((d) => d.alertId),
        alerts.map((d) => d.dedupKey),
        alerts.map((d) => d.title),
        alerts.map((d) => d.source),
        alerts.map((d) => d.severity),
        alerts.map((d) => d.category ?? null),
        alerts.map((d) => d.occurredAt ?? null),
        alerts.map((d) => d.receivedAt),
        alerts.map((d) => JSON.stringify(d.assets)),
        alerts.map((d) => JSON.stringify(d.observables)),
        alerts.map((d) => d.exercise),
      ],
    );
  }

  /** A run's new tasks in one statement (a playbook applied is several at once), and the action items they carry out in another. */
  async tasksCreated(tasks: ReadonlyArray<EventData<typeof TaskCreatedV1>>, manager: EntityManager): Promise<void> {
    if (tasks.length === 0) return;
    await manager.query(
      `INSERT INTO reporting.tasks (task_id, incident_id, title, role, phase, playbook, status, due_at, created_at, assignee, action_item_id)
       SELECT task_id, incident_id, title, role, phase, playbook, 'open', due_at, created_at, assignee, action_item_id
         FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::text[], $6::text[], $7::timestamptz[], $8::timestamptz[], $9::text[], $10::uuid[])
           AS t(task_id, incident_id, title, role, phase, playbook, due_at, created_at, assignee, action_item_id)
       ON CONFLICT (task_id) DO NOTHING`,
      [
        tasks.map((d) => d.taskId),
        tasks.map((d) => d.incidentId),
        tasks.map((d) => d.title),
        tasks.map((d) => d.role),
        tasks.map((d) => d.phase),
        tasks.map((d) => d.playbook),
        tasks.map((d) => d.dueAt ?? null),
        tasks.map((d) => d.createdAt),
        tasks.map((d) => d.assignee ?? null),
        tasks.map((d) => d.actionItemId ?? null),
      ],
    );
    const linked = tasks.filter((d) => d.actionItemId);
    if (linked.length === 0) return;
    await manager.query(
      `UPDATE reporting.action_items a SET task_id = u.task_id
         FROM unnest($1::uuid[], $2::uuid[]) AS u(action_item_id, task_id)
        WHERE a.action_item_id = u.action_item_id AND a.task_id IS NULL`,
      [linked.map((d) => d.actionItemId), linked.map((d) => d.taskId)],
    );
  }

  async taskCompleted(d: EventData<typeof TaskCompletedV1>, manager: EntityManager): Promise<void> {
    await manager.query(`UPDATE reporting.tasks SET status = 'done', completed_at = $2, completed_by = $3 WHERE task_id = $1 AND status <> 'done'`, [
      d.taskId,
      d.completedAt,
      d.actor,
    ]);
    // The action item is done when its task is: by whom and when, as tasking reports it.
    await manager.query(
      `UPDATE reporting.action_items SET status = 'done', completed_at = $3, completed_by = $4, task_id = coalesce(task_id, $2)
        WHERE status = 'open' AND (task_id = $2 OR action_item_id = $1)`,
      [d.actionItemId, d.taskId, d.completedAt, d.actor],
    );
  }

  /** Skipped with a reason: decided, so neither missed nor pending; the reason is kept for the report. */
  async taskSkipped(d: EventData<typeof TaskSkippedV1>, manager: EntityManager): Promise<void> {
    await manager.query(`UPDATE reporting.tasks SET status = 'skipped', completed_at = $2, completed_by = $3, cancel_reason = $4 WHERE task_id = $1 AND status = 'open'`, [
      d.taskId,
      d.skippedAt,
      d.actor,
      d.reason,
    ]);
  }

  async taskCancelled(d: EventData<typeof TaskCancelledV1>, manager: EntityManager): Promise<void> {
    await manager.query(`UPDATE reporting.tasks SET status = 'cancelled', cancelled_at = $2, cancel_reason = $3 WHERE task_id = $1 AND status = 'open'`, [
      d.taskId,
      d.cancelledAt,
      d.reason,
    ]);
    await manager.query(`UPDATE reporting.action_items SET status = 'cancelled' WHERE task_id = $1 AND status = 'open'`, [d.taskId]);
  }
}
