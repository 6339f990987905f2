import { metrics } from '@opentelemetry/api';
import { MeterProvider, MetricReader, type SumMetricData } from '@opentelemetry/sdk-metrics';
import { Admin } from '@platformatic/kafka';
import { AlertReceivedV1, createEvent, deadLetterTopicOf, toKafkaHeaders, type CloudEvent } from '@vigil/contracts';
import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import pino from 'pino';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { eventually, readTopic, testEnv } from '../../../test/support/harness';
import { EventConsumer } from '../src/consumer';
import { createProducer, provisionTopics, type StringProducer } from '../src/kafka';
import { enqueueEvent, LEADER_KEEPALIVE, leaderConnectionConfig, OutboxRelay } from '../src/outbox';
import { jsonOutboxV3, leanOutboxV2, messagingTablesV1 } from '../src/tables';

/** Reads the metrics of this process on demand. */
class TestMetricReader extends MetricReader {
  protected async onForceFlush(): Promise<void> {
    // nothing buffered: collect() reads the instruments directly
  }
  protected async onShutdown(): Promise<void> {
    // nothing to release
  }
  async sum(name: string, attributes: Record<string, string>): Promise<number | undefined> {
    const { resourceMetrics } = await this.collect();
    const metric = resourceMetrics.scopeMetrics.flatMap((s) => s.metrics).find((m) => m.descriptor.name === name) as SumMetricData | undefined;
    const point = metric?.dataPoints.find((p) => Object.entries(attributes).every(([k, v]) => p.attributes[k] === v));
    return point?.value;
  }
}
const metricReader = new TestMetricReader();
metrics.setGlobalMeterProvider(new MeterProvider({ readers: [metricReader] }));

/**
 * The delivery guarantees of the messaging library against a real broker and database:
 * effects applied once, bounded retries then the DLQ, infrastructure failures never dead-lettered,
 * and an outbox that publishes exactly what was committed.
 */
