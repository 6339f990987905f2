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
