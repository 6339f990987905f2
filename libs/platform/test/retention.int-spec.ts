import { inboxPruningMigration, messagingTablesV1 } from '@vigil/messaging';
import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import pino from 'pino';
import { DataSource } from 'typeorm';
import { testEnv } from '../../../test/support/harness';
import { inboxPruneTarget, RetentionJob } from '../src/retention';

const DAY = 86_400_000;

/**
 * The inbox and idempotency keys are pruned past their horizon, in batches, by one replica at a
 * time. The job's clock is moved instead of waiting days.
 */
describe(RetentionJob.name, () => {
  const run = randomUUID().slice(0, 8);
  const schema = `retentiontest_${run}`;
  const logger = pino({ level: 'silent' });
  let dataSource: DataSource;
  let clock = new Date();

  const job = (batchSize = 1000) =>
    new RetentionJob({
      dataSource,
      schema,
      targets: [inboxPruneTarget(schema, 7 * DAY), { name: 'idempotency_keys', table: `"${schema}".idempotency_keys`, column: 'created_at', olderThanMs: 7 * DAY }],
      intervalMs: 60_000,
      batchSize,
      logger,
      now: () => clock,
    });

  /** Inbox rows processed `ageDays` before the real now. */
  const processed = (count: number, ageDays: number, prefix: string) =>
    dataSource.query(
      `INSERT INTO "${schema}".inbox (consumer, event_id, event_type, topic, kafka_partition, kafka_offset, processed_at)
       SELECT 'vigil-test', $1 || n, 'vigil.alert.received.v1', 'vigil.alerts.v1', 0, n, now() - make_interval(days => $3)
         FROM generate_series(1, $2) AS n`,
      [prefix, count, ageDays],
    );
  const inbox = async (prefix: string) =>
    Number((await dataSource.query(`SELECT count(*)::int AS n FROM "${schema}".inbox WHERE event_id LIKE $1`, [`${prefix}%`]))[0].n);

  beforeAll(async () => {
    dataSource = new DataSource({ type: 'postgres', url: testEnv().adminUrl, extra: { max: 4 } });
    await dataSource.initialize();
    await dataSource.query(`CREATE SCHEMA "${schema}"`);
    for (const sql of messagingTablesV1(schema).up) await dataSource.query(sql);
    const runner = dataSource.createQueryRunner();
    await new (inboxPruningMigration(schema))().up(runner);
    await runner.release();
    await dataSource.query(`CREATE TABLE "${schema}".idempotency_keys (key text PRIMARY KEY, created_at timestamptz NOT NULL DEFAULT now())`);
    await dataSource.query(`CREATE INDEX ON "${schema}".idempotency_keys (created_at)`);
  });

  afterAll(async () => {
    await dataSource?.query(`DROP SCHEMA "${schema}" CASCADE`).catch(() => undefined);
    await dataSource?.destroy();
  });

  beforeEach(async () => {
    clock = new Date();
    await dataSource.query(`TRUNCATE "${schema}".inbox, "${schema}".idempotency_keys`);
  });

  it('deletes what is past the horizon, in batches, and keeps everything younger', async () => {
    await processed(2500, 8, 'old-');
    await processed(40, 6, 'recent-');
    await dataSource.query(`INSERT INTO "${schema}".idempotency_keys (key, created_at) VALUES ('old', now() - interval '9 days'), ('fresh', now())`);
    const result = await job(1000).runOnce();
    expect(result).toEqual({ ran: true, deleted: { inbox: 2500, idempotency_keys: 1 } });
    expect([await inbox('old-'), await inbox('recent-')]).toEqual([0, 40]);
    expect(await dataSource.query(`SELECT key FROM "${schema}".idempotency_keys`)).toEqual([{ key: 'fresh' }]);
  });

  it('measures the horizon on its clock: two days on, the six-day-old rows are past it too', async () => {
    await processed(10, 6, 'six-days-');
    await processed(10, 0, 'today-');
    expect((await job().runOnce()).deleted.inbox).toBe(0);
    clock = new Date(Date.now() + 2 * DAY);
    expect((await job().runOnce()).deleted.inbox).toBe(10);
    expect([await inbox('six-days-'), await inbox('today-')]).toEqual([0, 10]);
  });

  it('leaves the round to the replica that holds the lock', async () => {
    await processed(10, 8, 'contended-');
    const other = new Client({ connectionString: testEnv().adminUrl });
    await other.connect();
    try {
      await other.query('SELECT pg_advisory_lock(hashtext($1))', [`vigil-retention:${schema}`]);
      expect(await job().runOnce()).toEqual({ ran: false, deleted: {} });
      expect(await inbox('contended-')).toBe(10);
      await other.query('SELECT pg_advisory_unlock(hashtext($1))', [`vigil-retention:${schema}`]);
      expect((await job().runOnce()).deleted.inbox).toBe(10);
    } finally {
      await other.end();
    }
  });

  it('prunes in batches of the configured size, each its own short statement', async () => {
    await processed(250, 8, 'batched-');
    const statements: string[] = [];
    const query = dataSource.createQueryRunner.bind(dataSource);
    const spy = jest.spyOn(dataSource, 'createQueryRunner').mockImplementation((...args) => {
      const runner = query(...args);
      const original = runner.query.bind(runner);
      runner.query = ((sql: string, ...rest: unknown[]) => {
        if (sql.startsWith('DELETE')) statements.push(sql);
        return (original as (...a: unknown[]) => Promise<unknown>)(sql, ...rest);
      }) as typeof runner.query;
      return runner;
    });
    try {
      expect((await job(100).runOnce()).deleted.inbox).toBe(250);
    } finally {
      spy.mockRestore();
    }
    // 100 + 100 + 50 from the inbox, then one (empty) from the idempotency keys.
    expect(statements.filter((s) => s.includes('.inbox'))).toHaveLength(3);
  });
});
