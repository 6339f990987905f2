import { isTransientInfrastructureError } from '@vigil/messaging';
import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import type { MigrationInterface, QueryRunner } from 'typeorm';
import { testEnv, withDatabase } from '../../../test/support/harness';
import { createServiceDataSource, runMigrationsExclusively } from '../src/persistence';

/**
 * Every pooled session of a service runs under a statement, lock and idle-in-transaction limit, so
 * that one hung transaction holding key locks cannot stall a service; migrations, which may
 * legitimately take long, run without them.
 */
describe('service database sessions', () => {
  const run = randomUUID().slice(0, 8);
  const schema = `persisttest_${run}`;

  beforeAll(() => withDatabase((db) => db.query(`CREATE SCHEMA "${schema}"`)));
  afterAll(() => withDatabase((db) => db.query(`DROP SCHEMA "${schema}" CASCADE`)));

  const dataSource = (timeouts?: { statementMs: number; lockMs: number; idleInTransactionMs: number }, migrations: Function[] = []) =>
    createServiceDataSource({ url: testEnv().adminUrl, schema, entities: [], migrations, poolSize: 3, timeouts });

  it('sets the default limits on every pooled session', async () => {
    const ds = dataSource();
    await ds.initialize();
    try {
      const [row] = await ds.query(
        `SELECT current_setting('statement_timeout') AS statement, current_setting('lock_timeout') AS lock,
                current_setting('idle_in_transaction_session_timeout') AS idle`,
      );
      expect(row).toEqual({ statement: '30s', lock: '10s', idle: '1min' });
    } finally {
      await ds.destroy();
    }
  });

  it('cuts a statement that runs too long and a lock wait that lasts too long, as faults to wait out', async () => {
    const ds = dataSource({ statementMs: 500, lockMs: 200, idleInTransactionMs: 0 });
    await ds.initialize();
    const holder = new Client({ connectionString: testEnv().adminUrl });
    await holder.connect();
    try {
      const slow = await ds.query('SELECT pg_sleep(2)').catch((e: unknown) => e);
      expect(slow).toMatchObject({ code: '57014' });
      expect(isTransientInfrastructureError(slow)).toBe(true);

      await ds.query(`CREATE TABLE "${schema}".keys (key text PRIMARY KEY)`);
      await ds.query(`INSERT INTO "${schema}".keys VALUES ('k')`);
      await holder.query('BEGIN');
      await holder.query(`SELECT * FROM "${schema}".keys WHERE key = 'k' FOR UPDATE`);
      const started = Date.now();
      const blocked = await ds.query(`UPDATE "${schema}".keys SET key = 'k' WHERE key = 'k'`).catch((e: unknown) => e);
      expect(blocked).toMatchObject({ code: '55P03' });
      expect(isTransientInfrastructureError(blocked)).toBe(true);
      expect(Date.now() - started).toBeLessThan(2000);
    } finally {
      await holder.query('ROLLBACK').catch(() => undefined);
      await holder.end();
      await ds.destroy();
    }
  });

  it('ends a transaction left idle, which frees its locks for everyone else', async () => {
    const ds = dataSource({ statementMs: 0, lockMs: 0, idleInTransactionMs: 1000 });
    await ds.initialize();
    const runner = ds.createQueryRunner();
    try {
      await ds.query(`CREATE TABLE "${schema}".held (id int PRIMARY KEY)`);
      await ds.query(`INSERT INTO "${schema}".held VALUES (1)`);
      await runner.connect();
      await runner.startTransaction();
      await runner.query(`SELECT * FROM "${schema}".held WHERE id = 1 FOR UPDATE`);
      // The process holding it hangs (a stuck await, a lost node): another writer gets the row.
      await new Promise((r) => setTimeout(r, 1500));
      await withDatabase(async (db) => {
        await db.query(`SET lock_timeout = '2s'`);
        await db.query(`UPDATE "${schema}".held SET id = 1 WHERE id = 1`);
      });
      // …and the hung session is gone: its transaction can commit nothing any more.
      await expect(runner.query('SELECT 1')).rejects.toThrow();
    } finally {
      await runner.release().catch(() => undefined);
      await ds.destroy();
    }
  });

  it('runs migrations without the limits: long statements and waits are theirs to take', async () => {
    class SlowMigration1700000000000 implements MigrationInterface {
      name = 'SlowMigration1700000000000';
      async up(q: QueryRunner): Promise<void> {
        await q.query(`CREATE TABLE "${schema}".migration_settings AS
          SELECT current_setting('statement_timeout') AS statement, current_setting('lock_timeout') AS lock,
                 current_setting('idle_in_transaction_session_timeout') AS idle`);
        await q.query('SELECT pg_sleep(0.8)'); // longer than the service's statement timeout below
      }
      async down(): Promise<void> {
        // the schema is dropped after the test
      }
    }
    const ds = dataSource({ statementMs: 300, lockMs: 200, idleInTransactionMs: 1000 }, [SlowMigration1700000000000]);
    await ds.initialize();
    try {
      expect(await runMigrationsExclusively(ds, schema)).toEqual(['SlowMigration1700000000000']);
      expect(await ds.query(`SELECT statement, lock, idle FROM "${schema}".migration_settings`)).toEqual([{ statement: '0', lock: '0', idle: '0' }]);
      // The service's own sessions keep their limits.
      expect(await ds.query(`SELECT current_setting('statement_timeout') AS statement`)).toEqual([{ statement: '300ms' }]);
    } finally {
      await ds.destroy();
    }
  });
});
