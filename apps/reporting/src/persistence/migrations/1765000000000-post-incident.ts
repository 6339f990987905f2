import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The post-incident half: what reporting keeps for records and reports (the incident beyond its
 * clock, its alerts and tasks), post-incident reviews and their action items, and exercises.
 */
export class PostIncident1765000000000 implements MigrationInterface {
  name = 'PostIncident1765000000000';

  async up(q: QueryRunner): Promise<void> {
    // The incident as its newest snapshot shows it, for reports; phases entered, from phase changes.
    await q.query(`ALTER TABLE reporting.incident_clocks
      ADD COLUMN title text,
      ADD COLUMN alert_count int,
      ADD COLUMN classification jsonb,
      ADD COLUMN owner text,
      ADD COLUMN responders text[] NOT NULL DEFAULT '{}',
      ADD COLUMN merged_into uuid,
      ADD COLUMN phases_entered jsonb NOT NULL DEFAULT '{}'`);
    await q.query(`CREATE INDEX incident_clocks_phase ON reporting.incident_clocks (phase)`);

    await q.query(`CREATE TABLE reporting.alerts (
      alert_id uuid PRIMARY KEY,
      dedup_key text NOT NULL,
      title text NOT NULL,
      source text NOT NULL,
      severity text NOT NULL,
      category text,
      occurred_at timestamptz,
      received_at timestamptz NOT NULL,
      assets jsonb NOT NULL DEFAULT '[]',
      observables jsonb NOT NULL DEFAULT '[]',
      exercise boolean NOT NULL
    )`);

    await q.query(`CREATE TABLE reporting.tasks (
      task_id uuid PRIMARY KEY,
      incident_id uuid NOT NULL,
      title text NOT NULL,
      role text NOT NULL,
      phase text NOT NULL,
      playbook text NOT NULL,
      status text NOT NULL CHECK (status IN ('open', 'done', 'cancelled')),
      due_at timestamptz,
      created_at timestamptz NOT NULL,
      assignee text,
      action_item_id uuid,
      completed_at timestamptz,
      completed_by text,
      cancelled_at timestamptz,
      cancel_reason text
    )`);
    await q.query(`CREATE INDEX tasks_incident ON reporting.tasks (incident_id)`);

    await q.query(`CREATE TABLE reporting.reviews (
      review_id uuid PRIMARY KEY,
      incident_id uuid NOT NULL UNIQUE,
      state text NOT NULL CHECK (state IN ('draft', 'in_review', 'completed')),
      version int NOT NULL,
      exercise boolean NOT NULL,
      opened_at timestamptz NOT NULL,
      updated_at timestamptz NOT NULL,
      completed_at timestamptz,
      completed_by text,
      summary text NOT NULL DEFAULT '',
      impact text NOT NULL DEFAULT '',
      root_cause text NOT NULL DEFAULT '',
      contributing_factors jsonb NOT NULL DEFAULT '[]',
      what_worked jsonb NOT NULL DEFAULT '[]',
      what_did_not jsonb NOT NULL DEFAULT '[]',
      key_moments jsonb NOT NULL DEFAULT '[]'
    )`);

    await q.query(`CREATE TABLE reporting.exercises (
      exercise_id uuid PRIMARY KEY,
      scenario_key text NOT NULL,
      scenario jsonb NOT NULL,
      title text NOT NULL,
      state text NOT NULL CHECK (state IN ('running', 'ended')),
      started_at timestamptz NOT NULL,
      started_by text NOT NULL,
      ended_at timestamptz,
      ended_by text,
      incident_id uuid,
      results jsonb,
      score double precision
    )`);
    await q.query(`CREATE INDEX exercises_scenario_ended ON reporting.exercises (scenario_key, ended_at)`);

    await q.query(`CREATE TABLE reporting.exercise_injects (
      exercise_id uuid NOT NULL REFERENCES reporting.exercises ON DELETE CASCADE,
      inject_key text NOT NULL,
      module_key text NOT NULL,
      kind text NOT NULL,
      ordinal int NOT NULL,
      due_at timestamptz NOT NULL,
      status text NOT NULL CHECK (status IN ('pending', 'sent', 'failed', 'cancelled')),
      attempts int NOT NULL DEFAULT 0,
      claimed_until timestamptz,
      released_at timestamptz,
      alert_id uuid,
      error text,
      PRIMARY KEY (exercise_id, inject_key)
    )`);
    await q.query(`CREATE INDEX exercise_injects_due ON reporting.exercise_injects (due_at) WHERE status = 'pending'`);

    await q.query(`CREATE TABLE reporting.exercise_observations (
      exercise_id uuid NOT NULL REFERENCES reporting.exercises ON DELETE CASCADE,
      action_key text NOT NULL,
      observed_at timestamptz NOT NULL,
      note text,
      recorded_by text NOT NULL,
      recorded_at timestamptz NOT NULL,
      PRIMARY KEY (exercise_id, action_key)
    )`);

    await q.query(`CREATE TABLE reporting.exercise_ratings (
      exercise_id uuid NOT NULL REFERENCES reporting.exercises ON DELETE CASCADE,
      capability_key text NOT NULL,
      rating text NOT NULL CHECK (rating IN ('P', 'S', 'M', 'U')),
      strengths jsonb NOT NULL DEFAULT '[]',
      areas_for_improvement jsonb NOT NULL DEFAULT '[]',
      note text,
      rated_by text NOT NULL,
      rated_at timestamptz NOT NULL,
      PRIMARY KEY (exercise_id, capability_key)
    )`);

    await q.query(`CREATE TABLE reporting.action_items (
      action_item_id uuid PRIMARY KEY,
      incident_id uuid NOT NULL,
      origin text NOT NULL CHECK (origin IN ('review', 'exercise')),
      review_id uuid REFERENCES reporting.reviews,
      exercise_id uuid REFERENCES reporting.exercises,
      title text NOT NULL,
      description text,
      type text NOT NULL CHECK (type IN ('detection', 'control', 'playbook_change', 'training')),
      owner text NOT NULL,
      due_at timestamptz NOT NULL,
      playbook_version_id text,
      capability text,
      exercise boolean NOT NULL,
      status text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'done', 'cancelled')),
      task_id uuid,
      created_at timestamptz NOT NULL,
      created_by text NOT NULL,
      completed_at timestamptz,
      completed_by text
    )`);
    await q.query(`CREATE INDEX action_items_incident ON reporting.action_items (incident_id)`);
    await q.query(`CREATE INDEX action_items_open_due ON reporting.action_items (due_at) WHERE status = 'open'`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE reporting.action_items`);
    await q.query(`DROP TABLE reporting.exercise_ratings`);
    await q.query(`DROP TABLE reporting.exercise_observations`);
    await q.query(`DROP TABLE reporting.exercise_injects`);
    await q.query(`DROP TABLE reporting.exercises`);
    await q.query(`DROP TABLE reporting.reviews`);
    await q.query(`DROP TABLE reporting.tasks`);
    await q.query(`DROP TABLE reporting.alerts`);
    await q.query(`DROP INDEX reporting.incident_clocks_phase`);
    await q.query(`ALTER TABLE reporting.incident_clocks
      DROP COLUMN title, DROP COLUMN alert_count, DROP COLUMN classification, DROP COLUMN owner,
      DROP COLUMN responders, DROP COLUMN merged_into, DROP COLUMN phases_entered`);
  }
}
