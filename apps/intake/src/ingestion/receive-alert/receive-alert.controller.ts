import { Body, Controller, Get, HttpCode, Param, ParseUUIDPipe, Post, Req, Res } from '@nestjs/common';
import { ApiOperation, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { AlertAccepted, CanonicalAlert } from '@vigil/contracts';
import { ApiJsonBody, ApiJsonResponse, ApiProblems, Permit, Problem, Public, zodIssuesToFieldErrors, type FieldError } from '@vigil/platform';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { DataSource } from 'typeorm';
import { z } from 'zod';
import { mapCanonical, mapCanonicalItem, type AlertSignal } from '../../formats';
import { ApiIdempotencyKey } from '../idempotency-key';
import { IngestService } from '../ingest.service';
import type { SignalOutcome } from '../signal-writer';

export const accepted = (o: SignalOutcome) => ({
  alertId: o.alertId!,
  dedupKey: o.dedupKey,
  status: 'accepted' as const,
  action: o.action,
  outcome: o.outcome,
  occurrences: o.occurrences,
});

const AlertBatch = z
  .object({
    // Items are checked one by one (a bad one is rejected alone); the batch is a 400 only when
    // none is a valid alert, which is what `contains` says.
    alerts: z.array(z.unknown()).min(1).max(10_000).meta({ contains: { $ref: '#/components/schemas/CanonicalAlert' } }),
  })
  .meta({
    id: 'AlertBatch',
    description: 'Up to INTAKE_BATCH_MAX_ALERTS (default 1,000) canonical alerts; each is validated on its own.',
    examples: [{ alerts: [{ title: 'Port scan from 203.0.113.9', source: 'ids', severity: 'low' }] }],
  });

const BatchItemResult = z.object({
  index: z.int(),
  status: z.enum(['accepted', 'rejected']),
  alertId: z.uuid().optional(),
  dedupKey: z.string().optional(),
  outcome: z.string().optional(),
  occurrences: z.int().optional(),
  errors: z.array(z.object({ pointer: z.string(), detail: z.string() })).optional(),
});
const BatchAccepted = z
  .object({ accepted: z.int(), rejected: z.int(), results: z.array(BatchItemResult) })
  .meta({ id: 'BatchAccepted' });

const StoredAlert = z
  .object({
    alertId: z.uuid(),
    dedupKey: z.string(),
    status: z.enum(['triggered', 'acknowledged', 'resolved']),
    occurrences: z.int().min(1),
    format: z.string().describe('the ingest format it came in (canonical, alertmanager, pagerduty, …)'),
    integrationId: z.uuid().nullable(),
    occurredAt: z.iso.datetime(),
    receivedAt: z.iso.datetime(),
    lastSeenAt: z.iso.datetime(),
    acknowledgedAt: z.iso.datetime().nullable(),
    resolvedAt: z.iso.datetime().nullable(),
    alert: z.record(z.string(), z.unknown()).describe('the canonical alert'),
    raw: z.unknown().describe('the payload as the source sent it'),
    ignoredLabels: z
      .record(z.string(), z.string())
      .describe('labels intake did not pass on: an incident reference from an integration not trusted to make one'),
  })
  .meta({ id: 'StoredAlert' });

@ApiTags('alerts')
@Controller('v1')
export class ReceiveAlertController {
  constructor(
    private readonly ingest: IngestService,
    private readonly dataSource: DataSource,
  ) {}

  @Post('alerts')
  @Public('api-key')
  @ApiSecurity('apiKey')
  @HttpCode(202)
  @ApiOperation({
    summary: "Send one alert in Vigil's canonical form",
    description:
      'Answered 202 only after the alert and its event are committed; it reaches triage even if Kafka is down right now. ' +
      'An alert whose dedup key matches an open alert is one more occurrence of it, not a new alert.',
    operationId: 'receiveAlert',
  })
  @ApiIdempotencyKey()
  @ApiJsonBody(CanonicalAlert)
  @ApiJsonResponse(202, AlertAccepted, 'Stored')
  @ApiProblems(400, 401, 403, 413, 415, 422, 429, 503)
  receive(@Body() body: unknown, @Req() request: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply) {
    return this.ingest.ingest({
      kind: 'canonical',
      request,
      reply,
      body,
      map: mapCanonical,
      respond: ([outcome]) => ({ statusCode: 202, body: accepted(outcome) }),
    });
  }

  @Post('alerts::batch')
  @Public('api-key')
  @ApiSecurity('apiKey')
  @HttpCode(202)
  @ApiOperation({
    summary: 'Send many canonical alerts at once',
    description: 'Each alert is validated on its own: one bad item does not reject the rest. 400 only when no item is valid.',
    operationId: 'receiveAlertBatch',
  })
  @ApiIdempotencyKey()
  @ApiJsonBody(AlertBatch)
  @ApiJsonResponse(202, BatchAccepted, 'Per-item results, in request order')
  @ApiProblems(400, 401, 403, 413, 415, 422, 429, 503)
  async receiveBatch(@Body() body: unknown, @Req() request: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply) {
    const limit = this.ingest.batchLimit;
    return this.ingest.ingest({
      kind: 'canonical',
      request,
      reply,
      body,
      map: (raw) => {
        const envelope = AlertBatch.safeParse(raw);
        if (!envelope.success) return { ok: false, errors: zodIssuesToFieldErrors(envelope.error) };
        if (envelope.data.alerts.length > limit) return { ok: false, errors: [{ pointer: '/alerts', detail: `at most ${limit} alerts per batch` }] };
        const rejected: Array<{ index: number; errors: FieldError[] }> = [];
        const signals: AlertSignal[] = [];
        const indexes: number[] = [];
        envelope.data.alerts.forEach((item, index) => {
          const mapped = mapCanonicalItem(item, index);
          if (mapped.ok) {
            signals.push(...mapped.signals);
            indexes.push(index);
          } else {
            rejected.push({ index, errors: mapped.errors });
          }
        });
        if (signals.length === 0) return { ok: false, errors: rejected.flatMap((r) => r.errors) };
        return { ok: true, signals, meta: { rejected, indexes, total: envelope.data.alerts.length } };
      },
      respond: (outcomes, _signals, meta) => {
        const { rejected, indexes, total } = meta as { rejected: Array<{ index: number; errors: FieldError[] }>; indexes: number[]; total: number };
        const results: Array<z.infer<typeof BatchItemResult>> = new Array(total);
        outcomes.forEach((o, i) => {
          const { alertId, dedupKey, outcome, occurrences } = accepted(o);
          results[indexes[i]] = { index: indexes[i], status: 'accepted', alertId, dedupKey, outcome, occurrences };
        });
        for (const r of rejected) results[r.index] = { index: r.index, status: 'rejected', errors: r.errors };
        return { statusCode: 202, body: { accepted: outcomes.length, rejected: rejected.length, results } };
      },
    });
  }

  @Get('alerts/:alertId')
  // Intake does not know which incident an alert is in, so its raw store is for those who see every incident.
  @Permit('alerts.read-raw')
  @ApiOperation({ summary: 'An alert as intake holds it: status, occurrences, canonical form and raw payload', operationId: 'getAlert' })
  @ApiJsonResponse(200, StoredAlert, 'The alert')
  @ApiProblems(400, 404, 503)
  async get(@Param('alertId', new ParseUUIDPipe()) alertId: string) {
    const [row] = await this.dataSource.query(`SELECT * FROM intake.alerts WHERE id = $1`, [alertId]);
    if (!row) throw Problem.notFound(`Alert ${alertId}`);
    const iso = (d: Date | null) => (d ? d.toISOString() : null);
    return {
      alertId: row.id,
      dedupKey: row.dedup_key,
      status: row.status,
      occurrences: row.occurrences,
      format: row.format,
      integrationId: row.integration_id,
      occurredAt: iso(row.occurred_at),
      receivedAt: iso(row.received_at),
      lastSeenAt: iso(row.last_seen_at),
      acknowledgedAt: iso(row.acknowledged_at),
      resolvedAt: iso(row.resolved_at),
      alert: row.payload,
      raw: row.raw,
      // Labels intake did not pass on (an incident reference from an integration not allowed to make one).
      ignoredLabels: row.ignored_labels ?? {},
    };
  }
}
