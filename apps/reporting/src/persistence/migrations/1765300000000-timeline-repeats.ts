import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The repeats of an alert as one timeline entry, counted, with when it was first and last seen,
 * instead of a row per repeat (an alert storm left thousands of identical lines and rows that
 * were never pruned). Existing repeat rows are folded the same way: one per alert, keeping the
 * first event's id and time, the count of rows, the newest time and summary. Rows of repeats
 * attached to an incident before this kept no alert id, so they cannot be told apart and stay.
 */
export class TimelineRepeats1765300000000 implements MigrationInterface {
  name = 'TimelineRepeats1765300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE reporting.timeline_entries
      ADD COLUMN count int NOT NULL DEFAULT 1,
      ADD COLUMN last_at timestamptz,
      ADD COLUMN collapse_key text`);
    await q.query(`WITH ranked AS (
        SELECT event_id, alert_id,
               row_number() OVER w AS n,
               count(*) OVER all_of_alert AS total,
               max(at) OVER all_of_alert AS last,
               last_value(summary) OVER (w ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) AS newest
          FROM reporting.timeline_entries
         WHERE type = 'vigil.alert.repeated.v1' AND alert_id IS NOT NULL
        WINDOW w AS (PARTITION BY alert_id ORDER BY at, event_id), all_of_alert AS (PARTITION BY alert_id))
      UPDATE reporting.timeline_entries t
         SET count = r.total, last_at = CASE WHEN r.total > 1 THEN r.last END, summary = r.newest, collapse_key = 'repeated:' || r.alert_id
        FROM ranked r WHERE t.event_id = r.event_id AND r.n = 1`);
    await q.query(`DELETE FROM reporting.timeline_entries WHERE type = 'vigil.alert.repeated.v1' AND alert_id IS NOT NULL AND collapse_key IS NULL`);
    await q.query(`CREATE UNIQUE INDEX timeline_collapse ON reporting.timeline_entries (collapse_key) WHERE collapse_key IS NOT NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    // Folded repeats stay folded: the rows they stood for are gone.
    await q.query(`DROP INDEX reporting.timeline_collapse`);
    await q.query(`ALTER TABLE reporting.timeline_entries DROP COLUMN collapse_key, DROP COLUMN last_at, DROP COLUMN count`);
  }
}
