import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The response team (people, teams), on-call schedules with their revisions and overrides,
 * escalation policies with their versions and the rules that choose them, and the durable state
 * of running escalations: their next step and when it is due (polled with FOR UPDATE SKIP LOCKED)
 * and each step that ran, once, by its key.
 */
export class OnCall1765100000000 implements MigrationInterface {
  name = 'OnCall1765100000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE tasking.people (
      id uuid PRIMARY KEY,
      name text NOT NULL,
      subject text UNIQUE,
      email text,
      time_zone text NOT NULL,
      roles text[] NOT NULL DEFAULT '{}',
      contact_methods jsonb NOT NULL DEFAULT '[]',
      active boolean NOT NULL DEFAULT true,
      feed_token_hash text UNIQUE,
      external_ref text UNIQUE,
      created_at timestamptz NOT NULL,
      updated_at timestamptz NOT NULL
    )`);
    await q.query(`CREATE INDEX people_roles ON tasking.people USING gin (roles) WHERE active`);
    await q.query(`CREATE TABLE tasking.teams (
      id uuid PRIMARY KEY,
      name text NOT NULL UNIQUE,
      description text,
      created_at timestamptz NOT NULL,
      updated_at timestamptz NOT NULL
    )`);
    await q.query(`CREATE TABLE tasking.team_members (
      team_id uuid NOT NULL REFERENCES tasking.teams(id) ON DELETE CASCADE,
      person_id uuid NOT NULL REFERENCES tasking.people(id),
      PRIMARY KEY (team_id, person_id)
    )`);

    await q.query(`CREATE TABLE tasking.schedules (
      id uuid PRIMARY KEY,
      name text NOT NULL,
      description text,
      time_zone text NOT NULL,
      external_ref text UNIQUE,
      created_at timestamptz NOT NULL,
      created_by text NOT NULL,
      archived_at timestamptz
    )`);
    // Revisions are only ever added: a change takes effect from its effective_from, never earlier.
    await q.query(`CREATE TABLE tasking.schedule_revisions (
      schedule_id uuid NOT NULL REFERENCES tasking.schedules(id),
      revision int NOT NULL,
      effective_from timestamptz NOT NULL,
      definition jsonb NOT NULL,
      created_at timestamptz NOT NULL,
      created_by text NOT NULL,
      reason text,
      PRIMARY KEY (schedule_id, revision)
    )`);
    await q.query(`CREATE TABLE tasking.schedule_overrides (
      id uuid PRIMARY KEY,
      schedule_id uuid NOT NULL REFERENCES tasking.schedules(id),
      person_id uuid NOT NULL REFERENCES tasking.people(id),
      starts_at timestamptz NOT NULL,
      ends_at timestamptz NOT NULL CHECK (ends_at > starts_at),
      reason text,
      created_at timestamptz NOT NULL,
      created_by text NOT NULL,
      cancelled_at timestamptz,
      cancelled_by text
    )`);
    await q.query(`CREATE INDEX schedule_overrides_schedule ON tasking.schedule_overrides (schedule_id, ends_at)`);

    await q.query(`CREATE TABLE tasking.escalation_policies (
      id uuid PRIMARY KEY,
      current_version int NOT NULL,
      external_ref text UNIQUE,
      created_at timestamptz NOT NULL,
      archived_at timestamptz
    )`);
    // A running escalation keeps the version it started with: versions are never changed.
    await q.query(`CREATE TABLE tasking.escalation_policy_versions (
      policy_id uuid NOT NULL REFERENCES tasking.escalation_policies(id),
      version int NOT NULL,
      name text NOT NULL,
      description text,
      steps jsonb NOT NULL,
      repeat jsonb NOT NULL,
      created_at timestamptz NOT NULL,
      created_by text NOT NULL,
      PRIMARY KEY (policy_id, version)
    )`);
    await q.query(`CREATE TABLE tasking.escalation_routing (
      id int PRIMARY KEY CHECK (id = 1),
      rules jsonb NOT NULL,
      default_policy_id uuid REFERENCES tasking.escalation_policies(id),
      updated_at timestamptz NOT NULL,
      updated_by text NOT NULL
    )`);

    // What triggers and rules look at, from the newest incident snapshot read.
    await q.query(`CREATE TABLE tasking.incident_facts (
      incident_id uuid PRIMARY KEY,
      title text NOT NULL,
      severity text NOT NULL,
      category text NOT NULL,
      phase text NOT NULL,
      exercise boolean NOT NULL,
      restricted boolean NOT NULL,
      asset_criticality text,
      acknowledged_at timestamptz,
      version int NOT NULL
    )`);
    await q.query(`CREATE TABLE tasking.escalations (
      id uuid PRIMARY KEY,
      incident_id uuid NOT NULL,
      trigger_kind text NOT NULL,
      trigger_key text NOT NULL,
      reason text NOT NULL,
      policy_id uuid NOT NULL,
      policy_version int NOT NULL,
      policy jsonb NOT NULL,
      facts jsonb NOT NULL,
      status text NOT NULL CHECK (status IN ('active', 'acknowledged', 'stopped', 'exhausted')),
      next_cycle int,
      next_index int,
      due_at timestamptz,
      last_step_key text,
      last_step_at timestamptz,
      started_at timestamptz NOT NULL,
      stopped_at timestamptz,
      stop_reason text,
      stopped_by text,
      UNIQUE (incident_id, trigger_key),
      FOREIGN KEY (policy_id, policy_version) REFERENCES tasking.escalation_policy_versions(policy_id, version)
    )`);
    await q.query(`CREATE INDEX escalations_due ON tasking.escalations (due_at) WHERE status = 'active'`);
    await q.query(`CREATE INDEX escalations_incident ON tasking.escalations (incident_id)`);
    // The primary key is what makes each step run once, whatever restarts or replicas do.
    await q.query(`CREATE TABLE tasking.escalation_steps (
      escalation_id uuid NOT NULL REFERENCES tasking.escalations(id),
      step_key text NOT NULL,
      number int NOT NULL,
      cycle int NOT NULL,
      executed_at timestamptz NOT NULL,
      targets jsonb NOT NULL,
      paged jsonb NOT NULL,
      unresolved jsonb NOT NULL,
      PRIMARY KEY (escalation_id, step_key)
    )`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of [
      'escalation_steps',
      'escalations',
      'incident_facts',
      'escalation_routing',
      'escalation_policy_versions',
      'escalation_policies',
      'schedule_overrides',
      'schedule_revisions',
      'schedules',
      'team_members',
      'teams',
      'people',
    ]) {
      await q.query(`DROP TABLE tasking.${table}`);
    }
  }
}
