import { messagingTablesV1 } from '@vigil/messaging';
import type { MigrationInterface, QueryRunner } from 'typeorm';

export class Initial1764000000000 implements MigrationInterface {
  name = 'Initial1764000000000';

  async up(q: QueryRunner): Promise<void> {
    for (const sql of messagingTablesV1('reporting').up) await q.query(sql);
    await q.query(`CREATE TABLE reporting.timeline_entries (
      event_id text PRIMARY KEY,
      incident_id uuid,
      alert_id uuid,
      at timestamptz NOT NULL,
      type text NOT NULL,
      source text NOT NULL,
      summary text NOT NULL
    )`);
    await q.query(`CREATE INDEX timeline_incident ON reporting.timeline_entries (incident_id, at)`);
    await q.query(`CREATE INDEX timeline_alert ON reporting.timeline_entries (alert_id)`);
    await q.query(`CREATE TABLE reporting.incident_alert_links (
      alert_id uuid PRIMARY KEY,
      incident_id uuid NOT NULL
    )`);
    await q.query(`CREATE INDEX incident_alert_links_incident ON reporting.incident_alert_links (incident_id)`);
    await q.query(`CREATE TABLE reporting.incident_clocks (
      incident_id uuid PRIMARY KEY,
      severity text NOT NULL,
      category text NOT NULL,
      phase text NOT NULL,
      exercise boolean NOT NULL,
      version int NOT NULL,
      occurred_at timestamptz NOT NULL,
      detected_at timestamptz NOT NULL,
      declared_at timestamptz NOT NULL,
      acknowledged_at timestamptz,
      contained_at timestamptz,
      eradicated_at timestamptz,
      recovered_at timestamptz,
      closed_at timestamptz
    )`);
    await q.query(`CREATE INDEX incident_clocks_detected ON reporting.incident_clocks (detected_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE reporting.incident_clocks`);
    await q.query(`DROP TABLE reporting.incident_alert_links`);
    await q.query(`DROP TABLE reporting.timeline_entries`);
    for (const sql of messagingTablesV1('reporting').down) await q.query(sql);
  }
}
