import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The recovery watch: how many days after recovery alerts on an incident's assets or observables
 * count as recurrences (null: the service's default; another migration may add the column too, as
 * the playbook sets it, hence IF NOT EXISTS), and how many recurrences came, the latest when.
 */
export class RecoveryWatch1765400000000 implements MigrationInterface {
  name = 'RecoveryWatch1765400000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE triage.incidents
      ADD COLUMN IF NOT EXISTS recovery_watch_days int CHECK (recovery_watch_days > 0),
      ADD COLUMN IF NOT EXISTS recurrence_count int NOT NULL DEFAULT 0,
      ADD COLUMN IF NOT EXISTS last_recurrence_at timestamptz`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE triage.incidents DROP COLUMN IF EXISTS last_recurrence_at, DROP COLUMN IF EXISTS recurrence_count`);
  }
}
