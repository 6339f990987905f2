import type { MigrationInterface, QueryRunner } from 'typeorm';
import { buildMissingSearchDocuments } from '../../incidents/search/search-text';

/**
 * Free-text search finds hostnames, addresses and ids whole, and an incident's observables and
 * assets too (see incidents/search/search-text.ts). The words are cut by triage, not by
 * PostgreSQL's parser (which splits db-01 into "db" and "-01"), so the document is no longer a
 * generated column: it is a row of `incident_search` per incident, written when the incident opens
 * and when something findable joins it, and never rewritten by the incident's other changes.
 * Existing incidents get theirs here, from their alerts and linked assets.
 */
export class IncidentSearch1765100000000 implements MigrationInterface {
  name = 'IncidentSearch1765100000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE triage.incident_search (
      incident_id uuid PRIMARY KEY REFERENCES triage.incidents(id),
      search tsvector NOT NULL
    )`);
    await buildMissingSearchDocuments((sql, params) => q.query(sql, params));
    // Built after the rows, in one pass (faster than growing it row by row).
    await q.query(`CREATE INDEX incident_search_search ON triage.incident_search USING gin (search)`);
    await q.query(`DROP INDEX triage.incidents_search`);
    await q.query(`ALTER TABLE triage.incidents DROP COLUMN search`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE triage.incidents ADD COLUMN search tsvector GENERATED ALWAYS AS (to_tsvector('simple', title || ' ' || dedup_key)) STORED`);
    await q.query(`CREATE INDEX incidents_search ON triage.incidents USING gin (search)`);
    await q.query(`DROP TABLE triage.incident_search`);
  }
}
