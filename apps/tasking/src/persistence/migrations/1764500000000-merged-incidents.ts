import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Tasks of a merged incident are cancelled (the incident merged into carries the work), with when
 * and why; merged incidents are remembered so that tasks are not made for one whose opening is
 * read after its merge (the two events travel on different partitions).
 */
export class MergedIncidents1764500000000 implements MigrationInterface {
  name = 'MergedIncidents1764500000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE tasking.tasks ADD COLUMN cancelled_at timestamptz, ADD COLUMN cancel_reason text`);
    await q.query(`CREATE INDEX tasks_open_by_incident ON tasking.tasks (incident_id) WHERE status = 'open'`);
    await q.query(`CREATE TABLE tasking.merged_incidents (
      incident_id uuid PRIMARY KEY,
      merged_into uuid NOT NULL,
      merged_at timestamptz NOT NULL
    )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE tasking.merged_incidents`);
    await q.query(`DROP INDEX tasking.tasks_open_by_incident`);
    await q.query(`ALTER TABLE tasking.tasks DROP COLUMN cancel_reason, DROP COLUMN cancelled_at`);
  }
}
