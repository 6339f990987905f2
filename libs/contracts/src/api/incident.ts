import { z } from 'zod';
import { ClockField, CorrelationReason, IncidentClassification, IncidentSnapshot } from '../events/incidents';
import { TaskCreatedV1 } from '../events/tasks';
import {
  AlertSeverity,
  FunctionalImpact,
  IncidentCategory,
  IncidentPhase,
  IncidentSeverity,
  InformationImpact,
  Recoverability,
  Timestamp,
} from '../vocabulary';

/** A person named in a body (an owner, a responder): their identity subject or e-mail address. */
export const Actor = z.string().trim().min(1).max(200).describe('a person, by identity subject or e-mail address');
export const Reason = z.string().trim().min(1).max(2000);

export const AcknowledgeIncident = z
  .strictObject({
    at: Timestamp.optional().describe('backdate the acknowledgement; needs a reason'),
    reason: Reason.optional(),
  })
  .refine((b) => !b.at || b.reason, { message: 'a backdated acknowledgement needs a reason', path: ['reason'] })
  // The refinements, in JSON Schema too, so that the API document says exactly what is accepted.
  .meta({ id: 'AcknowledgeIncident', examples: [{}], dependentRequired: { at: ['reason'] } });
export type AcknowledgeIncident = z.infer<typeof AcknowledgeIncident>;

export const TransitionIncident = z
  .strictObject({
    to: IncidentPhase.describe('target phase'),
    at: Timestamp.optional().describe('backdate the phase change; needs a reason'),
    reason: Reason.optional(),
  })
  .refine((b) => !b.at || b.reason, { message: 'a backdated transition needs a reason', path: ['reason'] })
  .meta({ id: 'TransitionIncident', examples: [{ to: 'contained', reason: 'host isolated' }], dependentRequired: { at: ['reason'] } });
export type TransitionIncident = z.infer<typeof TransitionIncident>;

/** Who set a clock timestamp by hand, and why (backdating or correction). */
export const ClockNote = z.object({ by: z.string(), reason: z.string().nullable(), at: Timestamp.describe('when the note was made') });

