import type { EntityManager } from 'typeorm';
import { MAX_INCIDENT_LEXEMES } from './search-text';

/**
 * Each incident's search document is a row of its own (`incident_search`), not a column of the
 * incident: the incident row changes with every alert and every analyst's action, and each new
 * version would index all its lexemes again. The document changes only when something findable
 * comes in. The binds are SQL expressions (placeholders, from the caller's `bind`).
 */

/** A new incident's document. */
export const createSearchSql = (incidentId: string, lexemes: string) =>
  `INSERT INTO triage.incident_search (incident_id, search) VALUES (${incidentId}::uuid, array_to_tsvector(${lexemes}::text[]))`;

/**
 * Lexemes an incident is now also found by (an alert's observables and assets): written only when
 * one is new and while the document has room, so that repeats of what it has cost no write.
 */
export const extendSearchSql = (incidentId: string, lexemes: string) =>
  `UPDATE triage.incident_search SET search = search || array_to_tsvector(${lexemes}::text[])
    WHERE incident_id = ${incidentId}::uuid AND length(search) < ${MAX_INCIDENT_LEXEMES} AND NOT tsvector_to_array(search) @> ${lexemes}::text[]`;

export async function extendSearch(manager: Pick<EntityManager, 'query'>, incidentId: string, lexemes: readonly string[]): Promise<void> {
  if (lexemes.length === 0) return;
  await manager.query(extendSearchSql('$1', '$2'), [incidentId, lexemes]);
}

/** A merged incident's document joins its target's (the merged one keeps its own: it is still listed). */
export async function absorbSearch(manager: Pick<EntityManager, 'query'>, targetId: string, sourceId: string): Promise<void> {
  await manager.query(
    `UPDATE triage.incident_search t SET search = t.search || s.search
       FROM triage.incident_search s
      WHERE t.incident_id = $1 AND s.incident_id = $2 AND length(t.search) < ${MAX_INCIDENT_LEXEMES}`,
    [targetId, sourceId],
  );
}
