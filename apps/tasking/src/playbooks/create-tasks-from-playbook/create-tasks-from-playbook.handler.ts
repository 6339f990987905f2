import { Injectable } from '@nestjs/common';
import { createEvent, IncidentOpenedV1, TaskCreatedV1, type CloudEvent, type EventData } from '@vigil/contracts';
import { enqueueEvents } from '@vigil/messaging';
import { randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { Task } from '../../persistence/task.entity';
import { lockTasksOfIncidents } from '../../tasks/merged-incident-lock';
import { DEFAULT_PLAYBOOK, type Playbook } from '../default-playbook';

/**
 * On incident opened: one task per playbook step, due relative to when the incident was declared.
 * None for an incident already merged into another (its merge was read first): that one has them.
 * The merge may be applied at this very moment on another partition: the lock makes one of the two
 * wait for the other, so a merge committed first is seen here, and tasks committed first are
 * cancelled by the merge.
 */
@Injectable()
export class CreateTasksFromPlaybookHandler {
  constructor(private readonly playbook: Playbook = DEFAULT_PLAYBOOK) {}

  async handle(event: CloudEvent, manager: EntityManager): Promise<void> {
    const { incident } = event.data as EventData<typeof IncidentOpenedV1>;
    await lockTasksOfIncidents(manager, [incident.incidentId]);
    const merged: unknown[] = await manager.query(`SELECT 1 FROM tasking.merged_incidents WHERE incident_id = $1`, [incident.incidentId]);
    if (merged.length > 0) return;
    const declaredAt = new Date(incident.timestamps.declaredAt);
    const now = new Date();
    const tasks = this.playbook.steps.map((step) =>
      manager.create(Task, {
        id: randomUUID(),
        incidentId: incident.incidentId,
        playbook: this.playbook.name,
        stepKey: step.key,
        phase: step.phase,
        title: step.title,
        role: step.role,
        status: 'open',
        dueAt: new Date(declaredAt.getTime() + step.dueMinutes[incident.severity] * 60_000),
        exercise: incident.exercise,
        createdAt: now,
        cancelledAt: null,
        cancelReason: null,
      }),
    );
    // All steps in one insert and their events in one outbox write, in playbook order.
    await manager.insert(Task, tasks);
    await enqueueEvents(
      manager,
      'tasking',
      tasks.map((task) => ({
        event: createEvent(TaskCreatedV1, {
          source: '/vigil/tasking',
          subject: incident.incidentId,
          data: {
            taskId: task.id,
            incidentId: task.incidentId,
            playbook: task.playbook,
            phase: task.phase,
            title: task.title,
            role: task.role,
            status: task.status,
            dueAt: task.dueAt!.toISOString(),
            createdAt: now.toISOString(),
          },
        }),
        topic: TaskCreatedV1.topic,
        key: incident.incidentId,
      })),
    );
  }
}
