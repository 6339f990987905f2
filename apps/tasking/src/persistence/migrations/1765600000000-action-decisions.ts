import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Response actions can be turned down before they run (rejected by an approver, withdrawn by the
 * requester), and the sweeper finds requests that lapsed and sends that were cut off: it needs to
 * know since when an action has been sending.
 */
export class ActionDecisions1765600000000 implements MigrationInterface {
  name = 'ActionDecisions1765600000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE tasking.response_actions ADD COLUMN rejected_by text, ADD COLUMN rejected_at timestamptz, ADD COLUMN rejection_reason text,
      ADD COLUMN rejection_withdrawn boolean, ADD COLUMN executing_since timestamptz`);
    await q.query(`UPDATE tasking.response_actions SET executing_since = requested_at WHERE status = 'executing'`);
    // What the sweeper looks for: requests waiting for approval, and sends in flight.
    await q.query(`CREATE INDEX response_actions_open ON tasking.response_actions (status, expires_at, executing_since) WHERE status IN ('awaiting_approval', 'executing')`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX tasking.response_actions_open`);
    await q.query(`ALTER TABLE tasking.response_actions DROP COLUMN rejected_by, DROP COLUMN rejected_at, DROP COLUMN rejection_reason, DROP COLUMN rejection_withdrawn, DROP COLUMN executing_since`);
  }
}
