import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Tasks for one person (a review action item's owner), linked to the action item they carry out,
 * and done tasks with who did them and when.
 */
export class ActionItemTasks1765000000000 implements MigrationInterface {
  name = 'ActionItemTasks1765000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE tasking.tasks
      ADD COLUMN assignee text,
      ADD COLUMN action_item_id uuid UNIQUE,
      ADD COLUMN completed_at timestamptz,
      ADD COLUMN completed_by text,
      ADD COLUMN completion_note text`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE tasking.tasks DROP COLUMN completion_note, DROP COLUMN completed_by, DROP COLUMN completed_at, DROP COLUMN action_item_id, DROP COLUMN assignee`);
  }
}
