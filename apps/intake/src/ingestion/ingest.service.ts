import { Inject, Injectable } from '@nestjs/common';
import { CONFIG, Problem, type FieldError } from '@vigil/platform';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { createHash } from 'node:crypto';
import type { IntakeConfig } from '../config';
import type { IntegrationKind } from '../integrations/integration-kinds';
import { IntegrationRegistry } from '../integrations/integration-registry';
import type { AlertSignal, MappingResult } from '../formats/signal';
import { withoutIncidentReferences } from './incident-reference';
import { SignalWriter, type SignalOutcome, type StoredResponse } from './signal-writer';

const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;

/** The API key of a request: bearer token, X-Vigil-Key header, `api_key` query parameter or (PagerDuty) `routing_key`. */
export function apiKeyOf(request: FastifyRequest, bodyKey?: unknown): string | undefined {
  const bearer = /^Bearer\s+(\S+)$/i.exec(String(request.headers.authorization ?? ''))?.[1];
  const header = request.headers['x-vigil-key'];
  const query = (request.query as Record<string, unknown> | undefined)?.api_key;
  const candidate = bearer ?? (typeof header === 'string' ? header : undefined) ?? (typeof query === 'string' ? query : undefined);
  return candidate ?? (typeof bodyKey === 'string' ? bodyKey : undefined);
}

/** The size of a request body: its Content-Length, or (chunked) the length of its JSON. */
function bodyBytes(request: FastifyRequest, body: unknown): number {
  const declared = Number(request.headers['content-length']);
  if (Number.isSafeInteger(declared) && declared > 0) return declared;
  return Buffer.byteLength(JSON.stringify(body) ?? '');
}

export interface IngestOptions {
  kind: IntegrationKind;
  request: FastifyRequest;
  reply: FastifyReply;
  body: unknown;
  map: (body: unknown) => MappingResult;
  respond: (outcomes: SignalOutcome[], signals: AlertSignal[], meta?: Record<string, unknown>) => StoredResponse;
  /** How mapping errors are answered (default: a 400 problem naming each field). */
  invalid?: (errors: FieldError[]) => never;
  bodyKey?: unknown;
}

/**
 * The one path every ingest endpoint takes: authenticate the integration key, honour the
 * Idempotency-Key header, map the source format into signals, write them (202 only after commit).
 */
@Injectable()
export class IngestService {
  constructor(
    private readonly registry: IntegrationRegistry,
    private readonly writer: SignalWriter,
    @Inject(CONFIG) private readonly config: IntakeConfig,
  ) {}

  async ingest(options: IngestOptions): Promise<unknown> {
    const { request, reply } = options;
    const integration = await this.registry.authenticate(apiKeyOf(request, options.bodyKey), options.kind);
    const idempotencyKey = request.headers['idempotency-key'];
    if (idempotencyKey !== undefined && (typeof idempotencyKey !== 'string' || !IDEMPOTENCY_KEY.test(idempotencyKey))) {
      throw Problem.validation([{ pointer: '', detail: 'the Idempotency-Key header must be 1 to 255 visible ASCII characters' }], 'The Idempotency-Key header is not valid.');
    }
    const mapped = options.map(options.body);
    if (!mapped.ok) {
      if (options.invalid) options.invalid(mapped.errors);
      throw Problem.validation(mapped.errors);
    }
    const signals = integration.allowIncidentReference ? mapped.signals : withoutIncidentReferences(mapped.signals);
    const result = await this.writer.submit({
      signals,
      bytes: bodyBytes(request, options.body),
      integrationId: integration.id,
      dedupNamespace: integration.dedupNamespace,
      idempotency: idempotencyKey
        ? {
            key: idempotencyKey,
            requestHash: createHash('sha256').update(`${request.method} ${request.url.split('?')[0]}\n${JSON.stringify(options.body)}`).digest('hex'),
          }
        : undefined,
      respond: (outcomes) => options.respond(outcomes, signals, mapped.meta),
    });
    if (result.kind === 'key-reused') {
      throw new Problem(422, 'Idempotency key reused', 'This Idempotency-Key was already used within 24 hours with a different request.');
    }
    if (result.kind === 'replayed') reply.header('idempotent-replayed', 'true');
    reply.status(result.response.statusCode);
    return result.response.body;
  }

  get batchLimit(): number {
    return this.config.INTAKE_BATCH_MAX_ALERTS;
  }
}
