import { metrics } from '@opentelemetry/api';
import { MeterProvider, MetricReader, type SumMetricData } from '@opentelemetry/sdk-metrics';
import { Admin } from '@platformatic/kafka';
import { AlertReceivedV1, AlertRepeatedV1, createEvent, deadLetterTopicOf, toKafkaHeaders, type CloudEvent } from '@vigil/contracts';
import { randomUUID } from 'node:crypto';
import pino from 'pino';
import { DataSource, type EntityManager } from 'typeorm';
import { eventually, readTopic, testEnv } from '../../../test/support/harness';
import { EventConsumer, on, onRun, onRunOf, type EventConsumerOptions, type HandlerRegistration } from '../src/consumer';
import { createProducer, provisionTopics, type StringProducer } from '../src/kafka';
import { jsonOutboxV3, leanOutboxV2, messagingTablesV1 } from '../src/tables';

/** Reads the metrics of this process on demand. */
class TestMetricReader extends MetricReader {
  protected async onForceFlush(): Promise<void> {
    // nothing buffered: collect() reads the instruments directly
  }
  protected async onShutdown(): Promise<void> {
    // nothing to release
  }
  async sum(name: string, attributes: Record<string, string>): Promise<number> {
    const { resourceMetrics } = await this.collect();
    const metric = resourceMetrics.scopeMetrics.flatMap((s) => s.metrics).find((m) => m.descriptor.name === name) as SumMetricData | undefined;
    const point = metric?.dataPoints.find((p) => Object.entries(attributes).every(([k, v]) => p.attributes[k] === v));
    return point?.value ?? 0;
  }
}
const metricReader = new TestMetricReader();
metrics.setGlobalMeterProvider(new MeterProvider({ readers: [metricReader] }));

/**
 * Run-wise consumption against a real broker and database: a partition's ready events applied in
 * one transaction, a poison event isolated by the event-by-event retry, redelivery absorbed by the
 * inbox, and per-partition order. Each test produces its backlog first, then starts a consumer of
 * its own on a topic of its own, so that the backlog is there to be taken as runs.
 */
