import { messagingTablesV1 } from '@vigil/messaging';
import type { MigrationInterface, QueryRunner } from 'typeorm';

export class Initial1764000000000 implements MigrationInterface {
  name = 'Initial1764000000000';

  async up(q: QueryRunner): Promise<void> {
    for (const sql of messagingTablesV1('intake').up) await q.query(sql);
    await q.query(`CREATE TABLE intake.alerts (
      id uuid PRIMARY KEY,
      dedup_key text NOT NULL,
      source text NOT NULL,
      title text NOT NULL,
      severity text NOT NULL,
      occurred_at timestamptz NOT NULL,
      occurred_at_from_source boolean NOT NULL,
      received_at timestamptz NOT NULL,
      exercise boolean NOT NULL DEFAULT false,
      payload jsonb NOT NULL
    )`);
    await q.query(`CREATE INDEX alerts_dedup_key ON intake.alerts (dedup_key, received_at DESC)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE intake.alerts`);
    for (const sql of messagingTablesV1('intake').down) await q.query(sql);
  }
}
