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
  }),
);
