import { messagingTablesV1 } from '@vigil/messaging';
import type { MigrationInterface, QueryRunner } from 'typeorm';

export class Initial1764000000000 implements MigrationInterface {
  name = 'Initial1764000000000';

  async up(q: QueryRunner): Promise<void> {
    for (const sql of messagingTablesV1('triage').up) await q.query(sql);
    await q.query(`CREATE TABLE triage.incidents (
      id uuid PRIMARY KEY,
      dedup_key text NOT NULL,
      title text NOT NULL,
      severity text NOT NULL CHECK (severity IN ('SEV1','SEV2','SEV3','SEV4')),
      category text NOT NULL,
      phase text NOT NULL,
      exercise boolean NOT NULL DEFAULT false,
      alert_count int NOT NULL CHECK (alert_count > 0),
      version int NOT NULL,
      occurred_at timestamptz NOT NULL,
      detected_at timestamptz NOT NULL,
      declared_at timestamptz NOT NULL,
      acknowledged_at timestamptz,
      contained_at timestamptz,
      eradicated_at timestamptz,
      recovered_at timestamptz,
      closed_at timestamptz,
      created_at timestamptz NOT NULL,
      updated_at timestamptz NOT NULL
    )`);
    // At most one open incident per dedup key: the rule that attaches repeats instead of opening.
    await q.query(`CREATE UNIQUE INDEX incidents_open_dedup_key ON triage.incidents (dedup_key)
      WHERE phase NOT IN ('closed', 'false_positive', 'merged')`);
    await q.query(`CREATE INDEX incidents_created ON triage.incidents (created_at DESC, id DESC)`);
    await q.query(`CREATE INDEX incidents_phase_severity ON triage.incidents (phase, severity)`);
    await q.query(`CREATE TABLE triage.incident_alerts (
      alert_id uuid PRIMARY KEY,
      incident_id uuid NOT NULL REFERENCES triage.incidents(id),
      dedup_key text NOT NULL,
      title text NOT NULL,
      source text NOT NULL,
      severity text NOT NULL,
      occurred_at timestamptz NOT NULL,
      received_at timestamptz NOT NULL,
      attached_at timestamptz NOT NULL DEFAULT now()
    )`);
    await q.query(`CREATE INDEX incident_alerts_incident ON triage.incident_alerts (incident_id)`);
    // Who changed what and why: every lifecycle step, acknowledgement and backdating.
    await q.query(`CREATE TABLE triage.incident_history (
      id bigserial PRIMARY KEY,
      incident_id uuid NOT NULL REFERENCES triage.incidents(id),
      at timestamptz NOT NULL DEFAULT now(),
      actor text NOT NULL,
      action text NOT NULL,
      from_phase text,
      to_phase text,
      effective_at timestamptz,
      reason text
    )`);
    await q.query(`CREATE INDEX incident_history_incident ON triage.incident_history (incident_id, id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE triage.incident_history`);
    await q.query(`DROP TABLE triage.incident_alerts`);
    await q.query(`DROP TABLE triage.incidents`);
    for (const sql of messagingTablesV1('triage').down) await q.query(sql);
  }
}
