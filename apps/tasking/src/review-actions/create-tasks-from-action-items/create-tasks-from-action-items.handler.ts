import { Injectable } from '@nestjs/common';
import { createEvent, ReviewActionItemAddedV1, TaskCreatedV1, type CloudEvent, type EventData } from '@vigil/contracts';
import { enqueueEvents } from '@vigil/messaging';
import { randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { actionItemTaskTitle, REVIEW_PLAYBOOK, ROLE_OF_ACTION } from './action-item-task';

/**
 * On an action item added to a post-incident review (or an exercise's improvement plan): one task
 * for its owner, due when the action item is. When the task is done, tasking says so
 * (vigil.task.completed.v1) and reporting marks the action item done. Once per action item.
 */
@Injectable()
export class CreateTasksFromActionItemsHandler {
  async handle(event: CloudEvent, manager: EntityManager): Promise<void> {
    const { actionItem: item } = event.data as EventData<typeof ReviewActionItemAddedV1>;
    const now = new Date();
    const task = {
      id: randomUUID(),
      title: actionItemTaskTitle(item.type, item.title),
      role: ROLE_OF_ACTION[item.type],
    };
    const created: unknown[] = await manager.query(
      `INSERT INTO tasking.tasks (id, incident_id, playbook, step_key, phase, title, role, status, due_at, exercise, created_at, assignee, action_item_id)
       VALUES ($1, $2, $3, $4, 'post_incident', $5, $6, 'open', $7, $8, $9, $10, $11)
       ON CONFLICT DO NOTHING RETURNING id`,
      [task.id, item.incidentId, REVIEW_PLAYBOOK, item.actionItemId, task.title, task.role, new Date(item.dueAt), item.exercise, now, item.owner, item.actionItemId],
    );
    if (created.length === 0) return; // a replay: the task exists
    await enqueueEvents(manager, 'tasking', [
      {
        event: createEvent(TaskCreatedV1, {
          source: '/vigil/tasking',
          subject: item.incidentId,
          data: {
            taskId: task.id,
            incidentId: item.incidentId,
            playbook: REVIEW_PLAYBOOK,
            phase: 'post_incident',
            title: task.title,
            role: task.role,
            status: 'open',
            dueAt: new Date(item.dueAt).toISOString(),
            createdAt: now.toISOString(),
            assignee: item.owner,
            actionItemId: item.actionItemId,
          },
        }),
        topic: TaskCreatedV1.topic,
        key: item.incidentId,
      },
    ]);
  }
}
