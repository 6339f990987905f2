import { leanOutboxV2 } from '@vigil/messaging';
import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Published outbox rows are deleted now: drop the indexes only marking needed. */
export class LeanOutbox1764200000000 implements MigrationInterface {
  name = 'LeanOutbox1764200000000';

  async up(q: QueryRunner): Promise<void> {
    for (const sql of leanOutboxV2('tasking').up) await q.query(sql);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const sql of leanOutboxV2('tasking').down) await q.query(sql);
  }
}