describe('EventConsumer runs', () => {
  const run = randomUUID().slice(0, 8);
  const schema = `runtest_${run}`;
  const logger = pino({ level: 'silent' });
  let dataSource: DataSource;
  let producer: StringProducer;
  const consumers: EventConsumer[] = [];

  beforeAll(async () => {
    const env = testEnv();
    dataSource = new DataSource({ type: 'postgres', url: env.adminUrl, extra: { max: 6 } });
    await dataSource.initialize();
    await dataSource.query(`CREATE SCHEMA "${schema}"`);
    for (const sql of [...messagingTablesV1(schema).up, ...leanOutboxV2(schema).up, ...jsonOutboxV3(schema).up]) await dataSource.query(sql);
    await dataSource.query(
      `CREATE TABLE "${schema}".effects (id bigserial PRIMARY KEY, topic text NOT NULL, title text NOT NULL, kind text NOT NULL, tx bigint NOT NULL DEFAULT txid_current())`,
    );
    producer = createProducer({ brokers: env.brokers.split(','), clientId: 'vigil-run-test' });
  }, 60_000);

  afterAll(async () => {
    for (const c of consumers) await c.stop();
    await producer?.close();
    await dataSource?.query(`DROP SCHEMA "${schema}" CASCADE`).catch(() => undefined);
    await dataSource?.destroy();
  });

  async function newTopic(name: string, partitions = 1): Promise<string> {
    const topic = `vigil.run-test-${name}-${run}.v1`;
    const admin = new Admin({ clientId: 'vigil-test-admin', bootstrapBrokers: testEnv().brokers.split(',') });
    await provisionTopics(admin, [topic, deadLetterTopicOf(topic)], { partitions, replicationFactor: 1, minInsyncReplicas: 1 });
    await admin.close();
    return topic;
  }

  async function startConsumer(topic: string, handlers: HandlerRegistration[], options: Partial<EventConsumerOptions> = {}): Promise<EventConsumer> {
    const env = testEnv();
    const consumer = new EventConsumer({
      kafka: { brokers: env.brokers.split(','), clientId: 'vigil-run-test' },
      groupId: `vigil-run-test-${topic}`,
      topics: [topic],
      dataSource,
      schema,
      producer,
      logger,
      maxAttempts: 2,
      handlers,
      ...options,
    });
    consumers.push(consumer);
    await consumer.start();
    return consumer;
  }

  const received = (title: string, dedupKey: string): CloudEvent =>
    createEvent(AlertReceivedV1, {
      source: '/test',
      subject: dedupKey,
      data: {
        alertId: randomUUID(),
        dedupKey,
        title,
        source: 'test',
        severity: 'low',
        occurredAt: new Date().toISOString(),
        receivedAt: new Date().toISOString(),
        labels: {},
        assets: [],
        observables: [],
        exercise: false,
      },
    });

  const repeated = (dedupKey: string, occurrences: number): CloudEvent =>
    createEvent(AlertRepeatedV1, {
      source: '/test',
      subject: dedupKey,
      data: { alertId: randomUUID(), dedupKey, occurrences, lastSeenAt: new Date().toISOString(), severity: 'low', exercise: false },
    });

  /** Produces the events in one request, to one partition each as given, in order. */
  const produce = (topic: string, events: CloudEvent[], partition = 0) =>
    producer.send({ messages: events.map((e) => ({ topic, partition, key: e.subject, value: JSON.stringify(e.data), headers: toKafkaHeaders(e) })) });

  const record = (tx: EntityManager, topic: string, title: string, kind: string) =>
    tx.query(`INSERT INTO "${schema}".effects (topic, title, kind) VALUES ($1, $2, $3)`, [topic, title, kind]);

  const effects = (topic: string): Promise<Array<{ title: string; kind: string; tx: string }>> =>
    dataSource.query(`SELECT title, kind, tx::text AS tx FROM "${schema}".effects WHERE topic = $1 ORDER BY id`, [topic]);

  const until = (topic: string, count: number) =>
    eventually(async () => {
      const rows = await effects(topic);
      return rows.length >= count ? rows : undefined;
    }, 60_000);

  const titles = (events: CloudEvent[]) => events.map((e) => (e.data as { title: string }).title);

  it('applies a partition backlog in one transaction: inbox rows and effects, single-event and run handlers alike', async () => {
    const topic = await newTopic('one-tx');
    const key = `one-tx-${run}`;
    const events = Array.from({ length: 40 }, (_, i) => received(`one-tx-${String(i).padStart(2, '0')}`, key));
    await produce(topic, events);
    const runSizes: number[] = [];
    await startConsumer(topic, [
      onRun(AlertReceivedV1, async (run, tx) => {
        runSizes.push(run.length);
        for (const { data } of run) await record(tx, topic, data.title, 'run');
      }),
      on(AlertReceivedV1, (data, tx) => record(tx, topic, data.title, 'single')),
    ]);
    const rows = await until(topic, 80);
    // The run handler first for the whole run, then the single-event handler for each, in order.
    expect(rows.map((r) => r.title)).toEqual([...titles(events), ...titles(events)]);
    expect(rows.map((r) => r.kind)).toEqual([...events.map(() => 'run'), ...events.map(() => 'single')]);
    expect(runSizes).toEqual([40]);
    expect(new Set(rows.map((r) => r.tx)).size).toBe(1);
    const inbox: Array<{ n: number; txs: number; tx: string }> = await dataSource.query(
      `SELECT count(*)::int AS n, count(DISTINCT xmin::text)::int AS txs, min(xmin::text) AS tx FROM "${schema}".inbox WHERE topic = $1`,
      [topic],
    );
    expect(inbox[0]).toMatchObject({ n: 40, txs: 1 });
    // The same transaction as the effects (xmin is the 32-bit form of the txid).
    expect(String(BigInt(rows[0].tx) % 2n ** 32n)).toBe(inbox[0].tx);
    expect(await metricReader.sum('vigil.events.consumed', { topic, outcome: 'applied' })).toBe(40);
  });

  it('takes a stretch of interleaved types in one call when onRunOf joins them, while one-type runs are cut by every other type', async () => {
    const topic = await newTopic('mixed');
    const key = `mixed-${run}`;
    // New alerts with repeats between them, as a busy feed sends them.
    const events = Array.from({ length: 30 }, (_, i) => (i % 3 === 2 ? repeated(key, i) : received(`mixed-${String(i).padStart(2, '0')}`, key)));
    await produce(topic, events);
    const calls: Array<{ handler: string; types: string[] }> = [];
    await startConsumer(topic, [
      onRunOf([AlertReceivedV1, AlertRepeatedV1], async (run, tx) => {
        calls.push({ handler: 'mixed', types: run.map((e) => e.type) });
        for (const e of run) await record(tx, topic, e.type === AlertReceivedV1.type ? e.data.title : `repeat ${e.data.occurrences}`, 'mixed');
      }),
      onRun(AlertRepeatedV1, async (run, tx) => {
        calls.push({ handler: 'repeats', types: run.map(() => AlertRepeatedV1.type) });
        for (const { data } of run) await record(tx, topic, `repeat ${data.occurrences}`, 'repeats');
      }),
      on(AlertReceivedV1, (data, tx) => record(tx, topic, data.title, 'single')),
    ]);
    const rows = await until(topic, 30 + 10 + 20);
    // One stretch of all 30 events: the joined run first (types mixed, in order), then the
    // repeats-only run with its 10, then the single-event handler for each of the 20 new alerts.
    expect(calls).toEqual([
      { handler: 'mixed', types: events.map((e) => e.type) },
      { handler: 'repeats', types: events.filter((e) => e.type === AlertRepeatedV1.type).map((e) => e.type) },
    ]);
    const label = (e: CloudEvent) => (e.type === AlertReceivedV1.type ? (e.data as { title: string }).title : `repeat ${(e.data as { occurrences: number }).occurrences}`);
    expect(rows.map((r) => `${r.kind}:${r.title}`)).toEqual([
      ...events.map((e) => `mixed:${label(e)}`),
      ...events.filter((e) => e.type === AlertRepeatedV1.type).map((e) => `repeats:${label(e)}`),
      ...events.filter((e) => e.type === AlertReceivedV1.type).map((e) => `single:${label(e)}`),
    ]);
    expect(new Set(rows.map((r) => r.tx)).size).toBe(1);
  });

  it('sends only the poison event of a run to the DLQ, and applies the others once, in order', async () => {
    const topic = await newTopic('poison');
    const key = `poison-${run}`;
    const events = Array.from({ length: 21 }, (_, i) => received(i === 10 ? `poison-${run}` : `healthy-${String(i).padStart(2, '0')}`, key));
    await produce(topic, events);
    const calls = new Map<string, number>();
    const runSizes: number[] = [];
    await startConsumer(topic, [
      onRun(AlertReceivedV1, async (run, tx) => {
        runSizes.push(run.length);
        for (const { data } of run) {
          calls.set(data.title, (calls.get(data.title) ?? 0) + 1);
          // A statement that fails in the database too: the transaction is aborted, not just thrown out of.
          if (data.title.startsWith('poison')) await tx.query(`SELECT 1 / 0`);
          await record(tx, topic, data.title, 'run');
        }
      }),
    ]);
    const [parked] = await readTopic(deadLetterTopicOf(topic), (messages) => (messages.length ? messages : undefined), 60_000);
    expect(parked.headers.ce_id).toBe(events[10].id);
    expect(parked.headers['vigil-dlq-attempts']).toBe('2');
    const rows = await until(topic, 20);
    const healthy = titles(events).filter((t) => !t.startsWith('poison'));
    expect(rows.map((r) => r.title)).toEqual(healthy);
    // The run failed as a whole, then every event went alone: the poison one until its attempts ran out.
    expect(runSizes).toEqual([21, ...events.map(() => 1), 1]);
    expect(calls.get(`poison-${run}`)).toBe(3);
    expect(await metricReader.sum('vigil.events.consumed', { topic, outcome: 'applied' })).toBe(20);
    expect(await metricReader.sum('vigil.events.consumed', { topic, outcome: 'dead_lettered' })).toBe(1);
    // Nothing else was parked behind it.
    const dlq = await readTopic(deadLetterTopicOf(topic), (messages) => messages, 5000, undefined, 2000);
    expect(dlq).toHaveLength(1);
  });

  it('applies nothing twice when events come again after a crash before the offset commit', async () => {
    const topic = await newTopic('redelivery');
    const key = `redelivery-${run}`;
    const first = Array.from({ length: 25 }, (_, i) => received(`first-${String(i).padStart(2, '0')}`, key));
    await produce(topic, first);
    // The first consumer applies the backlog, then rolls the transaction of one run back with a
    // fault of the database, as a crash halfway through would: it is retried whole.
    let faults = 1;
    const handlers = [
      onRun(AlertReceivedV1, async (run, tx) => {
        for (const { data } of run) {
          await record(tx, topic, data.title, 'run');
          if (data.title === 'first-12' && faults-- > 0) throw Object.assign(new Error('terminating connection'), { code: '57P01' });
        }
      }),
    ];
    const inboxConsumer = `vigil-run-test-${run}-service`;
    const crashed = await startConsumer(topic, handlers, { inboxConsumer, groupId: `crashed-${topic}` });
    await until(topic, 25);
    await crashed.stop();
    const second = Array.from({ length: 25 }, (_, i) => received(`second-${String(i).padStart(2, '0')}`, key));
    await produce(topic, second);
    // A consumer whose group has no committed offset (as after a crash before the commit, or a
    // replay into a fresh group) gets all 50 again: the inbox of the same logical consumer lets
    // only the 25 new ones through.
    await startConsumer(topic, handlers, { inboxConsumer, groupId: `restarted-${topic}` });
    const rows = await until(topic, 50);
    await new Promise((r) => setTimeout(r, 1000)); // room for a duplicate to show up
    expect((await effects(topic)).map((r) => r.title)).toEqual([...titles(first), ...titles(second)]);
    expect(rows).toHaveLength(50);
    expect(await metricReader.sum('vigil.events.consumed', { topic, outcome: 'duplicate' })).toBe(25);
    expect(await metricReader.sum('vigil.events.consumed', { topic, outcome: 'applied' })).toBe(50);
  });

  it('keeps each partition in order with runs, across event types and partitions applied side by side', async () => {
    const topic = await newTopic('order', 3);
    const perPartition = 120;
    const produced: CloudEvent[][] = [];
    for (let partition = 0; partition < 3; partition++) {
      const key = `order-${partition}-${run}`;
      // Received and repeated interleaved: runs of one type with a run handler, single events between.
      const events = Array.from({ length: perPartition }, (_, i) => (i % 7 === 3 ? repeated(key, i) : received(`p${partition}-${String(i).padStart(3, '0')}`, key)));
      produced.push(events);
    }
    // Produced in slices, half before the consumer starts and half while it applies the rest.
    const slices = async (from: number, to: number) => {
      for (let slice = from; slice < to; slice++) {
        for (let partition = 0; partition < 3; partition++) await produce(topic, produced[partition].slice(slice * 30, slice * 30 + 30), partition);
      }
    };
    await slices(0, 2);
    const label = (e: CloudEvent) => (e.type === AlertRepeatedV1.type ? `repeat-${(e.data as { dedupKey: string }).dedupKey}-${(e.data as { occurrences: number }).occurrences}` : (e.data as { title: string }).title);
    await startConsumer(
      topic,
      [
        onRun(AlertReceivedV1, async (run, tx) => {
          for (const { data } of run) await record(tx, topic, data.title, 'received');
        }),
        on(AlertRepeatedV1, (data, tx) => record(tx, topic, `repeat-${data.dedupKey}-${data.occurrences}`, 'repeated')),
      ],
      { concurrency: 3 },
    );
    await slices(2, 4);
    const rows = await until(topic, 3 * perPartition);
    for (let partition = 0; partition < 3; partition++) {
      const mine = new Set(produced[partition].map(label));
      expect(rows.map((r) => r.title).filter((t) => mine.has(t))).toEqual(produced[partition].map(label));
    }
    // Runs, not one transaction per event.
    expect(new Set(rows.map((r) => r.tx)).size).toBeLessThan(3 * perPartition / 4);
  });
});
