import rateLimit from '@fastify/rate-limit';
import { inboxPruningMigration } from '@vigil/messaging';
import { auditTrailMigration, type ServiceDefinition } from '@vigil/platform';
import type { FastifyRequest } from 'fastify';
import { IntakeModule } from './app.module';
import { IntakeConfig } from './config';
import { apiKeyOf } from './ingestion/ingest.service';
import { IntegrationRegistry, type Integration } from './integrations/integration-registry';
import { Initial1764000000000 } from './persistence/migrations/1764000000000-initial';
import { AlertLifecycleIntegrations1764100000000 } from './persistence/migrations/1764100000000-alert-lifecycle-integrations';
import { LeanOutbox1764200000000 } from './persistence/migrations/1764200000000-lean-outbox';
import { JsonOutbox1764600000000 } from './persistence/migrations/1764600000000-json-outbox';
import { DedupNamespaces1764910000000 } from './persistence/migrations/1764910000000-dedup-namespaces';

const INGEST_PATH = /^\/v1\/(alerts(:batch)?|reports|integrations\/(alertmanager|pagerduty\/enqueue|ocsf|elastic|splunk))(\?|$)/;
const isIngest = (req: FastifyRequest) => req.method === 'POST' && INGEST_PATH.test(req.url);
const keyOf = (req: FastifyRequest) => apiKeyOf(req, (req.body as { routing_key?: unknown } | null)?.routing_key);

export const service: ServiceDefinition<IntakeConfig> = {
  info: {
    name: 'intake',
    title: 'Vigil intake',
    description:
      'Takes alerts in from detection tools — canonical JSON, Prometheus Alertmanager, PagerDuty Events v2, OCSF, Elastic Security, ' +
      'Splunk — and from people reporting incidents, deduplicates them and hands them to triage over Kafka. ' +
      'Every ingest endpoint needs an integration API key.',
    version: '0.2.0',
  },
  config: IntakeConfig,
  entities: [],
  migrations: [
    Initial1764000000000,
    AlertLifecycleIntegrations1764100000000,
    LeanOutbox1764200000000,
    JsonOutbox1764600000000,
    auditTrailMigration('intake'),
    DedupNamespaces1764910000000,
    inboxPruningMigration('intake'),
  ],
  module: (platform) => IntakeModule.register(platform),
  // Idempotency keys replay for 24 hours (signal-writer.ts); kept past that to the common horizon.
  retention: (config) => [
    { name: 'idempotency_keys', table: 'intake.idempotency_keys', column: 'created_at', olderThanMs: config.PRUNE_AFTER_HOURS * 3_600_000 },
  ],
  // Per-integration rate limit (per replica), keyed by the integration a key proves to be (a key
  // is checked in full first, so a forged key with another integration's prefix cannot spend that
  // integration's budget), else by the client address (TRUST_PROXY decides which). The body is
  // parsed by then (preHandler), so PagerDuty's routing_key counts too. 429 with Retry-After.
  configure: async (app) => {
    const registry = app.get(IntegrationRegistry);
    // One verification per request, shared by the key and the limit.
    const verified = new WeakMap<FastifyRequest, Promise<Integration | null>>();
    const integrationOf = (req: FastifyRequest) => {
      let found = verified.get(req);
      if (!found) verified.set(req, (found = isIngest(req) ? registry.verify(keyOf(req)) : Promise.resolve(null)));
      return found;
    };
    await app.register(rateLimit, {
      global: true,
      hook: 'preHandler',
      timeWindow: 1000,
      max: async (req: FastifyRequest) => registry.limitOf(await integrationOf(req)),
      keyGenerator: async (req: FastifyRequest) => {
        const integration = await integrationOf(req);
        return integration ? `integration:${integration.id}` : `address:${req.ip}`;
      },
      allowList: (req: FastifyRequest) => !isIngest(req),
      errorResponseBuilder: (_req, context) =>
        Object.assign(new Error(`Rate limit of ${context.max} alerts per second for this integration exceeded; retry after ${context.after}.`), {
          statusCode: 429,
        }),
      addHeadersOnExceeding: { 'x-ratelimit-limit': true, 'x-ratelimit-remaining': true, 'x-ratelimit-reset': true },
      addHeaders: { 'x-ratelimit-limit': true, 'x-ratelimit-remaining': true, 'x-ratelimit-reset': true, 'retry-after': true },
    });
  },
};
