import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Identity: changes are made by a verified person, whose display name and e-mail are kept beside
 * their subject; incidents can be restricted to those who need to know.
 */
export class Identity1764800000000 implements MigrationInterface {
  name = 'Identity1764800000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE triage.incidents ADD COLUMN restricted boolean NOT NULL DEFAULT false`);
    await q.query(`ALTER TABLE triage.incident_history ADD COLUMN actor_name text, ADD COLUMN actor_email text`);
    await q.query(`ALTER TABLE triage.incident_notes ADD COLUMN author_name text`);
    await q.query(`ALTER TABLE triage.suppression_rules ADD COLUMN created_by text`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE triage.suppression_rules DROP COLUMN created_by`);
    await q.query(`ALTER TABLE triage.incident_notes DROP COLUMN author_name`);
    await q.query(`ALTER TABLE triage.incident_history DROP COLUMN actor_name, DROP COLUMN actor_email`);
    await q.query(`ALTER TABLE triage.incidents DROP COLUMN restricted`);
  }
}
