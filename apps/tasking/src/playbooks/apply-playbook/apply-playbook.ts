import { createEvent, PlaybookAppliedV1, TaskCreatedV1, type IncidentSeverity, type PlaybookStep, type ResponderRole } from '@vigil/contracts';
import { enqueueEvents } from '@vigil/messaging';
import { writeEntities } from '@vigil/platform';
import { randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { Task } from '../../persistence/task.entity';
import { slaMinutes } from '../library/playbook-rules';
import type { StoredPlaybook } from '../library/playbook-store';

/** What tasks are made for: the incident as tasking knows it when the playbook is applied. */
export interface PlaybookIncident {
  incidentId: string;
  severity: IncidentSeverity;
  /** The SLA clock's start (docs/playbooks.md: every task's clock starts at the declaration). */
  declaredAt: Date;
  exercise: boolean;
  /** The smallest recovery time objective of the incident's business services, when known. */
  rtoMinutes: number | null;
}

/** One task per step, due at declaration + the step's SLA for the incident's severity (a recovery step: the RTO where set). */
export function tasksForSteps(manager: EntityManager, incident: PlaybookIncident, playbook: StoredPlaybook, steps: readonly PlaybookStep[], now: Date): Task[] {
  return steps.map((step) =>
    manager.create(Task, {
      id: randomUUID(),
      incidentId: incident.incidentId,
      playbook: playbook.key,
      playbookVersion: playbook.version,
      stepKey: step.key,
      phase: step.phase,
      title: step.title,
      instructions: step.instructions,
      role: step.role as ResponderRole,
      mandatory: step.mandatory,
      dependsOn: step.dependsOn,
      gates: step.gates,
      action: step.action ?? null,
      severity: incident.severity,
      status: 'open',
      dueAt: new Date(incident.declaredAt.getTime() + slaMinutes(step, incident.severity, incident.rtoMinutes) * 60_000),
      exercise: incident.exercise,
      createdAt: now,
      cancelledAt: null,
      cancelReason: null,
      assignee: null,
      actionItemId: null,
      completedAt: null,
      completedBy: null,
      completionNote: null,
      startedAt: null,
      startedBy: null,
      skippedAt: null,
      skippedBy: null,
      skipReason: null,
      slaBreachedAt: null,
    }),
  );
}

/** Inserts the tasks and writes their events and the playbook's (in step order) to the outbox. */
export async function applyPlaybook(
  manager: EntityManager,
  incident: PlaybookIncident,
  playbook: StoredPlaybook,
  change: { tasks: Task[]; allTasks: Task[]; previousVersion: number | null; dropped: string[]; actor: string },
  now: Date,
): Promise<void> {
  await writeEntities(manager, Task, change.tasks);
  await manager.query(
    `INSERT INTO tasking.incident_playbooks (incident_id, playbook_key, version, recovery_watch_days, severity, declared_at, recovery_time_objective_minutes, applied_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
     ON CONFLICT (incident_id) DO UPDATE SET playbook_key = EXCLUDED.playbook_key, version = EXCLUDED.version, recovery_watch_days = EXCLUDED.recovery_watch_days, applied_at = EXCLUDED.applied_at`,
    [incident.incidentId, playbook.key, playbook.version, playbook.recoveryWatchDays, incident.severity, incident.declaredAt, incident.rtoMinutes, now],
  );
  const created = change.tasks.map((task) => ({
    event: createEvent(TaskCreatedV1, {
      source: '/vigil/tasking',
      subject: incident.incidentId,
      time: now,
      data: {
        taskId: task.id,
        incidentId: task.incidentId,
        playbook: task.playbook,
        phase: task.phase,
        title: task.title,
        role: task.role,
        status: 'open' as const,
        dueAt: task.dueAt!.toISOString(),
        createdAt: now.toISOString(),
        playbookVersion: playbook.version,
        stepKey: task.stepKey,
        mandatory: task.mandatory,
        dependsOn: task.dependsOn,
        gates: task.gates,
        ...(task.action ? { action: task.action } : {}),
      },
    }),
    topic: TaskCreatedV1.topic,
    key: incident.incidentId,
  }));
  const byKey = new Map(change.allTasks.map((t) => [t.stepKey, t]));
  const applied = {
    event: createEvent(PlaybookAppliedV1, {
      source: '/vigil/tasking',
      subject: incident.incidentId,
      time: now,
      data: {
        incidentId: incident.incidentId,
        playbook: playbook.key,
        version: playbook.version,
        previousVersion: change.previousVersion,
        recoveryWatchDays: playbook.recoveryWatchDays,
        steps: playbook.steps.map((s) => ({ key: s.key, taskId: byKey.get(s.key)?.id ?? null, phase: s.phase, title: s.title, role: s.role as ResponderRole, mandatory: s.mandatory })),
        addedSteps: change.tasks.map((t) => t.stepKey),
        droppedSteps: change.dropped,
        appliedAt: now.toISOString(),
        actor: change.actor,
      },
    }),
    topic: PlaybookAppliedV1.topic,
    key: incident.incidentId,
  };
  await enqueueEvents(manager, 'tasking', [...created, applied]);
}
