import { z } from 'zod';
import { Topics } from '../topics';
import { IncidentPhase, ResponderRole, Timestamp } from '../vocabulary';
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
