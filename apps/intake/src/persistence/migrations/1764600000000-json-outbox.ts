import { jsonOutboxV3 } from '@vigil/messaging';
import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Outbox headers and payload as json: the relay passes payloads through as written. */
export class JsonOutbox1764600000000 implements MigrationInterface {
  name = 'JsonOutbox1764600000000';

  async up(q: QueryRunner): Promise<void> {
    for (const sql of jsonOutboxV3('intake').up) await q.query(sql);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const sql of jsonOutboxV3('intake').down) await q.query(sql);
  }
}
