import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Stored, versioned playbooks (a published version is never changed: a change is the next version),
 * the playbook version each incident follows, and tasks with a lifecycle (open, in progress, done,
 * skipped), dependencies and gates, notes and evidence links, and an SLA breach recorded once.
 */
export class Playbooks1765300000000 implements MigrationInterface {
  name = 'Playbooks1765300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE tasking.playbooks (
      key text PRIMARY KEY,
      retired boolean NOT NULL DEFAULT false,
      created_at timestamptz NOT NULL DEFAULT now()
    )`);
    await q.query(`CREATE TABLE tasking.playbook_versions (
      key text NOT NULL REFERENCES tasking.playbooks (key) ON DELETE CASCADE,
      version int NOT NULL,
      definition jsonb NOT NULL,
      published_at timestamptz NOT NULL,
      published_by text NOT NULL,
      PRIMARY KEY (key, version)
    )`);
    await q.query(`CREATE TABLE tasking.incident_playbooks (
      incident_id uuid PRIMARY KEY,
      playbook_key text NOT NULL,
      version int NOT NULL,
      recovery_watch_days int,
      severity text NOT NULL,
      declared_at timestamptz NOT NULL,
      recovery_time_objective_minutes int,
      applied_at timestamptz NOT NULL
    )`);
    await q.query(`ALTER TABLE tasking.tasks DROP CONSTRAINT IF EXISTS tasks_status_check`);
    await q.query(`ALTER TABLE tasking.tasks
      ADD CONSTRAINT tasks_status_check CHECK (status IN ('open', 'in_progress', 'done', 'skipped', 'cancelled')),
      ADD COLUMN playbook_version int,
      ADD COLUMN instructions text NOT NULL DEFAULT '',
      ADD COLUMN mandatory boolean NOT NULL DEFAULT false,
      ADD COLUMN depends_on text[] NOT NULL DEFAULT '{}',
      ADD COLUMN gates text[] NOT NULL DEFAULT '{}',
      ADD COLUMN action jsonb,
      ADD COLUMN severity text,
      ADD COLUMN started_at timestamptz,
      ADD COLUMN started_by text,
      ADD COLUMN skipped_at timestamptz,
      ADD COLUMN skipped_by text,
      ADD COLUMN skip_reason text,
      ADD COLUMN sla_breached_at timestamptz`);
    // Tasks already past due before breaches were tracked are not announced now: a first start would
    // otherwise publish (and page about) every old overdue task at once.
    await q.query(`UPDATE tasking.tasks SET sla_breached_at = due_at WHERE status = 'open' AND due_at < now()`);
    // What the SLA watcher scans: unfinished, unbreached tasks with a due time.
    await q.query(`CREATE INDEX tasks_sla_due ON tasking.tasks (due_at) WHERE status IN ('open', 'in_progress') AND sla_breached_at IS NULL AND due_at IS NOT NULL`);
    await q.query(`CREATE TABLE tasking.task_notes (
      id uuid PRIMARY KEY,
      task_id uuid NOT NULL REFERENCES tasking.tasks (id) ON DELETE CASCADE,
      incident_id uuid NOT NULL,
      author text NOT NULL,
      text text,
      evidence_url text,
      created_at timestamptz NOT NULL
    )`);
    await q.query(`CREATE INDEX task_notes_task ON tasking.task_notes (task_id, created_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE tasking.task_notes`);
    await q.query(`DROP INDEX tasking.tasks_sla_due`);
    await q.query(`UPDATE tasking.tasks SET status = 'open' WHERE status IN ('in_progress')`);
    await q.query(`UPDATE tasking.tasks SET status = 'done' WHERE status IN ('skipped')`);
    await q.query(`ALTER TABLE tasking.tasks DROP CONSTRAINT tasks_status_check,
      DROP COLUMN playbook_version, DROP COLUMN instructions, DROP COLUMN mandatory, DROP COLUMN depends_on, DROP COLUMN gates,
      DROP COLUMN action, DROP COLUMN severity, DROP COLUMN started_at, DROP COLUMN started_by, DROP COLUMN skipped_at, DROP COLUMN skipped_by,
      DROP COLUMN skip_reason, DROP COLUMN sla_breached_at`);
    await q.query(`ALTER TABLE tasking.tasks ADD CONSTRAINT tasks_status_check CHECK (status IN ('open', 'done', 'cancelled'))`);
    await q.query(`DROP TABLE tasking.incident_playbooks`);
    await q.query(`DROP TABLE tasking.playbook_versions`);
    await q.query(`DROP TABLE tasking.playbooks`);
  }
}
