import { messagingTablesV1 } from '@vigil/messaging';
import type { MigrationInterface, QueryRunner } from 'typeorm';

export class Initial1764000000000 implements MigrationInterface {
  name = 'Initial1764000000000';

  async up(q: QueryRunner): Promise<void> {
    for (const sql of messagingTablesV1('comms').up) await q.query(sql);
    await q.query(`CREATE TABLE comms.notifications (
      id uuid PRIMARY KEY,
      incident_id uuid NOT NULL,
      kind text NOT NULL,
      channel text NOT NULL,
      audience text NOT NULL,
      target text NOT NULL,
      status text NOT NULL CHECK (status IN ('pending', 'delivered', 'failed')),
      attempts int NOT NULL DEFAULT 0,
      payload jsonb NOT NULL,
      trace_headers jsonb NOT NULL DEFAULT '{}',
      next_attempt_at timestamptz NOT NULL,
      created_at timestamptz NOT NULL,
      delivered_at timestamptz,
      last_error text,
      UNIQUE (incident_id, kind, channel, audience)
    )`);
    await q.query(`CREATE INDEX notifications_due ON comms.notifications (next_attempt_at) WHERE status = 'pending'`);
    await q.query(`CREATE INDEX notifications_incident ON comms.notifications (incident_id)`);
    await q.query(`CREATE TABLE comms.deliveries (
      id uuid PRIMARY KEY,
      notification_id uuid NOT NULL REFERENCES comms.notifications(id),
      attempt int NOT NULL,
      at timestamptz NOT NULL,
      outcome text NOT NULL CHECK (outcome IN ('delivered', 'failed')),
      status_code int,
      error text,
      duration_ms int NOT NULL
    )`);
    await q.query(`CREATE INDEX deliveries_notification ON comms.deliveries (notification_id, attempt)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE comms.deliveries`);
    await q.query(`DROP TABLE comms.notifications`);
    for (const sql of messagingTablesV1('comms').down) await q.query(sql);
  }
}
