import type { EntityManager } from 'typeorm';
import { MAX_INCIDENT_LEXEMES } from './search-text';

/**
 * The search document is a column of the incident (`search`), so that the list filters, sorts and
 * matches free text on one row; triage writes it (see search-text.ts for what goes in): with the
 * new incident (`insertIncident`), then with what joins it. The binds are SQL expressions
 * (placeholders, from the caller's `bind`).
 */

/**
 * The SET clause for lexemes an incident is now also found by (an alert's observables and assets):
 * added while the document has room, and only when one is new, so that what it already has costs no
 * change. For the UPDATE that writes the incident anyway (a row is changed once per statement).
 */
export const extendSearchSet = (lexemes: string) =>
  `search = CASE WHEN length(search) < ${MAX_INCIDENT_LEXEMES} AND NOT tsvector_to_array(search) @> ${lexemes}::text[]
                 THEN search || array_to_tsvector(${lexemes}::text[]) ELSE search END`;

export async function extendSearch(manager: Pick<EntityManager, 'query'>, incidentId: string, lexemes: readonly string[]): Promise<void> {
  if (lexemes.length === 0) return;
  await manager.query(`UPDATE triage.incidents SET ${extendSearchSet('$2')} WHERE id = $1`, [incidentId, lexemes]);
}

/** A merged incident's document joins its target's (the merged one keeps its own: it is still listed). */
export async function absorbSearch(manager: Pick<EntityManager, 'query'>, targetId: string, sourceId: string): Promise<void> {
  await manager.query(
    `UPDATE triage.incidents t SET search = t.search || s.search
       FROM triage.incidents s
      WHERE t.id = $1 AND s.id = $2 AND length(t.search) < ${MAX_INCIDENT_LEXEMES} AND s.search IS NOT NULL`,
    [targetId, sourceId],
  );
}
