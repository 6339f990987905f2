import { z } from 'zod';

/** One kind per ingest endpoint: a key works only on the endpoint of its integration's kind. */
export const IntegrationKind = z.enum(['canonical', 'alertmanager', 'pagerduty', 'ocsf', 'elastic', 'splunk', 'report']);
export type IntegrationKind = z.infer<typeof IntegrationKind>;

export const CreateIntegration = z
  .strictObject({
    name: z.string().trim().min(1).max(200),
    kind: IntegrationKind,
    rateLimitPerSecond: z.int().min(1).max(1_000_000).optional().describe('alerts per second for this integration (per replica)'),
    dedupNamespace: z
      .string()
      .regex(/^[a-z0-9](?:[a-z0-9._-]{0,98}[a-z0-9])?$/, 'must be 1 to 100 lower-case letters, digits, dots, dashes or underscores, starting and ending with a letter or digit')
      .optional()
      .describe(
        'integrations created with the same namespace share dedup keys, so one may acknowledge or resolve what another triggered ' +
          '(say, Alertmanager triggers and a PagerDuty-speaking tool resolves); without it the integration\'s keys are its own. Set at creation only',
      ),
    allowIncidentReference: z
      .boolean()
      .optional()
      .describe(
        'trust the label vigil_incident (or vigil.incident) of its alerts, with which triage attaches an alert to the incident it names; ' +
          'off by default: from other integrations the label is dropped, and the alert records that it was',
      ),
  })
  .meta({
    id: 'CreateIntegration',
    examples: [
      { name: 'Prometheus production', kind: 'alertmanager' },
      { name: 'Phishing mailbox', kind: 'canonical', allowIncidentReference: true },
      { name: 'Grafana OnCall resolves', kind: 'pagerduty', dedupNamespace: 'prometheus-production' },
    ],
  });
export type CreateIntegration = z.infer<typeof CreateIntegration>;

export const IntegrationView = z
  .object({
    integrationId: z.uuid(),
    name: z.string(),
    kind: IntegrationKind,
    keyPrefix: z.string().describe('the first characters of the key, to tell keys apart'),
    rateLimitPerSecond: z.int().nullable(),
    dedupNamespace: z.string().nullable().describe('the shared dedup namespace; null: the integration has keys of its own'),
    allowIncidentReference: z.boolean().describe('whether its vigil_incident labels are trusted'),
    createdAt: z.iso.datetime({ offset: true }),
    revokedAt: z.iso.datetime({ offset: true }).nullable(),
  })
  .meta({ id: 'Integration' });

export const IntegrationCreated = IntegrationView.extend({
  apiKey: z.string().describe('shown once: store it now; Vigil keeps only a hash'),
}).meta({ id: 'IntegrationCreated' });

export const IntegrationList = z.object({ items: z.array(IntegrationView) }).meta({ id: 'IntegrationList' });
