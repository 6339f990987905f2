import { z } from 'zod';
import { AudienceKey, DecisionKind, MessagePurpose, ObligationStatus } from '../api/comms';
import { Topics } from '../topics';
import { IncidentSeverity, Timestamp } from '../vocabulary';
import { defineEvent } from './define-event';

const NotificationOutcome = z.object({
  notificationId: z.uuid(),
  incidentId: z.uuid(),
  channel: z.string().describe('the channel kind: webhook, slack, teams, email'),
  audience: z.string(),
  attempts: z.int().nonnegative(),
  at: Timestamp,
  lastError: z.string().nullable(),
  // Added with messages and named channels; absent in older events.
  messageId: z.uuid().nullable().optional(),
  channelName: z.string().nullable().optional(),
});

/** One channel delivered a notification (a message, or a page) after this many attempts. */
export const NotificationDeliveredV1 = defineEvent('vigil.notification.delivered.v1', Topics.comms, NotificationOutcome);
/** One channel gave up on a notification. */
export const NotificationFailedV1 = defineEvent('vigil.notification.failed.v1', Topics.comms, NotificationOutcome);

const MessageRef = {
  messageId: z.uuid(),
  incidentId: z.uuid(),
  audience: AudienceKey,
  purpose: MessagePurpose,
  textSha256: z.string().describe('SHA-256 of the subject, a newline and the text'),
};

/** A message to an audience that needs approval was drafted. */
export const MessageAwaitingApprovalV1 = defineEvent(
  'vigil.message.awaiting-approval.v1',
  Topics.comms,
  z.object({ ...MessageRef, draftedBy: z.string(), approverRoles: z.array(z.string()), at: Timestamp }),
);

/** A message was approved (and went to its channels). */
export const MessageApprovedV1 = defineEvent(
  'vigil.message.approved.v1',
  Topics.comms,
  z.object({ ...MessageRef, approvedBy: z.string(), comment: z.string().nullable(), at: Timestamp }),
);

export const MessageRejectedV1 = defineEvent(
  'vigil.message.rejected.v1',
  Topics.comms,
  z.object({ ...MessageRef, rejectedBy: z.string(), reason: z.string(), at: Timestamp }),
);

/** Every channel of a message has delivered or given up: what went where, as recorded in the ledger. */
export const MessageSentV1 = defineEvent(
  'vigil.message.sent.v1',
  Topics.comms,
  z.object({
    ...MessageRef,
    outcome: z.enum(['sent', 'partially_sent', 'failed']),
    draftedBy: z.string(),
    approvedBy: z.string().nullable(),
    channels: z.array(z.object({ name: z.string(), kind: z.string(), recipients: z.array(z.string()), delivered: z.boolean() })),
    automatic: z.boolean(),
    at: Timestamp,
  }),
);

/** A person (or the classification) recorded a decision that starts regulatory clocks. */
export const DecisionRecordedV1 = defineEvent(
  'vigil.decision.recorded.v1',
  Topics.comms,
  z.object({
    decisionId: z.uuid(),
    incidentId: z.uuid(),
    kind: DecisionKind,
    effectiveAt: Timestamp,
    awareAt: Timestamp,
    decidedBy: z.string(),
    reason: z.string(),
    implied: z.boolean(),
    recordedAt: Timestamp,
  }),
);

/** A regulatory clock as events carry it. */
export const ObligationSnapshot = z.object({
  obligationId: z.uuid(),
  incidentId: z.uuid(),
  rule: z.string(),
  stage: z.string(),
  regulation: z.string(),
  title: z.string(),
  citation: z.string(),
  audience: AudienceKey,
  status: ObligationStatus,
  startedAt: Timestamp,
  deadline: Timestamp.nullable(),
  deadlineKind: z.enum(['statutory', 'target', 'none']),
});
export type ObligationSnapshot = z.infer<typeof ObligationSnapshot>;

export const ObligationOpenedV1 = defineEvent('vigil.obligation.opened.v1', Topics.comms, z.object({ obligation: ObligationSnapshot, decisionId: z.uuid() }));
/** Reminder: a deadline is near. */
export const ObligationApproachingV1 = defineEvent(
  'vigil.obligation.approaching.v1',
  Topics.comms,
  z.object({ obligation: ObligationSnapshot, timeLeftSeconds: z.number(), at: Timestamp }),
);
/** Escalation trigger: a deadline passed with nothing submitted. */
export const ObligationMissedV1 = defineEvent(
  'vigil.obligation.missed.v1',
  Topics.comms,
  z.object({ obligation: ObligationSnapshot, at: Timestamp, severity: IncidentSeverity.nullable() }),
);
export const ObligationSubmittedV1 = defineEvent(
  'vigil.obligation.submitted.v1',
  Topics.comms,
  z.object({ obligation: ObligationSnapshot, submittedAt: Timestamp, submittedBy: z.string(), reference: z.string().nullable(), lateReason: z.string().nullable() }),
);
/** A clock stopped or started again where the law allows (law-enforcement delay), or was waived. */
export const ObligationChangedV1 = defineEvent(
  'vigil.obligation.changed.v1',
  Topics.comms,
  z.object({ obligation: ObligationSnapshot, change: z.enum(['paused', 'resumed', 'waived', 'moved_earlier', 'deadline_set']), actor: z.string(), reason: z.string(), at: Timestamp }),
);

const StatusUpdateClock = {
  incidentId: z.uuid(),
  audience: AudienceKey,
  severity: IncidentSeverity,
  intervalSeconds: z.int().positive(),
  lastUpdateAt: Timestamp.nullable(),
  dueAt: Timestamp,
};
/** Reminder: a status update to an audience is due. */
export const StatusUpdateDueV1 = defineEvent('vigil.status-update.due.v1', Topics.comms, z.object({ ...StatusUpdateClock, at: Timestamp }));
/** Escalation trigger: a status update was not sent within the grace period after it fell due. */
export const StatusUpdateMissedV1 = defineEvent(
  'vigil.status-update.missed.v1',
  Topics.comms,
  z.object({ ...StatusUpdateClock, graceSeconds: z.int().positive(), at: Timestamp }),
);

/** Comms events that should escalate (tasking's escalation policies listen for them). */
export const COMMS_ESCALATION_TRIGGERS: readonly string[] = [ObligationMissedV1.type, StatusUpdateMissedV1.type];
