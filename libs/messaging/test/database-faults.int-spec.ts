import { Admin } from '@platformatic/kafka';
import { AlertReceivedV1, createEvent, deadLetterTopicOf, toKafkaHeaders, type CloudEvent } from '@vigil/contracts';
import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { Client } from 'pg';
import pino from 'pino';
import { DataSource } from 'typeorm';
import { eventually, testEnv, withDatabase } from '../../../test/support/harness';
import { EventConsumer } from '../src/consumer';
import { createProducer, provisionTopics, type StringProducer } from '../src/kafka';
import { jsonOutboxV3, leanOutboxV2, messagingTablesV1 } from '../src/tables';

/**
 * Faults of the database that are nobody's message's fault — a failover that leaves it
 * read-only, a lock that is not granted in time — are waited out like a lost connection: the
 * event is applied once when the database is back, never dead-lettered. The consumer connects
 * with a role of its own, so that making that role read-only touches no other test.
 */
describe('EventConsumer during database faults', () => {
  const run = randomUUID().slice(0, 8);
  const schema = `faulttest_${run}`;
  const role = `faulttest_${run}`;
  const topic = `vigil.fault-test-${run}.v1`;
  const maxAttempts = 3;
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

  function alert(title: string): CloudEvent {
    const dedupKey = `fault-${randomUUID()}`;
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

  const publish = (event: CloudEvent) =>
    producer.send({ messages: [{ topic, key: event.subject, value: JSON.stringify(event.data), headers: toKafkaHeaders(event) }] });

  const effects = async (title: string) =>
    Number((await dataSource.query(`SELECT count(*)::int AS n FROM "${schema}".effects WHERE title = $1`, [title]))[0].n);

  /** Retries the consumer logged as "infrastructure unavailable" with this SQLSTATE. */
  const waitedOut = (sqlstate: string) => logLines.filter((l) => l.includes('infrastructure unavailable') && l.includes(`"code":"${sqlstate}"`)).length;

  /** Ends the consumer role's sessions: the pool reconnects, under whatever the role is now set to. */
  const dropSessions = () =>
    withDatabase((db) => db.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = $1`, [role]));

  beforeAll(async () => {
    const env = testEnv();
    await withDatabase(async (db) => {
      await db.query(`CREATE ROLE "${role}" LOGIN PASSWORD 'fault-test'`);
      await db.query(`CREATE SCHEMA "${schema}" AUTHORIZATION "${role}"`);
    });
    const url = new URL(env.adminUrl);
    url.username = role;
    url.password = 'fault-test';
    // The service pools' limits, shortened: a lock not granted within 300 ms is a 55P03.
    dataSource = new DataSource({ type: 'postgres', url: url.toString(), extra: { max: 5, lock_timeout: 300 } });
    await dataSource.initialize();
    for (const sql of [...messagingTablesV1(schema).up, ...leanOutboxV2(schema).up, ...jsonOutboxV3(schema).up]) await dataSource.query(sql);
    await dataSource.query(`CREATE TABLE "${schema}".effects (id bigserial PRIMARY KEY, title text NOT NULL)`);
    const admin = new Admin({ clientId: 'vigil-test-admin', bootstrapBrokers: env.brokers.split(',') });
    await provisionTopics(admin, [topic, deadLetterTopicOf(topic)], { partitions: 1, replicationFactor: 1, minInsyncReplicas: 1 });
    await admin.close();
    producer = createProducer({ brokers: env.brokers.split(','), clientId: 'vigil-fault-test' });
    consumer = new EventConsumer({
      kafka: { brokers: env.brokers.split(','), clientId: 'vigil-fault-test' },
      groupId: `vigil-fault-test-${run}`,
      topics: [topic],
      dataSource,
      schema,
      producer,
      logger,
      maxAttempts,
      handlers: {
        [AlertReceivedV1.type]: async (event, manager) => {
          const title = (event.data as { title: string }).title;
          calls.set(title, (calls.get(title) ?? 0) + 1);
          await manager.query(`INSERT INTO "${schema}".effects (title) VALUES ($1)`, [title]);
        },
      },
    });
    await consumer.start();
  }, 90_000);

  afterAll(async () => {
    await consumer?.stop();
    await producer?.close();
    await dataSource?.destroy();
    await withDatabase(async (db) => {
      await db.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await db.query(`DROP ROLE IF EXISTS "${role}"`);
    }).catch(() => undefined);
  });

  it('waits out a database that became read-only (a failover) and applies the event once it is writable', async () => {
    await withDatabase((db) => db.query(`ALTER ROLE "${role}" SET default_transaction_read_only = on`));
    await dropSessions();
    const title = `read-only-${run}`;
    try {
      await publish(alert(title));
      // More failures than the consumer's attempts: a message fault would be in the DLQ by now.
      await eventually(async () => (waitedOut('25006') > maxAttempts ? true : undefined), 60_000);
      expect(await effects(title)).toBe(0);
    } finally {
      await withDatabase((db) => db.query(`ALTER ROLE "${role}" RESET default_transaction_read_only`));
      await dropSessions();
    }
    await eventually(async () => ((await effects(title)) === 1 ? true : undefined), 60_000);
    expect(calls.get(title)).toBe(1);
    expect(logLines.some((l) => l.includes('dead-letter topic'))).toBe(false);
  }, 120_000);

  it('waits out a lock it is not granted in time (lock_timeout) and applies the event once the lock is free', async () => {
    const holder = new Client({ connectionString: testEnv().adminUrl });
    await holder.connect();
    const title = `locked-out-${run}`;
    try {
      // A hung transaction holding the table: every statement that needs it times out on the lock.
      await holder.query('BEGIN');
      await holder.query(`LOCK TABLE "${schema}".effects IN EXCLUSIVE MODE`); // writes wait, reads do not
      await publish(alert(title));
      await eventually(async () => (waitedOut('55P03') > maxAttempts ? true : undefined), 60_000);
      expect(await effects(title)).toBe(0);
    } finally {
      await holder.query('ROLLBACK').catch(() => undefined);
      await holder.end();
    }
    await eventually(async () => ((await effects(title)) === 1 ? true : undefined), 60_000);
    // Each attempt rolled back with its lock wait; only the last one committed.
    expect(calls.get(title)).toBeGreaterThan(maxAttempts);
    expect(logLines.some((l) => l.includes('dead-letter topic'))).toBe(false);
  }, 120_000);
});
