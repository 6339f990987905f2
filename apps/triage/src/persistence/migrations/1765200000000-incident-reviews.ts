import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The state of each incident's post-incident review, as reporting's review events tell it. */
export class IncidentReviews1765200000000 implements MigrationInterface {
  name = 'IncidentReviews1765200000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE triage.incident_reviews (
      incident_id uuid PRIMARY KEY,
      review_id uuid NOT NULL,
      state text NOT NULL,
      version int NOT NULL,
      updated_at timestamptz NOT NULL
    )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE triage.incident_reviews`);
  }
}
