import { z } from 'zod';
import { AffectedAsset, Observable } from '../api/alert';
import { Topics } from '../topics';
import { AlertSeverity, IncidentCategory, Timestamp } from '../vocabulary';
import { defineEvent } from './define-event';

/** Intake accepted an alert (every posting; triage correlates repeats by dedup key). Keyed by dedup key. */
export const AlertReceivedV1 = defineEvent(
  'vigil.alert.received.v1',
  Topics.alerts,
  z.object({
    alertId: z.uuid(),
    dedupKey: z.string().min(1).max(255),
    title: z.string().min(1),
    source: z.string().min(1),
    severity: AlertSeverity,
    category: IncidentCategory.optional(),
    occurredAt: Timestamp.describe('source event time, or receivedAt when the source gave none'),
    receivedAt: Timestamp,
    description: z.string().optional(),
    labels: z.record(z.string(), z.string()),
    assets: z.array(AffectedAsset),
    observables: z.array(Observable),
    exercise: z.boolean(),
    format: z.string().optional().describe('the source format it arrived in (canonical, alertmanager, pagerduty, …)'),
    integrationId: z.uuid().optional().describe('the integration whose key sent it'),
    dedupNamespace: z
      .string()
      .min(1)
      .max(200)
      .optional()
      .describe('where the dedup key is unique: one integration, or a namespace integrations share; absent in events from before namespaces'),
  }),
);

const AlertRef = {
  alertId: z.uuid(),
  dedupKey: z.string().min(1).max(255),
};

/**
 * The source sent an alert again while it was still open (PagerDuty deduplication): no new alert,
 * one more occurrence of the existing one.
 */
export const AlertRepeatedV1 = defineEvent(
  'vigil.alert.repeated.v1',
  Topics.alerts,
  z.object({
    ...AlertRef,
    occurrences: z.int().positive().describe('occurrences so far, this one included'),
    lastSeenAt: Timestamp,
    severity: AlertSeverity,
    exercise: z.boolean(),
  }),
);

/** The source acknowledged the alert (e.g. a PagerDuty `acknowledge` event). */
export const AlertAcknowledgedV1 = defineEvent(
  'vigil.alert.acknowledged.v1',
  Topics.alerts,
  z.object({ ...AlertRef, acknowledgedAt: Timestamp, exercise: z.boolean() }),
);

/** The source resolved the alert (Alertmanager `resolved`, PagerDuty `resolve`, OCSF close). */
export const AlertResolvedV1 = defineEvent(
  'vigil.alert.resolved.v1',
  Topics.alerts,
  z.object({ ...AlertRef, resolvedAt: Timestamp, exercise: z.boolean() }),
);
