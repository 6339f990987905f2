import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { metrics } from '@opentelemetry/api';
import {
  AlertAcknowledgedV1,
  AlertReceivedV1,
  AlertRepeatedV1,
  AlertResolvedV1,
  createEvent,
  type CloudEvent,
} from '@vigil/contracts';
import { isTransientInfrastructureError, outboxInsertSql, statementBuilder, writeTogetherSql, type OutboxItem } from '@vigil/messaging';
import { CONFIG, LOGGER, Problem } from '@vigil/platform';
import { contextFromHeaders, currentTraceHeaders, inSpan } from '@vigil/telemetry';
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { DataSource, type EntityManager } from 'typeorm';
import type { IntakeConfig } from '../config';
import type { AlertSignal } from '../formats/signal';
import { applyAction, type OpenAlert, type Step } from './alert-lifecycle';

export interface SignalOutcome extends Step {
  dedupKey: string;
}

export interface StoredResponse {
  statusCode: number;
  body: unknown;
}

export interface IdempotencyClaim {
  key: string;
  /** SHA-256 of the request (method, path, body): the same key with another body is refused. */
  requestHash: string;
}

export interface WriteRequest {
  signals: AlertSignal[];
  /** Size of the request body (its JSON): what it holds in memory while it waits, roughly. */
  bytes: number;
  integrationId: string | null;
  /** Where the request's dedup keys are unique (its integration's, or one integrations share). */
  dedupNamespace: string;
  idempotency?: IdempotencyClaim;
  /** Builds the answer from the outcomes; stored with the idempotency key for replays. */
  respond: (outcomes: SignalOutcome[]) => StoredResponse;
}

export type WriteResult =
  | { kind: 'written'; response: StoredResponse }
  | { kind: 'replayed'; response: StoredResponse }
  | { kind: 'key-reused' };

interface Pending {
  request: WriteRequest;
  receivedAt: Date;
  traceHeaders: Record<string, string>;
  resolve: (result: WriteResult) => void;
  reject: (error: unknown) => void;
}

interface AlertRow {
  id: string;
  dedup_namespace: string;
  dedup_key: string;
  source: string;
  title: string;
  severity: string;
  occurred_at: string;
  occurred_at_from_source: boolean;
  received_at: string;
  exercise: boolean;
  payload: unknown;
  raw: unknown;
  status: string;
  occurrences: number;
  last_seen_at: string;
  acknowledged_at: string | null;
  resolved_at: string | null;
  format: string;
  integration_id: string | null;
  ignored_labels: Record<string, string> | null;
}

/** An open alert is found by its dedup key within its namespace. */
const openKey = (namespace: string, dedupKey: string) => `${namespace}\u0000${dedupKey}`;

const MAX_SIGNALS_PER_FLUSH = 5000;
const MAX_CONCURRENT_FLUSHES = 2;
const IDEMPOTENCY_WINDOW = '24 hours';
/** Seconds a sender is asked to wait when the queue is full: a flush takes milliseconds. */
const QUEUE_FULL_RETRY_AFTER = '1';

/**
 * SQLSTATE classes that blame the data, not the database: 22 data exception (a value the column
 * cannot take), 23 integrity constraint violation (23505 is retried before it gets here).
 */
const DATA_FAULT = /^2[23]/;

/** What one request's own failure is answered with: a 422 when the database refused its data, else the error as is (500). */
export function requestFailure(error: unknown): unknown {
  const code = String((error as { code?: unknown })?.code ?? '');
  if (!DATA_FAULT.test(code)) return error;
  return new Problem(422, 'Unprocessable content', `The database refused a value of this request (SQLSTATE ${code}); nothing of it was stored.`, { sqlState: code });
}

/**
 * Writes alert signals with group commit: requests that arrive together share one transaction,
 * which is what lets intake take thousands of alerts a second with every 202 answered only after
 * its alert and outbox rows have committed. Within a transaction, signals are applied in arrival
 * order per dedup key, against the open alerts locked with `FOR UPDATE`. A dedup key is unique
 * within its namespace: an integration's own, or one integrations share, never across them.
 *
 * Sharing a transaction must not make senders share a fate: a flush that fails for a reason other
 * than the database being away writes its requests again one by one, so that a request the
 * database refuses fails alone (422) and the others are still written. And the wait is bounded:
 * past INTAKE_MAX_QUEUED_BYTES of request bodies waiting or being written, a request is answered
 * 503 with Retry-After at once, so that a slow database cannot exhaust memory.
 */
