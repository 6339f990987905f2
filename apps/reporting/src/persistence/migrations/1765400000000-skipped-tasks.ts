import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A task skipped in tasking (with a reason) is `skipped` here, not left `open`: it is neither
 * missed nor pending in the KPIs, and the incident report says why it was skipped.
 */
export class SkippedTasks1765400000000 implements MigrationInterface {
  name = 'SkippedTasks1765400000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE reporting.tasks DROP CONSTRAINT IF EXISTS tasks_status_check`);
    await q.query(`ALTER TABLE reporting.tasks ADD CONSTRAINT tasks_status_check CHECK (status IN ('open', 'done', 'skipped', 'cancelled'))`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`UPDATE reporting.tasks SET status = 'cancelled' WHERE status = 'skipped'`);
    await q.query(`ALTER TABLE reporting.tasks DROP CONSTRAINT IF EXISTS tasks_status_check`);
    await q.query(`ALTER TABLE reporting.tasks ADD CONSTRAINT tasks_status_check CHECK (status IN ('open', 'done', 'cancelled'))`);
  }
}
