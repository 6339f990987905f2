import 'reflect-metadata';
import { type DynamicModule, type LoggerService } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { prometheusExporter, shutdownTelemetry, type Logger } from '@vigil/telemetry';
import type { BaseConfig } from './config';
import { redactConfig } from './config';
import { ProblemFilter } from './http/problem';
import { setupOpenApi } from './http/openapi';

class PinoNestLogger implements LoggerService {
  constructor(private readonly logger: Logger) {}
  log(message: unknown, context?: string) {
    this.logger.info({ context }, String(message));
  }
  error(message: unknown, trace?: string, context?: string) {
    this.logger.error({ context, trace }, String(message));
  }
  warn(message: unknown, context?: string) {
    this.logger.warn({ context }, String(message));
  }
  debug(message: unknown, context?: string) {
    this.logger.debug({ context }, String(message));
  }
  verbose(message: unknown, context?: string) {
    this.logger.trace({ context }, String(message));
  }
}

/** JSON nesting deeper than this is refused before it reaches any handler (depth bombs). */
const MAX_JSON_DEPTH = 32;

function jsonDepthExceeds(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92) i++; // backslash: skip the escaped character
      else if (c === 34) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 123 || c === 91) {
      if (++depth > max) return true;
    } else if (c === 125 || c === 93) depth--;
  }
  return false;
}

/**
 * SIGTERM/SIGINT: stop taking requests, let consumers finish the message in hand and commit, close
 * the outbox relay and the database, then exit 0. A shutdown that hangs is cut off after 25 s
 * (below Kubernetes' default 30 s grace period).
 */
function handleShutdownSignals(app: NestFastifyApplication, logger: Logger): void {
  let closing = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (closing) return;
    closing = true;
    logger.info({ signal }, 'shutting down');
    const deadline = setTimeout(() => {
      logger.error('shutdown took too long; exiting');
      process.exit(1);
    }, 25_000);
    deadline.unref();
    app
      .close()
      .then(() => shutdownTelemetry())
      .then(() => process.exit(0))
      .catch((error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      });
  };
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
}

export interface ServiceInfo {
  name: string;
  title: string;
  description: string;
  version: string;
}

/**
 * Creates and starts a service: NestJS on Fastify, every error as RFC 9457 problem+json,
 * OpenAPI at /openapi.json and /docs, Prometheus metrics at /metrics, graceful shutdown on
 * SIGTERM/SIGINT.
 */
export async function startService(
  info: ServiceInfo,
  module: DynamicModule,
  config: BaseConfig,
  logger: Logger,
  configure?: (app: NestFastifyApplication) => Promise<void> | undefined,
): Promise<NestFastifyApplication> {
  logger.info({ config: redactConfig(config as unknown as Record<string, unknown>) }, `starting vigil-${info.name}`);
  const adapter = new FastifyAdapter({ bodyLimit: config.HTTP_BODY_LIMIT_BYTES, logger: false, trustProxy: true });
  const fastify = adapter.getInstance();
  // Parse JSON ourselves so that malformed bodies and depth bombs become clear 400 problems.
  // Only JSON is accepted: any other content type is a 415 problem.
  fastify.removeAllContentTypeParsers();
  fastify.addContentTypeParser(/^application\/([\w.+-]+\+)?json$/, { parseAs: 'string' }, (_req, body, done) => {
    const text = body as string;
    if (text.length === 0) return done(null, undefined);
    if (jsonDepthExceeds(text, MAX_JSON_DEPTH)) {
      return done(Object.assign(new Error(`JSON nested deeper than ${MAX_JSON_DEPTH} levels`), { statusCode: 400 }), undefined);
    }
    try {
      done(null, JSON.parse(text));
    } catch (error) {
      done(Object.assign(new Error(`Malformed JSON: ${(error as Error).message}`), { statusCode: 400 }), undefined);
    }
  });
  // Unknown routes and Fastify's own errors (bad JSON, wrong content type, body too large) reach
  // Nest's handlers, and so the ProblemFilter, which renders them as problem+json.
  fastify.get('/metrics', { logLevel: 'warn' }, (request, reply) => {
    reply.hijack();
    prometheusExporter().getMetricsRequestHandler(request.raw, reply.raw);
  });

  const app = await NestFactory.create<NestFastifyApplication>(module, adapter, {
    logger: new PinoNestLogger(logger.child({ component: 'nest' })),
    abortOnError: false,
    bodyParser: false, // keep our JSON parser (Nest would register its own)
  });
  app.useGlobalFilters(new ProblemFilter(logger));
  await configure?.(app);
  setupOpenApi(app, { title: info.title, description: info.description, version: info.version });
  await app.listen({ port: config.PORT, host: config.HOST });
  handleShutdownSignals(app, logger);
  const base = config.PUBLIC_BASE_URL ?? `http://localhost:${config.PORT}`;
  logger.info({ url: base, docs: `${base}/docs` }, `vigil-${info.name} listening on ${base} (docs: ${base}/docs)`);
  return app;
}
