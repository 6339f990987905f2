import type { MigrationInterface, QueryRunner } from 'typeorm';
import { buildSearchDocuments } from '../../incidents/search/search-text';

/**
 * Free-text search finds hostnames, addresses and ids whole, and an incident's observables and
 * assets too (see incidents/search/search-text.ts). The words are cut by triage, not by
 * PostgreSQL's parser (which splits db-01 into "db" and "-01"), so `search` is no longer generated
 * from the title: triage writes it when the incident opens and when something findable joins it.
 * Existing incidents get theirs here, from their alerts and linked assets; the index is built after.
 */
export class IncidentSearch1765100000000 implements MigrationInterface {
  name = 'IncidentSearch1765100000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX triage.incidents_search`);
    await q.query(`ALTER TABLE triage.incidents ALTER COLUMN search DROP EXPRESSION`);
    await buildSearchDocuments((sql, params) => q.query(sql, params), { all: true });
    await q.query(`CREATE INDEX incidents_search ON triage.incidents USING gin (search)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX triage.incidents_search`);
    await q.query(`ALTER TABLE triage.incidents DROP COLUMN search`);
    await q.query(`ALTER TABLE triage.incidents ADD COLUMN search tsvector GENERATED ALWAYS AS (to_tsvector('simple', title || ' ' || dedup_key)) STORED`);
    await q.query(`CREATE INDEX incidents_search ON triage.incidents USING gin (search)`);
  }
}
