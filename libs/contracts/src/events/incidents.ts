import { z } from 'zod';
import { Topics } from '../topics';
import {
  AssetCriticality,
  FunctionalImpact,
  IncidentCategory,
  IncidentPhase,
  IncidentSeverity,
  InformationImpact,
  Recoverability,
  Timestamp,
} from '../vocabulary';
import { defineEvent } from './define-event';

/** The incident clock (docs/architecture.md): what MTTD/MTTA/MTTC/MTTR subtract. */
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
export const ClockField = IncidentTimestamps.keyof();
export type ClockField = z.infer<typeof ClockField>;

/** NIST SP 800-61 classification; severity follows from it through the severity matrix. */
export const IncidentClassification = z.object({
  functionalImpact: FunctionalImpact,
  informationImpact: InformationImpact,
  recoverability: Recoverability,
  assetCriticality: AssetCriticality.nullable().describe('the most critical registered asset involved; null when none is registered'),
  classifiedBy: z.string().nullable().describe('the analyst who last classified it; null while triage classifies it from its alerts'),
});
export type IncidentClassification = z.infer<typeof IncidentClassification>;

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
  // Added after the first release, so optional: older events on the topic lack them.
  classification: IncidentClassification.optional(),
  owner: z.string().nullable().optional().describe('the IR manager who owns the incident'),
  responders: z.array(z.string()).optional(),
  mergedInto: z.uuid().nullable().optional(),
  restricted: z
    .boolean()
    .optional()
    .describe('need to know: only the owner, the responders, IR managers and auditors may see it (absent in older events: false)'),
  recoveryTimeObjectiveMinutes: z
    .int()
    .positive()
    .nullable()
    .optional()
    .describe('the smallest recovery time objective of the business services of the incident\'s registered assets; null or absent when none is set'),
});
export type IncidentSnapshot = z.infer<typeof IncidentSnapshot>;

/**
 * Of items that each carry an incident's snapshot (a run of incident events), the one with the
 * newest snapshot of each incident, in the order each incident first appears.
 */
export function newestPerIncident<T>(items: Iterable<T>, snapshotOf: (item: T) => IncidentSnapshot): T[] {
  const newest = new Map<string, T>();
  for (const item of items) {
    const { incidentId, version } = snapshotOf(item);
    const seen = newest.get(incidentId);
    if (seen === undefined || snapshotOf(seen).version < version) newest.set(incidentId, item);
  }
  return [...newest.values()];
}

const AlertRef = z.object({
  alertId: z.uuid(),
  dedupKey: z.string(),
  title: z.string(),
  source: z.string(),
  receivedAt: Timestamp,
});

/** Why an alert joined an incident (which correlation rule, or an analyst). */
export const CorrelationReason = z.enum([
  'opened',
  'dedup_key',
  'reference',
  'group_key',
  'asset_category',
  'observable',
  'promoted',
  'moved',
  'merged',
  'recurrence',
]);
export type CorrelationReason = z.infer<typeof CorrelationReason>;

export const IncidentOpenedV1 = defineEvent(
  'vigil.incident.opened.v1',
  Topics.incidents,
  z.object({
    incident: IncidentSnapshot,
    alert: AlertRef,
    promotedBy: z.string().optional().describe('the analyst who promoted an alert below the severity threshold'),
  }),
);

export const IncidentAlertAttachedV1 = defineEvent(
  'vigil.incident.alert-attached.v1',
  Topics.incidents,
  z.object({
    incident: IncidentSnapshot,
    alert: AlertRef,
    correlatedBy: CorrelationReason.optional(),
    movedFrom: z.uuid().optional().describe('the incident an analyst moved the alert from'),
    actor: z.string().optional(),
    repeats: z
      .int()
      .positive()
      .optional()
      .describe('repeats of an alert already on the incident (correlatedBy dedup_key) that this one event reports, counted together; absent: one'),
  }),
);

