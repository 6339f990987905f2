import { z } from 'zod';

/** One kind per ingest endpoint: a key works only on the endpoint of its integration's kind. */
export const IntegrationKind = z.enum(['canonical', 'alertmanager', 'pagerduty', 'ocsf', 'elastic', 'splunk', 'report']);
export type IntegrationKind = z.infer<typeof IntegrationKind>;

export const CreateIntegration = z
  .strictObject({
    name: z.string().trim().min(1).max(200),
    kind: IntegrationKind,
    rateLimitPerSecond: z.int().min(1).max(1_000_000).optional().describe('alerts per second for this integration (per replica)'),
  })
  .meta({ id: 'CreateIntegration', examples: [{ name: 'Prometheus production', kind: 'alertmanager' }] });
export type CreateIntegration = z.infer<typeof CreateIntegration>;

export const IntegrationView = z
  .object({
    integrationId: z.uuid(),
    name: z.string(),
    kind: IntegrationKind,
    keyPrefix: z.string().describe('the first characters of the key, to tell keys apart'),
    rateLimitPerSecond: z.int().nullable(),
    createdAt: z.iso.datetime({ offset: true }),
    revokedAt: z.iso.datetime({ offset: true }).nullable(),
  })
  .meta({ id: 'Integration' });

export const IntegrationCreated = IntegrationView.extend({
  apiKey: z.string().describe('shown once: store it now; Vigil keeps only a hash'),
}).meta({ id: 'IntegrationCreated' });

export const IntegrationList = z.object({ items: z.array(IntegrationView) }).meta({ id: 'IntegrationList' });
