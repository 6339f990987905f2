import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Pages are notifications too (one per contact method of the person paged), but a person may be
 * paged about one incident many times (each step, each repeat): pages are unique per page and
 * method, the team notifications per incident as before.
 */
export class Pages1765100000000 implements MigrationInterface {
  name = 'Pages1765100000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE comms.notifications ADD COLUMN page_id uuid, ADD COLUMN escalation_id uuid, ADD COLUMN person_id uuid`);
    await q.query(`ALTER TABLE comms.notifications DROP CONSTRAINT notifications_incident_id_kind_channel_audience_key`);
    await q.query(`CREATE UNIQUE INDEX notifications_once_per_incident ON comms.notifications (incident_id, kind, channel, audience) WHERE page_id IS NULL`);
    await q.query(`CREATE UNIQUE INDEX notifications_once_per_page ON comms.notifications (page_id, channel, target) WHERE page_id IS NOT NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DELETE FROM comms.deliveries WHERE notification_id IN (SELECT id FROM comms.notifications WHERE page_id IS NOT NULL)`);
    await q.query(`DELETE FROM comms.notifications WHERE page_id IS NOT NULL`);
    await q.query(`DROP INDEX comms.notifications_once_per_page`);
    await q.query(`DROP INDEX comms.notifications_once_per_incident`);
    await q.query(`ALTER TABLE comms.notifications ADD CONSTRAINT notifications_incident_id_kind_channel_audience_key UNIQUE (incident_id, kind, channel, audience)`);
    await q.query(`ALTER TABLE comms.notifications DROP COLUMN person_id, DROP COLUMN escalation_id, DROP COLUMN page_id`);
  }
}
