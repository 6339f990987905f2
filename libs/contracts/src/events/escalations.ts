import { z } from 'zod';
import { ContactMethod, EscalationTarget, StepPosition } from '../api/oncall';
import { Topics } from '../topics';
import { IncidentCategory, IncidentSeverity, Timestamp } from '../vocabulary';
import { defineEvent } from './define-event';

/**
 * Escalations (tasking): started by a trigger, one event per step that ran, one page request per
 * person paged, and how each ended. Comms delivers each page and reports the outcome
 * (`vigil.page.delivered.v1`, `vigil.page.failed.v1` on vigil.comms.v1). Keyed by incident id.
 */

const Trigger = z.object({
  kind: z.string().describe('the trigger that started it: incident-opened, severity-raised, …'),
  reason: z.string(),
});

export const EscalationStartedV1 = defineEvent(
  'vigil.escalation.started.v1',
  Topics.escalations,
  z.object({
    escalationId: z.uuid(),
    incidentId: z.uuid(),
    policyId: z.uuid(),
    policyName: z.string(),
    policyVersion: z.int().positive(),
    trigger: Trigger,
    severity: IncidentSeverity,
    exercise: z.boolean(),
    startedAt: Timestamp,
  }),
);

const PagedPerson = z.object({ pageId: z.uuid(), personId: z.uuid(), name: z.string() });

export const EscalationStepExecutedV1 = defineEvent(
  'vigil.escalation.step-executed.v1',
  Topics.escalations,
  z.object({
    escalationId: z.uuid(),
    incidentId: z.uuid(),
    step: StepPosition,
    targets: z.array(EscalationTarget).describe('as the policy version names them'),
    paged: z.array(PagedPerson),
    unresolved: z.array(z.object({ target: EscalationTarget, reason: z.string() })).describe('targets that named nobody to page (e.g. a gap in a schedule)'),
    executedAt: Timestamp,
    nextStepDueAt: Timestamp.nullable().describe('when the next step runs unless someone acknowledges; the end of the escalation when it was the last'),
  }),
);

/** Tasking asks comms to page one person: everything they need to act on the incident. */
export const PageRequestedV1 = defineEvent(
  'vigil.page.requested.v1',
  Topics.escalations,
  z.object({
    pageId: z.uuid(),
    escalationId: z.uuid(),
    incidentId: z.uuid(),
    step: StepPosition,
    person: z.object({
      personId: z.uuid(),
      name: z.string(),
      timeZone: z.string(),
      contactMethods: z.array(ContactMethod),
    }),
    incident: z.object({
      title: z.string().describe('"Restricted incident" for a restricted incident: a page may reach someone outside the need to know'),
      severity: IncidentSeverity,
      category: IncidentCategory,
      exercise: z.boolean(),
      restricted: z.boolean(),
      link: z.string().describe('where the incident is read'),
    }),
    acknowledge: z.object({
      url: z.string().describe('POST here (with If-Match, as any change to an incident) to acknowledge the incident'),
      escalationUrl: z.string().describe('POST here to acknowledge this page only (e.g. an incident acknowledged before its severity rose)'),
      instructions: z.string(),
    }),
    reason: z.string().describe('why the escalation runs'),
    requestedAt: Timestamp,
  }),
);

export const EscalationStopReason = z.enum(['acknowledged', 'resolved', 'superseded', 'stopped']);

export const EscalationStoppedV1 = defineEvent(
  'vigil.escalation.stopped.v1',
  Topics.escalations,
  z.object({
    escalationId: z.uuid(),
    incidentId: z.uuid(),
    reason: EscalationStopReason.describe('acknowledged (the incident or the page), resolved (closed or merged), superseded (a newer escalation took over), stopped by hand'),
    detail: z.string().nullable(),
    actor: z.string().nullable(),
    at: Timestamp,
    lastStep: StepPosition.nullable().describe('the last step that ran before it stopped'),
  }),
);

export const EscalationExhaustedV1 = defineEvent(
  'vigil.escalation.exhausted.v1',
  Topics.escalations,
  z.object({
    escalationId: z.uuid(),
    incidentId: z.uuid(),
    policyId: z.uuid(),
    policyName: z.string(),
    stepsExecuted: z.int().nonnegative(),
    at: Timestamp,
  }),
);

const PageOutcome = z.object({
  pageId: z.uuid(),
  escalationId: z.uuid(),
  incidentId: z.uuid(),
  personId: z.uuid(),
  notificationId: z.uuid().nullable().describe('null when there was no contact method comms can deliver to'),
  channel: z.string().nullable(),
  attempts: z.int().nonnegative(),
  at: Timestamp,
  lastError: z.string().nullable(),
});

/** Comms delivered a page through one of the person's contact methods (one event per method). */
export const PageDeliveredV1 = defineEvent('vigil.page.delivered.v1', Topics.comms, PageOutcome);
/** Comms could not deliver a page through a contact method (or the person has none it can use). */
export const PageFailedV1 = defineEvent('vigil.page.failed.v1', Topics.comms, PageOutcome);
