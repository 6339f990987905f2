import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * PagerDuty-style deduplication (one open alert per dedup key, with occurrences and a
 * triggered → acknowledged → resolved status), per-source integrations with hashed API keys, and
 * idempotency records.
 */
export class AlertLifecycleIntegrations1764100000000 implements MigrationInterface {
  name = 'AlertLifecycleIntegrations1764100000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE intake.alerts
      ADD COLUMN status text NOT NULL DEFAULT 'triggered' CHECK (status IN ('triggered', 'acknowledged', 'resolved')),
      ADD COLUMN occurrences int NOT NULL DEFAULT 1 CHECK (occurrences > 0),
      ADD COLUMN last_seen_at timestamptz,
      ADD COLUMN acknowledged_at timestamptz,
      ADD COLUMN resolved_at timestamptz,
      ADD COLUMN format text NOT NULL DEFAULT 'canonical',
      ADD COLUMN integration_id uuid,
      ADD COLUMN raw jsonb`);
    await q.query(`UPDATE intake.alerts SET last_seen_at = received_at`);
    await q.query(`ALTER TABLE intake.alerts ALTER COLUMN last_seen_at SET NOT NULL`);
    // Before this migration every posting was its own alert: keep the newest per key open.
    await q.query(`UPDATE intake.alerts a SET status = 'resolved', resolved_at = a.received_at
      WHERE EXISTS (SELECT 1 FROM intake.alerts b WHERE b.dedup_key = a.dedup_key AND (b.received_at, b.id) > (a.received_at, a.id))`);
    await q.query(`CREATE UNIQUE INDEX alerts_open_dedup_key ON intake.alerts (dedup_key) WHERE status <> 'resolved'`);
    // Superseded by the unique index above; one index less to maintain on every insert.
    await q.query(`DROP INDEX intake.alerts_dedup_key`);
    await q.query(`CREATE TABLE intake.integrations (
      id uuid PRIMARY KEY,
      name text NOT NULL,
      kind text NOT NULL,
      key_prefix text NOT NULL UNIQUE,
      key_hash text NOT NULL,
      rate_limit_per_second int CHECK (rate_limit_per_second > 0),
      created_at timestamptz NOT NULL DEFAULT now(),
      revoked_at timestamptz
    )`);
    await q.query(`CREATE TABLE intake.idempotency_keys (
      integration_id uuid NOT NULL,
      idempotency_key text NOT NULL,
      request_hash text NOT NULL,
      status_code int NOT NULL,
      response jsonb NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (integration_id, idempotency_key)
    )`);
    await q.query(`CREATE INDEX idempotency_keys_created ON intake.idempotency_keys (created_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE intake.idempotency_keys`);
    await q.query(`DROP TABLE intake.integrations`);
    await q.query(`DROP INDEX intake.alerts_open_dedup_key`);
    await q.query(`CREATE INDEX alerts_dedup_key ON intake.alerts (dedup_key, received_at DESC)`);
    await q.query(`ALTER TABLE intake.alerts DROP COLUMN status, DROP COLUMN occurrences, DROP COLUMN last_seen_at,
      DROP COLUMN acknowledged_at, DROP COLUMN resolved_at, DROP COLUMN format, DROP COLUMN integration_id, DROP COLUMN raw`);
  }
}
