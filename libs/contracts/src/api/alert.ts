import { z } from 'zod';
import { AlertSeverity, IncidentCategory, ObservableType, Timestamp } from '../vocabulary';

export const Observable = z.strictObject({
  type: ObservableType,
  value: z.string().trim().min(1).max(2048),
});
export type Observable = z.infer<typeof Observable>;

export const AffectedAsset = z
  .strictObject({
    id: z.string().min(1).max(200).optional(),
    hostname: z.string().min(1).max(253).optional(),
    ip: z.union([z.ipv4(), z.ipv6()]).optional(),
    name: z.string().min(1).max(200).optional(),
  })
  .refine((a) => a.id ?? a.hostname ?? a.ip ?? a.name, {
    message: 'an asset needs at least one of id, hostname, ip or name',
  })
  .meta({ anyOf: ['id', 'hostname', 'ip', 'name'].map((name) => ({ required: [name] })) });
export type AffectedAsset = z.infer<typeof AffectedAsset>;

/**
 * Labels with which an alert names the incident it belongs to (Prometheus label names cannot hold
 * dots). Triage attaches such an alert to that incident; intake keeps them only from integrations
 * allowed to (`allowIncidentReference`), so that a sender cannot attach to any open incident.
 */
export const INCIDENT_REFERENCE_LABELS = ['vigil_incident', 'vigil.incident'] as const;

/**
 * Vigil's canonical alert: what every ingest format is mapped into.
 * Unknown fields are rejected so that a typo never silently drops data.
 */
export const CanonicalAlert = z
  .strictObject({
    title: z.string().trim().min(1).max(500),
    source: z.string().trim().min(1).max(200).describe('the detection tool or rule that raised the alert'),
    severity: AlertSeverity,
    occurredAt: Timestamp.optional().describe('when the source saw the activity; defaults to the receive time'),
    dedupKey: z
      .string()
      .min(1)
      .max(255)
      .optional()
      .describe('alerts with the same key are one alert; derived from source, title and assets when absent'),
    description: z.string().max(20_000).optional(),
    category: IncidentCategory.optional(),
    labels: z
      .record(z.string().min(1).max(200), z.string().max(2000))
      .refine((l) => Object.keys(l).length <= 100, { message: 'at most 100 labels' })
      .meta({ maxProperties: 100 })
      .optional(),
    assets: z.array(AffectedAsset).max(100).optional(),
    observables: z.array(Observable).max(500).optional(),
    exercise: z.boolean().optional().describe('marks a synthetic alert of a tabletop or live exercise'),
  })
  .meta({
    id: 'CanonicalAlert',
    examples: [
      {
        title: 'Credential dumping detected on web-01',
        source: 'edr:crowdstrike',
        severity: 'high',
        occurredAt: '2026-11-24T06:40:00Z',
        dedupKey: 'edr-4711',
        category: 'unauthorized_access',
        labels: { rule: 'lsass-access' },
        assets: [{ hostname: 'web-01', ip: '10.0.4.21' }],
        observables: [{ type: 'hash', value: 'd41d8cd98f00b204e9800998ecf8427e' }],
      },
    ],
  });
export type CanonicalAlert = z.infer<typeof CanonicalAlert>;

export const AlertAccepted = z
  .object({
    alertId: z.uuid(),
    dedupKey: z.string(),
    status: z.literal('accepted'),
    action: z.enum(['trigger', 'acknowledge', 'resolve']),
    outcome: z
      .enum(['created', 'deduplicated', 'acknowledged', 'resolved', 'ignored'])
      .describe('created: a new alert; deduplicated: one more occurrence of an open alert; ignored: nothing open to acknowledge or resolve'),
    occurrences: z.int().nonnegative(),
  })
  .meta({
    id: 'AlertAccepted',
    examples: [{ alertId: '6f1c1f9e-3a57-4c38-9a43-0c3b7e2f4c11', dedupKey: 'edr-4711', status: 'accepted', action: 'trigger', outcome: 'created', occurrences: 1 }],
  });
export type AlertAccepted = z.infer<typeof AlertAccepted>;
