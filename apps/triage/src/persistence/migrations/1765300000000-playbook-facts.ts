import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * What triage keeps from tasking's playbooks: each incident's mandatory tasks (closing waits for
 * them), the playbook's recovery watch window, and the recovery time objective of business services.
 */
export class PlaybookFacts1765300000000 implements MigrationInterface {
  name = 'PlaybookFacts1765300000000';

  async up(q: QueryRunner): Promise<void> {
    // The recurrence work adds the same column: whichever migration runs first makes it.
    await q.query(`ALTER TABLE triage.incidents ADD COLUMN IF NOT EXISTS recovery_watch_days int`);
    await q.query(`ALTER TABLE triage.assets ADD COLUMN IF NOT EXISTS recovery_time_objective_minutes int CHECK (recovery_time_objective_minutes > 0)`);
    await q.query(`CREATE TABLE triage.incident_mandatory_tasks (
      task_id uuid PRIMARY KEY,
      incident_id uuid NOT NULL,
      title text NOT NULL,
      state text NOT NULL,
      updated_at timestamptz NOT NULL
    )`);
    await q.query(`CREATE INDEX incident_mandatory_tasks_open ON triage.incident_mandatory_tasks (incident_id) WHERE state = 'open'`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE triage.incident_mandatory_tasks`);
    await q.query(`ALTER TABLE triage.assets DROP COLUMN IF EXISTS recovery_time_objective_minutes`);
  }
}
