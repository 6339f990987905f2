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