export const IncidentView = IncidentSnapshot.extend({
  dedupKey: z.string(),
  classification: IncidentClassification,
  owner: z.string().nullable(),
  responders: z.array(z.string()),
  mergedInto: z.uuid().nullable(),
  assetIds: z.array(z.uuid()).describe('registered assets the incident involves'),
  clockNotes: z.record(z.string(), ClockNote).describe('per clock field set by hand: who and why'),
  recurrenceCount: z.int().nonnegative().describe('alerts attached as recurrences during the recovery watch (0: none)'),
  lastRecurrenceAt: Timestamp.nullable().describe('when the latest recurrence was received (null: none)'),
  recoveryWatchDays: z.int().positive().nullable().describe("the incident's recovery watch in days (null: the service's default)"),
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

export const ClassifyIncident = z
  .strictObject({
    category: IncidentCategory.optional(),
    functionalImpact: FunctionalImpact.optional(),
    informationImpact: InformationImpact.optional(),
    recoverability: Recoverability.optional(),
    severity: IncidentSeverity.optional().describe('overrides the severity matrix; left out, the matrix decides'),
    reason: Reason.describe('why the classification changes (kept in the history)'),
  })
  .refine((b) => b.category ?? b.functionalImpact ?? b.informationImpact ?? b.recoverability ?? b.severity, {
    message: 'name at least one of category, functionalImpact, informationImpact, recoverability, severity',
  })
  .meta({
    id: 'ClassifyIncident',
    anyOf: ['category', 'functionalImpact', 'informationImpact', 'recoverability', 'severity'].map((name) => ({ required: [name] })),
    examples: [{ category: 'ransomware', functionalImpact: 'high', informationImpact: 'integrity', recoverability: 'extended', reason: 'encryption confirmed on two file servers' }],
  });
export type ClassifyIncident = z.infer<typeof ClassifyIncident>;

export const AssignIncident = z
  .strictObject({
    owner: Actor.nullable().optional().describe('the IR manager who owns the incident; null to clear'),
    responders: z.array(Actor).max(50).optional().describe('replaces the responders'),
    reason: Reason.optional(),
  })
  .refine((b) => b.owner !== undefined || b.responders !== undefined, { message: 'name owner, responders or both' })
  .meta({ id: 'AssignIncident', anyOf: [{ required: ['owner'] }, { required: ['responders'] }], examples: [{ owner: 'irene@soc.example', responders: ['bob@soc.example', 'sysadmin@corp.example'] }] });
export type AssignIncident = z.infer<typeof AssignIncident>;

export const AddNote = z
  .strictObject({ body: z.string().trim().min(1).max(20_000) })
  .meta({ id: 'AddNote', examples: [{ body: 'Isolated web-01 from the VLAN; memory image taken.' }] });
export type AddNote = z.infer<typeof AddNote>;

export const NoteView = z
  .object({ noteId: z.uuid(), incidentId: z.uuid(), author: z.string().describe('the subject of the token that added it'), authorName: z.string().nullable(), body: z.string(), createdAt: Timestamp })
  .meta({ id: 'Note' });
export const NoteList = z.object({ items: z.array(NoteView) }).meta({ id: 'NoteList' });

export const LinkRelation = z.enum(['related', 'duplicate', 'caused_by', 'causes']);
export const LinkIncident = z
  .strictObject({ incidentId: z.uuid(), relation: LinkRelation.default('related'), reason: Reason.optional() })
  .meta({ id: 'LinkIncident', examples: [{ incidentId: '0b6f3c52-8f0e-4d44-9d7a-2d8c7f1e9a10', relation: 'related' }] });
export type LinkIncident = z.infer<typeof LinkIncident>;
export const LinkView = z
  .object({ incidentId: z.uuid(), relation: z.string(), createdBy: z.string(), createdAt: Timestamp })
  .meta({ id: 'IncidentLink' });
export const LinkList = z.object({ items: z.array(LinkView) }).meta({ id: 'IncidentLinkList' });

export const MergeIncidents = z
  .strictObject({
    incidentIds: z.array(z.uuid()).min(1).max(50).describe('incidents to merge into this one; they end in phase merged'),
    reason: Reason,
  })
  .meta({ id: 'MergeIncidents', examples: [{ incidentIds: ['0b6f3c52-8f0e-4d44-9d7a-2d8c7f1e9a10'], reason: 'same phishing campaign' }] });
export type MergeIncidents = z.infer<typeof MergeIncidents>;

export const MoveAlert = z
  .strictObject({ alertId: z.uuid().describe('the alert to move into this incident'), reason: Reason })
  .meta({ id: 'MoveAlert', examples: [{ alertId: '6f1c1f9e-3a57-4c38-9a43-0c3b7e2f4c11', reason: 'same host, same intrusion' }] });
export type MoveAlert = z.infer<typeof MoveAlert>;

export const PromoteAlert = z
  .strictObject({ reason: Reason.optional() })
  .meta({ id: 'PromoteAlert', examples: [{ reason: 'third low-severity hit from the same address' }] });
export type PromoteAlert = z.infer<typeof PromoteAlert>;

export const CorrectClock = z
  .strictObject({
    field: ClockField.exclude(['declaredAt']).describe('the timestamp to correct (declaredAt is when triage opened it and is never edited)'),
    at: Timestamp,
    reason: Reason,
  })
  .meta({ id: 'CorrectClock', examples: [{ field: 'occurredAt', at: '2026-11-23T22:10:00Z', reason: 'proxy logs show the first beacon at 22:10' }] });
export type CorrectClock = z.infer<typeof CorrectClock>;

export const HistoryEntryView = z
  .object({
    at: Timestamp,
    actor: z.string().describe('the subject of the token that made the change (or the system part that did)'),
    actorName: z.string().nullable().describe('their display name, where the token had one'),
    actorEmail: z.string().nullable().describe('their e-mail address, where the token had one'),
    action: z.string(),
    fromPhase: IncidentPhase.nullable(),
    toPhase: IncidentPhase.nullable(),
    effectiveAt: Timestamp.nullable(),
    reason: z.string().nullable(),
    details: z.record(z.string(), z.unknown()).nullable(),
  })
  .meta({ id: 'IncidentHistoryEntry' });
export const HistoryList = z.object({ items: z.array(HistoryEntryView) }).meta({ id: 'IncidentHistory' });

export const AlertDisposition = z.enum(['attached', 'pending', 'suppressed']);
export type AlertDisposition = z.infer<typeof AlertDisposition>;

/** An alert as triage knows it: which incident it is in, or why it is in none. */
export const TriageAlertView = z
  .object({
    alertId: z.uuid(),
    dedupKey: z.string(),
    title: z.string(),
    source: z.string(),
    severity: AlertSeverity,
    category: IncidentCategory.nullable(),
    disposition: AlertDisposition.describe('attached to an incident, pending promotion (below the severity threshold) or suppressed by a rule'),
    incidentId: z.uuid().nullable(),
    correlatedBy: CorrelationReason.nullable(),
    suppressionRuleId: z.uuid().nullable(),
    occurrences: z.int().positive(),
    sourceStatus: z.enum(['triggered', 'acknowledged', 'resolved']),
    exercise: z.boolean(),
    occurredAt: Timestamp,
    receivedAt: Timestamp,
    lastSeenAt: Timestamp.nullable(),
  })
  .meta({ id: 'TriageAlert' });
export type TriageAlertView = z.infer<typeof TriageAlertView>;
export const TriageAlertPage = Page(TriageAlertView, 'TriageAlertPage');

/** A task as the API shows it: the same fields as the event that announced it. */
export const TaskView = TaskCreatedV1.schema
  .extend({
    cancelledAt: Timestamp.nullable().describe('when the task was cancelled, if it was'),
    cancelReason: z.string().nullable().describe('why, e.g. its incident was merged into another'),
    completedAt: Timestamp.nullable().optional().describe('when the task was done, if it was'),
    completedBy: z.string().nullable().optional().describe('who did it'),
    status: z.enum(['open', 'in_progress', 'done', 'skipped', 'cancelled']),
    blocked: z.boolean().optional().describe('an open task that cannot start yet: see blockedBy'),
    blockedBy: z
      .array(z.string())
      .optional()
      .describe('what it waits for: the step keys of open dependencies and gates, and "phase:<phase>" while the incident has not reached the task\'s phase'),
    instructions: z.string().optional().describe('Markdown, shown as text'),
    startedAt: Timestamp.nullable().optional(),
    startedBy: z.string().nullable().optional(),
    skipReason: z.string().nullable().optional(),
    slaBreachedAt: Timestamp.nullable().optional().describe('when the task passed its due time unfinished'),
  })
  .meta({ id: 'Task' });
export const TaskList = z.object({ items: z.array(TaskView) }).meta({ id: 'TaskList' });

export const CompleteTask = z
  .strictObject({ note: z.string().trim().min(1).max(2000).optional().describe('what was done, for the record') })
  .meta({ id: 'CompleteTask', examples: [{ note: 'rule deployed to every EDR policy' }] });
export type CompleteTask = z.infer<typeof CompleteTask>;

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
    eventId: z.string().describe('the (first) event behind the entry'),
    count: z.int().min(1).describe('events the entry stands for: the repeats of an alert are one entry, counted (1 for every other entry)'),
    lastAt: Timestamp.describe('when the newest of them happened (`at` is the first); equal to `at` for an entry of one event'),
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

export const RestrictIncident = z
  .strictObject({
    restricted: z.boolean().describe('true: only the owner, the responders, IR managers and auditors see the incident'),
    reason: Reason.describe('why (insider threat, executive compromise, legal hold …); kept in the history'),
  })
  .meta({ id: 'RestrictIncident', examples: [{ restricted: true, reason: 'insider threat: need to know' }] });
export type RestrictIncident = z.infer<typeof RestrictIncident>;
