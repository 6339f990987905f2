import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Alerts now have a life of their own upstream (occurrences, acknowledged, resolved by the source). */
export class AlertStatus1764100000000 implements MigrationInterface {
  name = 'AlertStatus1764100000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE triage.incident_alerts
      ADD COLUMN occurrences int NOT NULL DEFAULT 1,
      ADD COLUMN source_status text NOT NULL DEFAULT 'triggered' CHECK (source_status IN ('triggered', 'acknowledged', 'resolved')),
      ADD COLUMN last_seen_at timestamptz,
      ADD COLUMN resolved_at timestamptz`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE triage.incident_alerts DROP COLUMN occurrences, DROP COLUMN source_status, DROP COLUMN last_seen_at, DROP COLUMN resolved_at`);
  }
}