describe(EventConsumer.name, () => {
  const run = randomUUID().slice(0, 8);
  const schema = `msgtest_${run}`;
  const topic = `vigil.test-${run}.v1`;
  const logLines: string[] = [];
  const logger = pino(
    { level: 'warn' },
    new Writable({
      write(chunk: Buffer, _encoding, done) {
        logLines.push(chunk.toString());
        done();
      },
    }),
  );
  let dataSource: DataSource;
  let producer: StringProducer;
  let consumer: EventConsumer;
  const calls = new Map<string, number>();

  function alert(title: string, dedupKey = `key-${randomUUID()}`): CloudEvent {
    return createEvent(AlertReceivedV1, {
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
  }

  const publish = (event: CloudEvent, key = String((event.data as { dedupKey: string }).dedupKey)) =>
    producer.send({ messages: [{ topic, key, value: JSON.stringify(event.data), headers: toKafkaHeaders(event) }] });

  const effects = async (title: string) =>
    Number((await dataSource.query(`SELECT count(*)::int AS n FROM "${schema}".effects WHERE title = $1`, [title]))[0].n);

  beforeAll(async () => {
    const env = testEnv();
    dataSource = new DataSource({ type: 'postgres', url: env.adminUrl, extra: { max: 5 } });
    await dataSource.initialize();
    await dataSource.query(`CREATE SCHEMA "${schema}"`);
    for (const sql of [...messagingTablesV1(schema).up, ...leanOutboxV2(schema).up, ...jsonOutboxV3(schema).up]) await dataSource.query(sql);
    await dataSource.query(`CREATE TABLE "${schema}".effects (id bigserial PRIMARY KEY, title text NOT NULL)`);
    const admin = new Admin({ clientId: 'vigil-test-admin', bootstrapBrokers: env.brokers.split(',') });
    await provisionTopics(admin, [topic, deadLetterTopicOf(topic)], { partitions: 2, replicationFactor: 1, minInsyncReplicas: 1 });
    await admin.close();
    producer = createProducer({ brokers: env.brokers.split(','), clientId: 'vigil-test' });
    consumer = new EventConsumer({
      kafka: { brokers: env.brokers.split(','), clientId: 'vigil-test' },
      groupId: `vigil-test-${run}`,
      topics: [topic],
      dataSource,
      schema,
      producer,
      logger,
      maxAttempts: 3,
      handlers: {
        [AlertReceivedV1.type]: async (event, manager) => {
          const title = (event.data as { title: string }).title;
          const n = (calls.get(title) ?? 0) + 1;
          calls.set(title, n);
          if (title.startsWith('fail-twice') && n <= 2) throw new Error(`attempt ${n} fails`);
          if (title.startsWith('always-fail')) throw new Error('this handler never succeeds');
          if (title.startsWith('database-away') && n <= 4) throw Object.assign(new Error('terminating connection'), { code: '57P01' });
          if (title.startsWith('slow-')) await new Promise((r) => setTimeout(r, 40));
          await manager.query(`INSERT INTO "${schema}".effects (title) VALUES ($1)`, [title]);
        },
      },
    });
    await consumer.start();
  }, 60_000);

  afterAll(async () => {
    await consumer?.stop();
    await producer?.close();
    await dataSource?.query(`DROP SCHEMA "${schema}" CASCADE`).catch(() => undefined);
    await dataSource?.destroy();
  });

  it('applies an event once even when it is delivered twice', async () => {
    const event = alert(`duplicate-${run}`);
    await publish(event);
    await publish(event);
    const marker = alert(`after-duplicate-${run}`, String((event.data as { dedupKey: string }).dedupKey));
    await publish(marker);
    await eventually(async () => ((await effects(`after-duplicate-${run}`)) === 1 ? true : undefined));
    expect(await effects(`duplicate-${run}`)).toBe(1);
    expect(calls.get(`duplicate-${run}`)).toBe(1);
  });

  it('applies two partitions side by side when each has a backlog, each in its order', async () => {
    // A fetch hands over one partition's run of messages, then the other's: both runs must be
    // worked on at once, not one after the other.
    const backlog = (name: string) => Array.from({ length: 16 }, (_, i) => alert(`slow-${name}-${run}-${String(i).padStart(2, '0')}`, `slow-${name}-${run}`));
    const [a, b] = [backlog('a'), backlog('b')];
    const message = (event: CloudEvent, partition: number) => ({ topic, partition, key: String(event.subject), value: JSON.stringify(event.data), headers: toKafkaHeaders(event) });
    await producer.send({ messages: [...a.map((e) => message(e, 0)), ...b.map((e) => message(e, 1))] });

    const applied = await eventually(async () => {
      const rows: Array<{ title: string }> = await dataSource.query(`SELECT title FROM "${schema}".effects WHERE title LIKE $1 ORDER BY id`, [`slow-_-${run}-%`]);
      return rows.length === a.length + b.length ? rows.map((r) => r.title) : undefined;
    });
    const titles = (events: CloudEvent[]) => events.map((e) => (e.data as { title: string }).title);
    expect(applied.filter((t) => t.startsWith('slow-a'))).toEqual(titles(a));
    expect(applied.filter((t) => t.startsWith('slow-b'))).toEqual(titles(b));
    // Interleaved: the first third already has both partitions' messages.
    const firstThird = applied.slice(0, 10);
    expect([firstThird.some((t) => t.startsWith('slow-a')), firstThird.some((t) => t.startsWith('slow-b'))]).toEqual([true, true]);
  });

  it('retries a failing handler and applies the event once it succeeds', async () => {
    await publish(alert(`fail-twice-${run}`));
    await eventually(async () => ((await effects(`fail-twice-${run}`)) === 1 ? true : undefined));
    expect(calls.get(`fail-twice-${run}`)).toBe(3);
  });

  it('sends a message that keeps failing to the DLQ after bounded retries, and the partition keeps flowing', async () => {
    const key = `poison-${run}`;
    const poison = alert(`always-fail-${run}`, key);
    await publish(poison);
    await publish(alert(`behind-the-poison-${run}`, key));
    await eventually(async () => ((await effects(`behind-the-poison-${run}`)) === 1 ? true : undefined));
    expect(calls.get(`always-fail-${run}`)).toBe(3);
    const [parked] = await readTopic(deadLetterTopicOf(topic), (messages) => {
      const mine = messages.filter((m) => m.headers.ce_id === poison.id);
      return mine.length ? mine : undefined;
    });
    expect(parked.headers).toMatchObject({
      'vigil-dlq-error': 'this handler never succeeds',
      'vigil-dlq-attempts': '3',
      'vigil-dlq-original-topic': topic,
      'vigil-dlq-consumer-group': `vigil-test-${run}`,
      ce_type: AlertReceivedV1.type,
    });
    expect(JSON.parse(parked.value).title).toBe(`always-fail-${run}`);
  });

  it('skips events of a type it does not know (a newer producer), counted and logged once, never dead-lettered', async () => {
    const key = `rolling-upgrade-${run}`;
    const newer = (n: number) => ({ ...alert(`from-a-newer-producer-${n}`, key), type: 'vigil.alert.escalated.v9' });
    const unknown = [newer(1), newer(2)];
    // A message that does break its contract, behind them on the same partition: once it is in the
    // DLQ, the unknown ones were handled before it.
    const broken = alert(`broken-${run}`, key);
    await publish(unknown[0], key);
    await publish(unknown[1], key);
    await producer.send({ messages: [{ topic, key, value: 'not json', headers: toKafkaHeaders(broken) }] });
    await publish(alert(`after-the-newer-ones-${run}`, key), key);
    await eventually(async () => ((await effects(`after-the-newer-ones-${run}`)) === 1 ? true : undefined));
    const parked = await readTopic(deadLetterTopicOf(topic), (messages) => (messages.some((m) => m.headers.ce_id === broken.id) ? messages : undefined));
    expect(parked.filter((m) => unknown.some((u) => u.id === m.headers.ce_id))).toEqual([]);
    const skipped = logLines.filter((l) => l.includes('vigil.alert.escalated.v9'));
    expect(skipped).toHaveLength(1); // one line for the type, however many of its events come by
    expect(JSON.parse(skipped[0])).toMatchObject({ level: 40, eventType: 'vigil.alert.escalated.v9', topic });
    expect(await metricReader.sum('vigil.events.consumed', { topic, outcome: 'unknown_type' })).toBe(2);
  });

  it('waits out an unavailable database instead of dead-lettering', async () => {
    const event = alert(`database-away-${run}`);
    await publish(event);
    await eventually(async () => ((await effects(`database-away-${run}`)) === 1 ? true : undefined), 60_000);
    expect(calls.get(`database-away-${run}`)).toBe(5); // more than maxAttempts, and still applied
  });
});

describe(OutboxRelay.name, () => {
  const run = randomUUID().slice(0, 8);
  const schema = `relaytest_${run}`;
  const topic = `vigil.relay-test-${run}.v1`;
  let dataSource: DataSource;
  let producer: StringProducer;
  let relay: OutboxRelay;

  beforeAll(async () => {
    const env = testEnv();
    dataSource = new DataSource({ type: 'postgres', url: env.adminUrl, extra: { max: 5 } });
    await dataSource.initialize();
    await dataSource.query(`CREATE SCHEMA "${schema}"`);
    for (const sql of [...messagingTablesV1(schema).up, ...leanOutboxV2(schema).up, ...jsonOutboxV3(schema).up]) await dataSource.query(sql);
    const admin = new Admin({ clientId: 'vigil-test-admin', bootstrapBrokers: env.brokers.split(',') });
    await provisionTopics(admin, [topic], { partitions: 1, replicationFactor: 1, minInsyncReplicas: 1 });
    await admin.close();
    producer = createProducer({ brokers: env.brokers.split(','), clientId: 'vigil-relay-test' });
    // A long sweep interval: if events arrive quickly, it is the NOTIFY that woke the relay.
    relay = new OutboxRelay({ dataSource, databaseUrl: env.adminUrl, schema, producer, logger: pino({ level: 'silent' }), sweepIntervalMs: 60_000 });
    relay.start();
  });

  afterAll(async () => {
    await relay?.stop();
    await producer?.close();
    await dataSource?.query(`DROP SCHEMA "${schema}" CASCADE`).catch(() => undefined);
    await dataSource?.destroy();
  });

  it('publishes committed events in order, woken by NOTIFY, and nothing from a rolled-back transaction', async () => {
    await new Promise((r) => setTimeout(r, 1000)); // let the relay settle into its LISTEN wait
    const committed = Array.from({ length: 5 }, (_, i) => ({ id: randomUUID(), n: i }));
    const rolledBack = randomUUID();
    await dataSource
      .transaction(async (manager) => {
        const event = { specversion: '1.0', id: rolledBack, type: 'vigil.alert.received.v1', source: '/t', time: new Date().toISOString(), subject: 's', datacontenttype: 'application/json', data: {} } as CloudEvent;
        await enqueueEvent(manager, schema, event, { topic, key: 'k' });
        throw new Error('roll back');
      })
      .catch(() => undefined);
    const started = Date.now();
    await dataSource.transaction(async (manager) => {
      for (const { id, n } of committed) {
        const event = { specversion: '1.0', id, type: 'vigil.alert.received.v1', source: '/t', time: new Date().toISOString(), subject: 's', datacontenttype: 'application/json', data: { n } } as CloudEvent;
        await enqueueEvent(manager, schema, event, { topic, key: 'k' });
      }
    });
    const messages = await readTopic(topic, (seen) => (seen.length >= committed.length ? seen : undefined), 20_000);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(messages.map((m) => m.headers.ce_id)).toEqual(committed.map((c) => c.id));
    expect(messages.map((m) => JSON.parse(m.value).n)).toEqual([0, 1, 2, 3, 4]);
    // Published rows are deleted once the broker has them; the rolled-back one never existed.
    const left = await eventually(async () => {
      const rows = await dataSource.query(`SELECT count(*)::int AS n FROM "${schema}".outbox`);
      return rows[0].n === 0 ? 0 : undefined;
    }, 10_000);
    expect(left).toBe(0);
  });

  it('leads on a session the server gives up on within seconds once the leader node is gone', async () => {
    const client = new Client(leaderConnectionConfig(testEnv().adminUrl, schema));
    await client.connect();
    try {
      const { rows } = await client.query(
        `SELECT current_setting('tcp_keepalives_idle') AS idle, current_setting('tcp_keepalives_interval') AS interval,
                current_setting('tcp_keepalives_count') AS count, current_setting('tcp_user_timeout') AS user_timeout,
                current_setting('application_name') AS name`,
      );
      // Over TCP, as the services connect: probes after 5 s idle, 2 s apart, dead after 3 unanswered.
      expect(rows[0]).toEqual({ idle: '5', interval: '2', count: '3', user_timeout: '11000', name: `${schema}-outbox-relay` });
      expect(LEADER_KEEPALIVE.idleSeconds + LEADER_KEEPALIVE.intervalSeconds * LEADER_KEEPALIVE.count).toBeLessThanOrEqual(15);
    } finally {
      await client.end();
    }
  });
});
