import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Where a channel made through the API may deliver: public addresses over HTTPS unless an admin
 * allows internal addresses or plain http on it. Existing API channels keep working as they did:
 * they get the flags their URL needs (an internal or http receiver was reachable before this).
 */
export class ChannelNetwork1765600000000 implements MigrationInterface {
  name = 'ChannelNetwork1765600000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE comms.channels ADD COLUMN allow_private_network boolean NOT NULL DEFAULT false, ADD COLUMN allow_http boolean NOT NULL DEFAULT false`);
    await q.query(`UPDATE comms.channels SET allow_http = true
                    WHERE source = 'api' AND (config->>'url' LIKE 'http:%' OR secrets->>'webhookUrl' LIKE 'http:%')`);
    // Which existing channels reach internal addresses cannot be told without resolving them: an
    // existing channel keeps reaching what it reached; new ones and edits are checked.
    await q.query(`UPDATE comms.channels SET allow_private_network = true WHERE source = 'api'`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE comms.channels DROP COLUMN allow_private_network, DROP COLUMN allow_http`);
  }
}
