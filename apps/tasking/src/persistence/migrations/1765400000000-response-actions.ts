import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Response actions: connectors (with their signing keys, never returned by the API), approval
 * policies, the actions with the exact request each one sends, their approvals, and every
 * outbound attempt (each retry and redirect hop) for the record.
 */
export class ResponseActions1765400000000 implements MigrationInterface {
  name = 'ResponseActions1765400000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE tasking.action_connectors (
      id uuid PRIMARY KEY,
      name text NOT NULL UNIQUE,
      kind text NOT NULL,
      base_url text NOT NULL,
      secret text NOT NULL,
      timeout_ms int NOT NULL,
      retries int NOT NULL,
      allow_private_network boolean NOT NULL,
      allow_http boolean NOT NULL,
      templates jsonb NOT NULL DEFAULT '{}',
      created_at timestamptz NOT NULL,
      updated_at timestamptz NOT NULL,
      updated_by text NOT NULL,
      archived_at timestamptz
    )`);
    await q.query(`CREATE TABLE tasking.action_approval_policies (
      id uuid PRIMARY KEY,
      name text NOT NULL,
      criticalities text[] NOT NULL,
      action_kinds text[] NOT NULL,
      approver_roles text[] NOT NULL,
      approvals int NOT NULL CHECK (approvals > 0),
      expires_after_minutes int NOT NULL CHECK (expires_after_minutes > 0),
      updated_at timestamptz NOT NULL,
      updated_by text NOT NULL
    )`);
    await q.query(`CREATE TABLE tasking.response_actions (
      id uuid PRIMARY KEY,
      incident_id uuid NOT NULL,
      task_id uuid,
      connector_id uuid NOT NULL REFERENCES tasking.action_connectors(id),
      kind text NOT NULL,
      target jsonb NOT NULL,
      parameters jsonb NOT NULL,
      reason text NOT NULL,
      criticality text NOT NULL,
      criticality_source text NOT NULL,
      policy jsonb NOT NULL,
      request jsonb NOT NULL,
      status text NOT NULL,
      requested_by text NOT NULL,
      requested_at timestamptz NOT NULL,
      expires_at timestamptz,
      executed_at timestamptz,
      error text,
      break_glass_reason text,
      reviewed_at timestamptz,
      reviewed_by text,
      review_note text,
      undo_of uuid REFERENCES tasking.response_actions(id),
      undone_by uuid REFERENCES tasking.response_actions(id)
    )`);
    await q.query(`CREATE INDEX response_actions_incident ON tasking.response_actions (incident_id, requested_at)`);
    await q.query(`CREATE INDEX response_actions_break_glass ON tasking.response_actions (requested_at) WHERE break_glass_reason IS NOT NULL AND reviewed_at IS NULL`);
    // One undo per action at a time.
    await q.query(`CREATE UNIQUE INDEX response_actions_one_undo ON tasking.response_actions (undo_of) WHERE undo_of IS NOT NULL AND status IN ('executing', 'succeeded')`);
    await q.query(`CREATE TABLE tasking.response_action_approvals (
      action_id uuid NOT NULL REFERENCES tasking.response_actions(id),
      approver text NOT NULL,
      roles text[] NOT NULL,
      note text,
      approved_at timestamptz NOT NULL,
      PRIMARY KEY (action_id, approver)
    )`);
    await q.query(`CREATE TABLE tasking.response_action_attempts (
      id bigserial PRIMARY KEY,
      action_id uuid NOT NULL REFERENCES tasking.response_actions(id),
      attempt int NOT NULL,
      url text NOT NULL,
      address text,
      status_code int,
      error text,
      started_at timestamptz NOT NULL,
      duration_ms int NOT NULL
    )`);
    await q.query(`CREATE INDEX response_action_attempts_action ON tasking.response_action_attempts (action_id, id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const t of ['response_action_attempts', 'response_action_approvals', 'response_actions', 'action_approval_policies', 'action_connectors']) await q.query(`DROP TABLE tasking.${t}`);
  }
}
