import rateLimit from '@fastify/rate-limit';
import { inboxPruningMigration } from '@vigil/messaging';
import { auditTrailMigration, type ServiceDefinition } from '@vigil/platform';
import type { FastifyRequest } from 'fastify';
import { IntakeModule } from './app.module';
import { IntakeConfig } from './config';
import { apiKeyOf } from './ingestion/ingest.service';
import { keyPrefix } from './integrations/api-keys';
import { IntegrationRegistry } from './integrations/integration-registry';
import { Initial1764000000000 } from './persistence/migrations/1764000000000-initial';
import { AlertLifecycleIntegrations1764100000000 } from './persistence/migrations/1764100000000-alert-lifecycle-integrations';
import { LeanOutbox1764200000000 } from './persistence/migrations/1764200000000-lean-outbox';
import { JsonOutbox1764600000000 } from './persistence/migrations/1764600000000-json-outbox';

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
  migrations: [Initial1764000000000, AlertLifecycleIntegrations1764100000000, LeanOutbox1764200000000, JsonOutbox1764600000000, auditTrailMigration('intake'), inboxPruningMigration('intake')],
  module: (platform) => IntakeModule.register(platform),
  // Idempotency keys replay for 24 hours (signal-writer.ts); kept past that to the common horizon.
  retention: (config) => [
    { name: 'idempotency_keys', table: 'intake.idempotency_keys', column: 'created_at', olderThanMs: config.PRUNE_AFTER_HOURS * 3_600_000 },
  ],
  // Per-integration rate limit (per replica), keyed by the key's prefix; the body is parsed by
  // then (preHandler), so PagerDuty's routing_key counts too. 429 with Retry-After.
  configure: async (app) => {
    const registry = app.get(IntegrationRegistry);
    await app.register(rateLimit, {
      global: true,
      hook: 'preHandler',
      timeWindow: 1000,
      max: (req: FastifyRequest) => registry.limitFor(keyOf(req)),
      keyGenerator: (req: FastifyRequest) => {
        const key = keyOf(req);
        return key ? `key:${keyPrefix(key)}` : `ip:${req.ip}`;
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