@Injectable()
export class SignalWriter implements OnApplicationShutdown {
  private queue: Pending[] = [];
  private flushing = 0;
  private closed = false;
  /** Bytes of the requests submitted and not yet answered. */
  private held = 0;
  private readonly maxHeld: number;
  private readonly flushSize = metrics.getMeter('vigil').createHistogram('vigil.intake.flush_signals', {
    description: 'alert signals written per transaction (group commit)',
    advice: { explicitBucketBoundaries: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000] },
  });
  private readonly signalsCounter = metrics.getMeter('vigil').createCounter('vigil.intake.signals', {
    description: 'alert signals accepted, by source format, action and outcome',
  });
  private readonly refusedCounter = metrics.getMeter('vigil').createCounter('vigil.intake.requests_refused', {
    description: 'ingest requests answered 503 because the write queue was full',
  });
  private readonly isolatedCounter = metrics.getMeter('vigil').createCounter('vigil.intake.flushes_isolated', {
    description: 'group commits that failed and were written again one request at a time',
  });

  constructor(
    private readonly dataSource: DataSource,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(CONFIG) config: Pick<IntakeConfig, 'INTAKE_MAX_QUEUED_BYTES'>,
  ) {
    this.maxHeld = config.INTAKE_MAX_QUEUED_BYTES;
    metrics
      .getMeter('vigil')
      .createObservableGauge('vigil.intake.queued_bytes', { description: 'bytes of ingest requests waiting for or in a write', unit: 'By' })
      .addCallback((result) => result.observe(this.held));
  }

  submit(request: WriteRequest): Promise<WriteResult> {
    if (this.closed) return Promise.reject(Object.assign(new Error('intake is shutting down'), { code: '57P01' }));
    const bytes = Math.max(0, request.bytes);
    // An empty queue takes any request, so that a body larger than the bound can still get in.
    if (this.held > 0 && this.held + bytes > this.maxHeld) {
      this.refusedCounter.add(1);
      return Promise.reject(
        new Problem(503, 'Service unavailable', 'Intake is taking in more than it can write right now; retry later.', {}, { 'retry-after': QUEUE_FULL_RETRY_AFTER }),
      );
    }
    this.held += bytes;
    return new Promise<WriteResult>((resolve, reject) => {
      this.queue.push({ request, receivedAt: new Date(), traceHeaders: currentTraceHeaders(), resolve, reject });
      if (this.flushing < MAX_CONCURRENT_FLUSHES) setImmediate(() => this.flush());
    }).finally(() => {
      this.held -= bytes;
    });
  }

  /** Bytes of the requests waiting for or in a write (for tests and the gauge). */
  get queuedBytes(): number {
    return this.held;
  }

  async onApplicationShutdown() {
    this.closed = true;
    while (this.flushing > 0 || this.queue.length > 0) {
      if (this.flushing === 0) this.flush();
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  private takeBatch(): Pending[] {
    let signals = 0;
    let n = 0;
    while (n < this.queue.length && (n === 0 || signals + this.queue[n].request.signals.length <= MAX_SIGNALS_PER_FLUSH)) {
      signals += this.queue[n].request.signals.length;
      n++;
    }
    return this.queue.splice(0, n);
  }

  private flush(): void {
    if (this.flushing >= MAX_CONCURRENT_FLUSHES || this.queue.length === 0) return;
    const batch = this.takeBatch();
    this.flushing++;
    this.writeIsolating(batch)
      // Only for the unexpected: what is still unanswered fails (an answered promise ignores it).
      .catch((error: unknown) => batch.forEach((p) => p.reject(error)))
      .finally(() => {
        this.flushing--;
        if (this.queue.length) this.flush();
      });
  }

  /**
   * Writes a batch; when that fails for a reason other than the database being away, writes each
   * request alone, so that only the request at fault fails. A transient fault (connection lost,
   * shutdown) fails the batch at once: a 503 for every request, none of them written.
   */
  private async writeIsolating(batch: Pending[]): Promise<void> {
    try {
      await this.write(batch);
      return;
    } catch (error) {
      if (batch.length === 1 || isTransientInfrastructureError(error)) {
        batch.forEach((p) => p.reject(batch.length === 1 ? requestFailure(error) : error));
        return;
      }
      this.isolatedCounter.add(1);
      this.logger.warn({ err: error, requests: batch.length }, 'a group commit failed; writing its requests one by one');
    }
    for (let i = 0; i < batch.length; i++) {
      try {
        await this.write([batch[i]]);
      } catch (error) {
        if (isTransientInfrastructureError(error)) {
          // The database went away meanwhile: the rest would only wait for it one by one.
          batch.slice(i).forEach((p) => p.reject(error));
          return;
        }
        this.logger.warn({ err: error, integrationId: batch[i].request.integrationId }, 'an ingest request failed on its own and was refused');
        batch[i].reject(requestFailure(error));
      }
    }
  }

  private async write(batch: Pending[]): Promise<void> {
    const parent = contextFromHeaders(batch[0].traceHeaders);
    for (let attempt = 1; ; attempt++) {
      try {
        const results = await inSpan('intake write alerts', { parent, attributes: { 'vigil.requests': batch.length } }, () =>
          this.dataSource.transaction((manager) => this.apply(manager, batch)),
        );
        batch.forEach((p, i) => p.resolve(results[i]));
        this.flushSize.record(batch.reduce((n, p) => n + p.request.signals.length, 0));
        return;
      } catch (error) {
        // Another replica opened an alert for the same dedup key meanwhile: run again, now seeing it.
        const code = (error as { code?: string }).code;
        if ((code === '23505' || code === '40001' || code === '40P01') && attempt < 5) continue;
        throw error;
      }
    }
  }

  private async apply(manager: EntityManager, batch: Pending[]): Promise<WriteResult[]> {
    const results: Array<WriteResult | undefined> = new Array(batch.length);
    const replayOf = new Map<number, number>(); // same idempotency key twice in one flush
    const claimed = await this.claimIdempotencyKeys(manager, batch, results, replayOf);

    const live = batch.map((p, i) => (results[i] === undefined && !replayOf.has(i) ? p : undefined));
    const wanted = new Map<string, [string, string]>();
    for (const p of live) for (const s of p?.request.signals ?? []) wanted.set(openKey(p!.request.dedupNamespace, s.alert.dedupKey), [p!.request.dedupNamespace, s.alert.dedupKey]);
    const pairs = [...wanted.values()];
    const openRows: Array<{ id: string; dedup_namespace: string; dedup_key: string; status: 'triggered' | 'acknowledged'; occurrences: number }> =
      pairs.length === 0
        ? []
        : await manager.query(
            `SELECT a.id, a.dedup_namespace, a.dedup_key, a.status, a.occurrences
               FROM intake.alerts a JOIN unnest($1::text[], $2::text[]) AS k(namespace, dedup_key)
                 ON a.dedup_namespace = k.namespace AND a.dedup_key = k.dedup_key
              WHERE a.status <> 'resolved' FOR UPDATE OF a`,
            [pairs.map(([namespace]) => namespace), pairs.map(([, key]) => key)],
          );
    const open = new Map<string, OpenAlert | null>(
      openRows.map((r) => [openKey(r.dedup_namespace, r.dedup_key), { id: r.id, status: r.status, occurrences: r.occurrences }]),
    );
    const created = new Map<string, AlertRow>();
    const changed = new Map<string, Partial<AlertRow> & { id: string }>();
    const outbox: OutboxItem[] = [];

    live.forEach((pending, i) => {
      if (!pending) return;
      const at = pending.receivedAt.toISOString();
      const outcomes = pending.request.signals.map((signal): SignalOutcome => {
        const key = signal.alert.dedupKey;
        const scoped = openKey(pending.request.dedupNamespace, key);
        const { open: next, step } = applyAction(open.get(scoped) ?? null, signal.action, randomUUID);
        open.set(scoped, next);
        this.signalsCounter.add(1, { format: signal.format, action: signal.action, outcome: step.outcome });
        const event = this.record(step, signal, pending, at, created, changed);
        if (event) outbox.push({ event, topic: AlertReceivedV1.topic, key, traceHeaders: pending.traceHeaders });
        return { ...step, dedupKey: key };
      });
      results[i] = { kind: 'written', response: pending.request.respond(outcomes) };
    });

    // The flush's writes — new alerts, changed alerts, their events, the answers kept for
    // idempotency keys — go as one statement: one round trip per flush.
    const { bind, params } = statementBuilder();
    const writes: string[] = [];
    if (created.size) {
      writes.push(
        `INSERT INTO intake.alerts (id, dedup_namespace, dedup_key, source, title, severity, occurred_at, occurred_at_from_source, received_at,
                                    exercise, payload, raw, status, occurrences, last_seen_at, acknowledged_at, resolved_at, format, integration_id,
                                    ignored_labels)
         SELECT id, dedup_namespace, dedup_key, source, title, severity, occurred_at, occurred_at_from_source, received_at,
                exercise, payload, raw, status, occurrences, last_seen_at, acknowledged_at, resolved_at, format, integration_id, ignored_labels
           FROM jsonb_to_recordset(${bind(JSON.stringify([...created.values()]))}::jsonb) AS r(id uuid, dedup_namespace text, dedup_key text, source text,
                title text, severity text, occurred_at timestamptz, occurred_at_from_source boolean, received_at timestamptz, exercise boolean,
                payload jsonb, raw jsonb, status text, occurrences int, last_seen_at timestamptz, acknowledged_at timestamptz,
                resolved_at timestamptz, format text, integration_id uuid, ignored_labels jsonb)`,
      );
    }
    if (changed.size) {
      writes.push(
        `UPDATE intake.alerts a SET
            status = coalesce(r.status, a.status),
            occurrences = coalesce(r.occurrences, a.occurrences),
            last_seen_at = coalesce(r.last_seen_at, a.last_seen_at),
            acknowledged_at = coalesce(a.acknowledged_at, r.acknowledged_at),
            resolved_at = coalesce(r.resolved_at, a.resolved_at)
           FROM jsonb_to_recordset(${bind(JSON.stringify([...changed.values()]))}::jsonb) AS r(id uuid, status text, occurrences int, last_seen_at timestamptz,
                acknowledged_at timestamptz, resolved_at timestamptz)
          WHERE a.id = r.id`,
      );
    }
    if (outbox.length) writes.push(outboxInsertSql('intake', outbox, bind));
    const answered = claimed.filter((i) => results[i]?.kind === 'written');
    if (answered.length) {
      const answers = answered.map((i) => {
        const { response } = results[i] as { response: StoredResponse };
        return { integration_id: batch[i].request.integrationId, idempotency_key: batch[i].request.idempotency!.key, status_code: response.statusCode, response: response.body };
      });
      writes.push(
        `UPDATE intake.idempotency_keys k SET status_code = r.status_code, response = r.response
           FROM jsonb_to_recordset(${bind(JSON.stringify(answers))}::jsonb) AS r(integration_id uuid, idempotency_key text, status_code int, response jsonb)
          WHERE k.integration_id = r.integration_id AND k.idempotency_key = r.idempotency_key`,
      );
    }
    if (writes.length) await manager.query(writeTogetherSql(writes), params);
    for (const [i, first] of replayOf) {
      const original = results[first];
      const sameRequest = batch[i].request.idempotency!.requestHash === batch[first].request.idempotency!.requestHash;
      results[i] = sameRequest && original && original.kind !== 'key-reused' ? { kind: 'replayed', response: original.response } : { kind: 'key-reused' };
    }
    return results as WriteResult[];
  }

  /** Mutates the row maps for one step and returns the event it publishes, if any. */
  private record(
    step: Step,
    signal: AlertSignal,
    pending: Pending,
    at: string,
    created: Map<string, AlertRow>,
    changed: Map<string, Partial<AlertRow> & { id: string }>,
  ): CloudEvent | undefined {
    if (step.outcome === 'ignored' || !step.alertId) return undefined;
    const a = signal.alert;
    const exercise = a.exercise ?? false;
    const base = { source: '/vigil/intake', subject: a.dedupKey, time: pending.receivedAt };
    const id = step.alertId;
    // What a later step changes: the insert row of an alert created earlier in this same flush, or
    // the update row of an alert that was already open.
    const update = (fields: Partial<AlertRow>) => {
      const row = created.get(id) ?? changed.get(id) ?? { id };
      if (!created.has(id)) changed.set(id, row);
      Object.assign(row, fields);
    };
    switch (step.outcome) {
      case 'created': {
        const occurredAt = a.occurredAt ? new Date(a.occurredAt).toISOString() : at;
        created.set(step.alertId, {
          id: step.alertId,
          dedup_namespace: pending.request.dedupNamespace,
          dedup_key: a.dedupKey,
          source: a.source,
          title: a.title,
          severity: a.severity,
          occurred_at: occurredAt,
          occurred_at_from_source: !!a.occurredAt,
          received_at: at,
          exercise,
          payload: a,
          // The canonical form is its own raw payload: store it once.
          raw: signal.format === 'canonical' ? null : (signal.raw ?? null),
          status: 'triggered',
          occurrences: 1,
          last_seen_at: at,
          acknowledged_at: null,
          resolved_at: null,
          format: signal.format,
          integration_id: pending.request.integrationId,
          ignored_labels: signal.ignoredLabels ?? null,
        });
        return createEvent(AlertReceivedV1, {
          ...base,
          data: {
            alertId: step.alertId,
            dedupKey: a.dedupKey,
            title: a.title,
            source: a.source,
            severity: a.severity,
            category: a.category,
            occurredAt,
            receivedAt: at,
            description: a.description,
            labels: a.labels ?? {},
            assets: a.assets ?? [],
            observables: a.observables ?? [],
            exercise,
            format: signal.format,
            ...(pending.request.integrationId ? { integrationId: pending.request.integrationId } : {}),
            dedupNamespace: pending.request.dedupNamespace,
          },
        });
      }
      case 'deduplicated':
        update({ occurrences: step.occurrences, last_seen_at: at });
        return createEvent(AlertRepeatedV1, {
          ...base,
          data: { alertId: step.alertId, dedupKey: a.dedupKey, occurrences: step.occurrences, lastSeenAt: at, severity: a.severity, exercise },
        });
      case 'acknowledged':
        update({ status: 'acknowledged', acknowledged_at: at });
        return createEvent(AlertAcknowledgedV1, { ...base, data: { alertId: step.alertId, dedupKey: a.dedupKey, acknowledgedAt: at, exercise } });
      case 'resolved':
        update({ status: 'resolved', resolved_at: at });
        return createEvent(AlertResolvedV1, { ...base, data: { alertId: step.alertId, dedupKey: a.dedupKey, resolvedAt: at, exercise } });
    }
  }

  /**
   * Claims each request's idempotency key inside the transaction. A key already answered within
   * 24 h replays its stored answer (same request) or is refused (another request); the claim
   * row is written first, so a concurrent request with the same key waits for this one.
   */
  private async claimIdempotencyKeys(
    manager: EntityManager,
    batch: Pending[],
    results: Array<WriteResult | undefined>,
    replayOf: Map<number, number>,
  ): Promise<number[]> {
    const firstByKey = new Map<string, number>();
    const claims: number[] = [];
    batch.forEach((p, i) => {
      if (!p.request.idempotency) return;
      const id = `${p.request.integrationId}\u0000${p.request.idempotency.key}`;
      const first = firstByKey.get(id);
      if (first === undefined) {
        firstByKey.set(id, i);
        claims.push(i);
      } else replayOf.set(i, first);
    });
    if (claims.length === 0) return [];
    const rows = claims.map((i) => ({
      integration_id: batch[i].request.integrationId,
      idempotency_key: batch[i].request.idempotency!.key,
      request_hash: batch[i].request.idempotency!.requestHash,
    }));
    await manager.query(
      `DELETE FROM intake.idempotency_keys k USING jsonb_to_recordset($1::jsonb) AS r(integration_id uuid, idempotency_key text)
        WHERE k.integration_id = r.integration_id AND k.idempotency_key = r.idempotency_key
          AND k.created_at < now() - interval '${IDEMPOTENCY_WINDOW}'`,
      [JSON.stringify(rows)],
    );
    const inserted: Array<{ integration_id: string; idempotency_key: string }> = await manager.query(
      `INSERT INTO intake.idempotency_keys (integration_id, idempotency_key, request_hash, status_code, response)
       SELECT integration_id, idempotency_key, request_hash, 0, 'null'::jsonb
         FROM jsonb_to_recordset($1::jsonb) AS r(integration_id uuid, idempotency_key text, request_hash text)
       ON CONFLICT DO NOTHING RETURNING integration_id, idempotency_key`,
      [JSON.stringify(rows)],
    );
    const won = new Set(inserted.map((r) => `${r.integration_id}\u0000${r.idempotency_key}`));
    const lost = claims.filter((i) => !won.has(`${batch[i].request.integrationId}\u0000${batch[i].request.idempotency!.key}`));
    if (lost.length) {
      const existing: Array<{ integration_id: string; idempotency_key: string; request_hash: string; status_code: number; response: unknown }> =
        await manager.query(
          `SELECT k.integration_id, k.idempotency_key, k.request_hash, k.status_code, k.response
             FROM intake.idempotency_keys k JOIN jsonb_to_recordset($1::jsonb) AS r(integration_id uuid, idempotency_key text)
               ON k.integration_id = r.integration_id AND k.idempotency_key = r.idempotency_key`,
          [JSON.stringify(lost.map((i) => rows[claims.indexOf(i)]))],
        );
      const byId = new Map(existing.map((e) => [`${e.integration_id}\u0000${e.idempotency_key}`, e]));
      for (const i of lost) {
        const e = byId.get(`${batch[i].request.integrationId}\u0000${batch[i].request.idempotency!.key}`);
        results[i] =
          e && e.request_hash === batch[i].request.idempotency!.requestHash
            ? { kind: 'replayed', response: { statusCode: e.status_code, body: e.response } }
            : { kind: 'key-reused' };
      }
    }
    return claims.filter((i) => results[i] === undefined);
  }
}
