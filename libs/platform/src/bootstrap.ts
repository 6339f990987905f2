import 'reflect-metadata';
import { type DynamicModule, type LoggerService } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { prometheusExporter, shutdownTelemetry, type Logger } from '@vigil/telemetry';
import { randomUUID, timingSafeEqual } from 'node:crypto';
import { requestContext, type RequestContext } from './auth/request-context';
import type { BaseConfig } from './config';
import { redactConfig } from './config';
import { parseJsonBody, unstorableStrings } from './http/json-body';
import { Problem, ProblemFilter, sendClientErrorProblem, sendProblem } from './http/problem';
import { setupOpenApi } from './http/openapi';
import { AllowedMethods } from './http/routing';
import { LowercaseUuidParams } from './http/zod';

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
  const adapter = new FastifyAdapter({
    bodyLimit: config.HTTP_BODY_LIMIT_BYTES,
    logger: false,
    clientErrorHandler: sendClientErrorProblem,
    // A path parameter is as long as the request line lets it be (16 KiB, then a 431): validation
    // answers a bad one (400, 404), never the router's own 414 in its own JSON.
    routerOptions: { maxParamLength: 16_384 },
    // Whose X-Forwarded-For to believe (TRUST_PROXY): by default nobody's, so that no client can
    // choose the address its requests are audited and rate-limited under.
    // (A hop count as Fastify itself reads one: the nearest `hops` proxies are trusted.)
    trustProxy: typeof config.TRUST_PROXY === 'number' ? (_address: string, hop: number) => hop < (config.TRUST_PROXY as number) : config.TRUST_PROXY,
    // A caller's request id is kept when it is sane, so the audit record ties to its logs.
    genReqId: (req: { headers: Record<string, string | string[] | undefined> }) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && /^[\w.:-]{1,128}$/.test(given) ? given : randomUUID();
    },
  });
  const fastify = adapter.getInstance();
  // A known path asked with a method it does not have: 405 with Allow, before any body parsing.
  const allowed = new AllowedMethods();
  fastify.addHook('onRoute', (route) => allowed.add(route.url, route.method));
  fastify.addHook('onRequest', (request, reply, done) => {
    const methods = allowed.of(request.url.split('?')[0]);
    if (!methods.length || methods.includes(request.method)) return done();
    sendProblem(reply, request, new Problem(405, 'Method not allowed', `${request.method} is not allowed here; allowed: ${methods.join(', ')}.`, {}, { allow: methods.join(', ') }));
  });
  // Every request carries its context (caller, audit state) through the work it causes.
  fastify.addHook('onRequest', (request, _reply, done) => {
    const ctx: RequestContext = {
      requestId: String(request.id),
      method: request.method,
      route: request.routeOptions?.url,
      url: request.url,
      sourceAddress: request.ip,
      audited: false,
      recorded: false,
      finished: false,
      params: {},
      touched: {},
    };
    requestContext.run(ctx, done);
  });
  fastify.addHook('onResponse', (_request, _reply, done) => {
    const ctx = requestContext.getStore();
    if (ctx) ctx.finished = true;
    done();
  });
  // Parse JSON ourselves so that malformed bodies, depth bombs and text PostgreSQL cannot store
  // (U+0000, lone surrogates) become clear 400 problems in every service, naming each field.
  // Only JSON is accepted: any other content type is a 415 problem.
  fastify.removeAllContentTypeParsers();
  fastify.addContentTypeParser(/^application\/([\w.+-]+\+)?json$/, { parseAs: 'string' }, (_req, body, done) => {
    const text = body as string;
    if (text.length === 0) return done(null, undefined);
    const parsed = parseJsonBody(text);
    if (parsed.ok) return done(null, parsed.value);
    const problem = parsed.errors ? Problem.validation(parsed.errors, parsed.detail) : new Problem(400, 'Invalid request', parsed.detail);
    done(Object.assign(problem, { statusCode: 400 }), undefined);
  });
  // A query or path parameter can carry U+0000 or a lone surrogate too (`?q=%00`): refused the same
  // way, before any handler hands it to PostgreSQL.
  fastify.addHook('preValidation', (request, _reply, done) => {
    const errors = [...unstorableStrings(request.query ?? {}), ...unstorableStrings(request.params ?? {})];
    if (errors.length === 0) return done();
    done(Object.assign(Problem.validation(errors, 'The query or path holds text that cannot be stored.'), { statusCode: 400 }));
  });
  // Unknown routes and Fastify's own errors (bad JSON, wrong content type, body too large) reach
  // Nest's handlers, and so the ProblemFilter, which renders them as problem+json.
  const metricsToken = config.METRICS_BEARER_TOKEN ? Buffer.from(`Bearer ${config.METRICS_BEARER_TOKEN}`) : undefined;
  fastify.get('/metrics', { logLevel: 'warn' }, (request, reply) => {
    if (metricsToken) {
      const given = Buffer.from(String(request.headers.authorization ?? ''));
      if (given.length !== metricsToken.length || !timingSafeEqual(given, metricsToken)) {
        void reply
          .status(401)
          .header('www-authenticate', 'Bearer realm="vigil-metrics"')
          .header('content-type', 'application/problem+json; charset=utf-8')
          .send({ type: 'https://vigil.dev/problems/unauthorized', title: 'Unauthorized', status: 401, detail: 'Metrics need the bearer token set in METRICS_BEARER_TOKEN.', instance: '/metrics' });
        return;
      }
    }
    reply.hijack();
    prometheusExporter().getMetricsRequestHandler(request.raw, reply.raw);
  });

  const app = await NestFactory.create<NestFastifyApplication>(module, adapter, {
    logger: new PinoNestLogger(logger.child({ component: 'nest' })),
    abortOnError: false,
    bodyParser: false, // keep our JSON parser (Nest would register its own)
  });
  app.useGlobalFilters(new ProblemFilter(logger));
  app.useGlobalPipes(new LowercaseUuidParams());
  await configure?.(app);
  setupOpenApi(app, { title: info.title, description: info.description, version: info.version });
  await app.listen({ port: config.PORT, host: config.HOST });
  handleShutdownSignals(app, logger);
  const base = config.PUBLIC_BASE_URL ?? `http://localhost:${config.PORT}`;
  logger.info({ url: base, docs: `${base}/docs` }, `vigil-${info.name} listening on ${base} (docs: ${base}/docs)`);
  return app;
}
