import { z } from 'zod';
import { IncidentSnapshot } from '../events/incidents';
import { TaskCreatedV1 } from '../events/tasks';
import { IncidentPhase, Timestamp } from '../vocabulary';

const Actor = z.string().trim().min(1).max(200).describe('who does it (user name or e-mail)');
const Reason = z.string().trim().min(1).max(2000);

export const AcknowledgeIncident = z
  .strictObject({
    actor: Actor.optional(),
    at: Timestamp.optional().describe('backdate the acknowledgement; needs a reason'),
    reason: Reason.optional(),
  })
  .refine((b) => !b.at || b.reason, { message: 'a backdated acknowledgement needs a reason', path: ['reason'] })
  .meta({ id: 'AcknowledgeIncident', examples: [{ actor: 'alice@soc.example' }] });
export type AcknowledgeIncident = z.infer<typeof AcknowledgeIncident>;

export const TransitionIncident = z
  .strictObject({
    to: IncidentPhase.describe('target phase'),
    actor: Actor.optional(),
    at: Timestamp.optional().describe('backdate the phase change; needs a reason'),
    reason: Reason.optional(),
  })
  .refine((b) => !b.at || b.reason, { message: 'a backdated transition needs a reason', path: ['reason'] })
  .meta({ id: 'TransitionIncident', examples: [{ to: 'contained', actor: 'bob@soc.example', reason: 'host isolated' }] });
export type TransitionIncident = z.infer<typeof TransitionIncident>;

export const IncidentView = IncidentSnapshot.extend({
  dedupKey: z.string(),
  createdAt: Timestamp,
  updatedAt: Timestamp,
}).meta({ id: 'Incident' });
export type IncidentView = z.infer<typeof IncidentView>;

export const Page = <T extends z.ZodType>(item: T, id: string) =>
  z
    .object({
      items: z.array(item),
      nextCursor: z.string().nullable().describe('pass as ?cursor= to get the next page; null on the last page'),
    })
    .meta({ id });

export const IncidentPage = Page(IncidentView, 'IncidentPage');

/** A task as the API shows it: the same fields as the event that announced it. */
export const TaskView = TaskCreatedV1.schema.extend({}).meta({ id: 'Task' });
export const TaskList = z.object({ items: z.array(TaskView) }).meta({ id: 'TaskList' });

export const DeliveryView = z.object({
  attempt: z.int(),
  at: Timestamp,
  outcome: z.enum(['delivered', 'failed']),
  statusCode: z.int().nullable(),
  error: z.string().nullable(),
  durationMs: z.int(),
});
export const NotificationView = z
  .object({
    notificationId: z.uuid(),
    incidentId: z.uuid(),
    channel: z.string(),
    audience: z.string(),
    status: z.enum(['pending', 'delivered', 'failed']),
    attempts: z.int(),
    createdAt: Timestamp,
    deliveredAt: Timestamp.nullable(),
    deliveries: z.array(DeliveryView),
  })
  .meta({ id: 'Notification' });
export const NotificationList = z.object({ items: z.array(NotificationView) }).meta({ id: 'NotificationList' });

export const TimelineEntry = z
  .object({
    at: Timestamp,
    type: z.string().describe('CloudEvents type of the event behind the entry'),
    source: z.string(),
    summary: z.string(),
    eventId: z.string(),
  })
  .meta({ id: 'TimelineEntry' });
export const Timeline = z
  .object({ incidentId: z.uuid(), entries: z.array(TimelineEntry) })
  .meta({ id: 'Timeline' });

export const MetricFigures = z.object({
  count: z.int(),
  meanSeconds: z.number().nullable(),
  p50Seconds: z.number().nullable(),
  p90Seconds: z.number().nullable(),
});
export const MetricsSummary = z
  .object({
    window: z.object({ from: Timestamp.nullable(), to: Timestamp.nullable() }),
    includesExercises: z.boolean(),
    mttd: MetricFigures,
    mtta: MetricFigures,
    mttc: MetricFigures,
    mttr: MetricFigures,
  })
  .meta({ id: 'MetricsSummary' });
export type MetricsSummary = z.infer<typeof MetricsSummary>;
