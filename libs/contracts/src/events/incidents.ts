import { z } from 'zod';
import { Topics } from '../topics';
import { IncidentCategory, IncidentPhase, IncidentSeverity, Timestamp } from '../vocabulary';
import { defineEvent } from './define-event';

/** The incident clock (PRODUCT.md): what MTTD/MTTA/MTTC/MTTR subtract. */
export const IncidentTimestamps = z.object({
  occurredAt: Timestamp,
  detectedAt: Timestamp,
  declaredAt: Timestamp,
  acknowledgedAt: Timestamp.nullable(),
  containedAt: Timestamp.nullable(),
  eradicatedAt: Timestamp.nullable(),
  recoveredAt: Timestamp.nullable(),
  closedAt: Timestamp.nullable(),
});
export type IncidentTimestamps = z.infer<typeof IncidentTimestamps>;

/**
 * Every incident event carries the incident's state after the change, so a consumer never
 * has to rebuild it from earlier events (and out-of-order replays stay harmless).
 */
export const IncidentSnapshot = z.object({
  incidentId: z.uuid(),
  title: z.string(),
  severity: IncidentSeverity,
  category: IncidentCategory,
  phase: IncidentPhase,
  exercise: z.boolean(),
  alertCount: z.int().positive(),
  version: z.int().positive(),
  timestamps: IncidentTimestamps,
});
export type IncidentSnapshot = z.infer<typeof IncidentSnapshot>;

const AlertRef = z.object({
  alertId: z.uuid(),
  dedupKey: z.string(),
  title: z.string(),
  source: z.string(),
  receivedAt: Timestamp,
});

export const IncidentOpenedV1 = defineEvent(
  'vigil.incident.opened.v1',
  Topics.incidents,
  z.object({ incident: IncidentSnapshot, alert: AlertRef }),
);

export const IncidentAlertAttachedV1 = defineEvent(
  'vigil.incident.alert-attached.v1',
  Topics.incidents,
  z.object({ incident: IncidentSnapshot, alert: AlertRef }),
);

export const IncidentAcknowledgedV1 = defineEvent(
  'vigil.incident.acknowledged.v1',
  Topics.incidents,
  z.object({ incident: IncidentSnapshot, actor: z.string(), reason: z.string().nullable() }),
);

export const IncidentPhaseChangedV1 = defineEvent(
  'vigil.incident.phase-changed.v1',
  Topics.incidents,
  z.object({
    incident: IncidentSnapshot,
    from: IncidentPhase,
    to: IncidentPhase,
    actor: z.string(),
    reason: z.string().nullable(),
  }),
);