/**
 * An alert that would have opened a new incident came in while this one was recovered (or in
 * post-incident activity) and inside its recovery watch, and names one of its registered assets or
 * observables: it was attached here as a recurrence. Pages the incident's owner.
 */
export const IncidentRecurrenceDetectedV1 = defineEvent(
  'vigil.incident.recurrence-detected.v1',
  Topics.incidents,
  z.object({
    incident: IncidentSnapshot,
    incidentId: z.uuid(),
    owner: z.string().nullable().describe('who owns the incident (and is paged)'),
    alert: AlertRef,
    matchedAssetIds: z.array(z.uuid()).describe('registered assets of the incident the alert names'),
    matchedObservables: z.array(z.string()).describe('observables of the incident the alert names, as `type:value`'),
    recurrenceCount: z.int().positive().describe('recurrences the incident has had, this one included'),
    watchEndsAt: Timestamp.describe('when the recovery watch ends (recoveredAt + the watch window)'),
  }),
);

/** An analyst moved an alert out of this incident into another. */
export const IncidentAlertDetachedV1 = defineEvent(
  'vigil.incident.alert-detached.v1',
  Topics.incidents,
  z.object({ incident: IncidentSnapshot, alert: AlertRef, movedTo: z.uuid(), actor: z.string(), reason: z.string() }),
);

/** Other incidents were merged into this one: their alerts are now this incident's. */
export const IncidentMergedV1 = defineEvent(
  'vigil.incident.merged.v1',
  Topics.incidents,
  z.object({
    incident: IncidentSnapshot,
    mergedIncidentIds: z.array(z.uuid()).min(1),
    alertsMoved: z.int().nonnegative(),
    actor: z.string(),
    reason: z.string(),
  }),
);

const ClassificationFields = z.object({
  category: IncidentCategory,
  severity: IncidentSeverity,
  functionalImpact: FunctionalImpact,
  informationImpact: InformationImpact,
  recoverability: Recoverability,
});

/** An analyst (re)classified the incident; `previous` is what it was. */
export const IncidentClassifiedV1 = defineEvent(
  'vigil.incident.classified.v1',
  Topics.incidents,
  z.object({ incident: IncidentSnapshot, previous: ClassificationFields, actor: z.string(), reason: z.string() }),
);

export const IncidentAssignedV1 = defineEvent(
  'vigil.incident.assigned.v1',
  Topics.incidents,
  z.object({ incident: IncidentSnapshot, owner: z.string().nullable(), responders: z.array(z.string()), actor: z.string(), reason: z.string().nullable().optional() }),
);

export const IncidentNoteAddedV1 = defineEvent(
  'vigil.incident.note-added.v1',
  Topics.incidents,
  z.object({ incident: IncidentSnapshot, noteId: z.uuid(), author: z.string(), body: z.string() }),
);

export const IncidentLinkedV1 = defineEvent(
  'vigil.incident.linked.v1',
  Topics.incidents,
  z.object({ incident: IncidentSnapshot, linkedIncidentId: z.uuid(), relation: z.string(), actor: z.string(), reason: z.string().nullable().optional() }),
);

/** A clock timestamp corrected by hand (with why): MTTx figures are recomputed from it. */
export const IncidentClockCorrectedV1 = defineEvent(
  'vigil.incident.clock-corrected.v1',
  Topics.incidents,
  z.object({
    incident: IncidentSnapshot,
    field: ClockField,
    from: Timestamp.nullable(),
    to: Timestamp,
    actor: z.string(),
    reason: z.string(),
  }),
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

/** The incident's need-to-know restriction was set or lifted (the snapshot carries the result). */
export const IncidentRestrictionChangedV1 = defineEvent(
  'vigil.incident.restriction-changed.v1',
  Topics.incidents,
  z.object({ incident: IncidentSnapshot, restricted: z.boolean(), actor: z.string(), reason: z.string() }),
);
