import { z } from 'zod';
import { Topics } from '../topics';
import { IncidentPhase, IncidentSeverity, ResponderRole, Timestamp } from '../vocabulary';
import { defineEvent } from './define-event';

export const TaskCreatedV1 = defineEvent(
  'vigil.task.created.v1',
  Topics.tasks,
  z.object({
    taskId: z.uuid(),
    incidentId: z.uuid(),
    playbook: z.string(),
    phase: IncidentPhase,
    title: z.string(),
    role: ResponderRole,
    status: z.enum(['open', 'done', 'cancelled']),
    dueAt: Timestamp.nullable(),
    createdAt: Timestamp,
    // Added after the first release, so optional: older events on the topic lack them.
    assignee: z.string().nullable().optional().describe('the person the task is for, when it is for one person (an action item\'s owner)'),
    actionItemId: z.uuid().optional().describe('the review or exercise action item this task carries out'),
    playbookVersion: z.int().positive().optional().describe('the version of the playbook the task comes from'),
    stepKey: z.string().optional().describe('the playbook step the task carries out'),
    mandatory: z.boolean().optional().describe('the incident cannot be closed while the task is open or in progress'),
    dependsOn: z.array(z.string()).optional().describe('steps to be done or skipped before this task can start'),
    gates: z.array(z.string()).optional().describe('steps to be done before this task can start'),
    action: z.object({ kind: z.string(), connector: z.string() }).optional().describe('the response action the step carries out'),
  }),
);

/** A task will not be done: e.g. its incident was merged into another, whose own tasks carry the work. */
export const TaskCancelledV1 = defineEvent(
  'vigil.task.cancelled.v1',
  Topics.tasks,
  z.object({
    taskId: z.uuid(),
    incidentId: z.uuid(),
    title: z.string(),
    cancelledAt: Timestamp,
    reason: z.string(),
    actor: z.string(),
    /** The incident this task's incident was merged into, when that is why. */
    mergedInto: z.uuid().nullable(),
  }),
);

/** A task was done: by whom and when (an action item's task done is its action item done). */
export const TaskCompletedV1 = defineEvent(
  'vigil.task.completed.v1',
  Topics.tasks,
  z.object({
    taskId: z.uuid(),
    incidentId: z.uuid(),
    title: z.string(),
    completedAt: Timestamp,
    actor: z.string(),
    note: z.string().nullable(),
    actionItemId: z.uuid().nullable().describe('the action item the task carried out, if any'),
  }),
);

/** Someone started working on a task (its dependencies and gates were done and its phase reached). */
export const TaskStartedV1 = defineEvent(
  'vigil.task.started.v1',
  Topics.tasks,
  z.object({ taskId: z.uuid(), incidentId: z.uuid(), title: z.string(), startedAt: Timestamp, actor: z.string(), note: z.string().nullable() }),
);

/** A task will not be done because it does not apply (the reason says why); dependants may start. */
export const TaskSkippedV1 = defineEvent(
  'vigil.task.skipped.v1',
  Topics.tasks,
  z.object({ taskId: z.uuid(), incidentId: z.uuid(), title: z.string(), skippedAt: Timestamp, actor: z.string(), reason: z.string() }),
);

/** A task was handed to a person and/or a role. */
export const TaskAssignedV1 = defineEvent(
  'vigil.task.assigned.v1',
  Topics.tasks,
  z.object({
    taskId: z.uuid(),
    incidentId: z.uuid(),
    title: z.string(),
    assignee: z.string().nullable(),
    role: ResponderRole,
    assignedAt: Timestamp,
    actor: z.string(),
  }),
);

/** A note or an evidence link was added to a task. */
export const TaskNoteAddedV1 = defineEvent(
  'vigil.task.note-added.v1',
  Topics.tasks,
  z.object({
    taskId: z.uuid(),
    incidentId: z.uuid(),
    noteId: z.uuid(),
    title: z.string(),
    text: z.string().nullable(),
    evidenceUrl: z.string().nullable(),
    author: z.string(),
    addedAt: Timestamp,
  }),
);

/** A task passed its due time without being done or skipped (once per task). */
export const TaskSlaBreachedV1 = defineEvent(
  'vigil.task.sla-breached.v1',
  Topics.tasks,
  z.object({
    taskId: z.uuid(),
    incidentId: z.uuid(),
    title: z.string(),
    phase: IncidentPhase,
    role: ResponderRole,
    assignee: z.string().nullable(),
    severity: IncidentSeverity,
    mandatory: z.boolean(),
    dueAt: Timestamp,
    breachedAt: Timestamp,
    exercise: z.boolean(),
  }),
);

const AppliedStep = z.object({
  key: z.string(),
  taskId: z.uuid().nullable(),
  phase: IncidentPhase,
  title: z.string(),
  role: ResponderRole,
  mandatory: z.boolean(),
});

/** An incident got its playbook, or was moved to another version of it. */
export const PlaybookAppliedV1 = defineEvent(
  'vigil.playbook.applied.v1',
  Topics.tasks,
  z.object({
    incidentId: z.uuid(),
    playbook: z.string(),
    version: z.int().positive(),
    previousVersion: z.int().positive().nullable().describe('the version the incident had before an explicit move; null on the first application'),
    recoveryWatchDays: z.int().nullable().describe('days after recovery during which recurrences attach to the incident'),
    steps: z.array(AppliedStep),
    addedSteps: z.array(z.string()),
    droppedSteps: z.array(z.string()),
    appliedAt: Timestamp,
    actor: z.string(),
  }),
);
