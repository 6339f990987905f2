import { Injectable } from '@nestjs/common';
import { AlertReceivedV1, TaskCancelledV1, TaskCompletedV1, TaskCreatedV1, type CloudEvent, type EventData } from '@vigil/contracts';
import type { EntityManager } from 'typeorm';

/**
 * Keeps what an incident report needs beyond the timeline: each alert as it was received (title,
 * source, severity, assets, observables), each task with who did it, and the state of the action
 * items whose tasks tasking reports on. Every write is idempotent (a replayed event changes nothing).
 */
@Injectable()
export class RecordIncidentRecordsHandler {
  async handle(event: CloudEvent, manager: EntityManager): Promise<void> {
    switch (event.type) {
      case AlertReceivedV1.type: {
        const d = event.data as EventData<typeof AlertReceivedV1>;
        await manager.query(
          `INSERT INTO reporting.alerts (alert_id, dedup_key, title, source, severity, category, occurred_at, received_at, assets, observables, exercise)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT (alert_id) DO NOTHING`,
          [d.alertId, d.dedupKey, d.title, d.source, d.severity, d.category ?? null, d.occurredAt ?? null, d.receivedAt, JSON.stringify(d.assets), JSON.stringify(d.observables), d.exercise],
        );
        return;
      }
      case TaskCreatedV1.type: {
        const d = event.data as EventData<typeof TaskCreatedV1>;
        await manager.query(
          `INSERT INTO reporting.tasks (task_id, incident_id, title, role, phase, playbook, status, due_at, created_at, assignee, action_item_id)
           VALUES ($1, $2, $3, $4, $5, $6, 'open', $7, $8, $9, $10) ON CONFLICT (task_id) DO NOTHING`,
          [d.taskId, d.incidentId, d.title, d.role, d.phase, d.playbook, d.dueAt, d.createdAt, d.assignee ?? null, d.actionItemId ?? null],
        );
        if (d.actionItemId) {
          await manager.query(`UPDATE reporting.action_items SET task_id = $2 WHERE action_item_id = $1 AND task_id IS NULL`, [d.actionItemId, d.taskId]);
        }
        return;
      }
      case TaskCompletedV1.type: {
        const d = event.data as EventData<typeof TaskCompletedV1>;
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
        return;
      }
      case TaskCancelledV1.type: {
        const d = event.data as EventData<typeof TaskCancelledV1>;
        await manager.query(`UPDATE reporting.tasks SET status = 'cancelled', cancelled_at = $2, cancel_reason = $3 WHERE task_id = $1 AND status = 'open'`, [
          d.taskId,
          d.cancelledAt,
          d.reason,
        ]);
        await manager.query(`UPDATE reporting.action_items SET status = 'cancelled' WHERE task_id = $1 AND status = 'open'`, [d.taskId]);
        return;
      }
      default:
        return;
    }
  }
}
