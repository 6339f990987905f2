/**
 * What PostgreSQL cannot store, though JSON and RFC 3339 allow it. Checked at validation, so that
 * such input is a 400 naming the field and never a transaction that fails with a 500 (or, in
 * intake's group commit, takes other senders' requests down with it).
 */

/**
 * Why PostgreSQL cannot store a string, or undefined when it can. It refuses U+0000 in text and
 * jsonb (SQLSTATE 22021, 22P05), and a lone UTF-16 surrogate in jsonb (22P02; in text it becomes
 * U+FFFD silently). JSON carries both as escapes (`\u0000`, `\ud800`).
 */
export function unstorableText(value: string): string | undefined {
  if (value.includes('\u0000')) return 'must not contain the NUL character (U+0000)';
  if (!value.isWellFormed()) return 'must not contain a lone UTF-16 surrogate (an unpaired \\uD800–\\uDFFF escape)';
  return undefined;
}

const EARLIEST_STORABLE = Date.parse('0001-01-01T00:00:00Z');
const LATEST_STORABLE = Date.parse('9999-12-31T23:59:59.999Z');

/**
 * Whether PostgreSQL's timestamptz takes a date-time both as written and as its UTC ISO form
 * (what services store): it has no year 0000, reads a five-digit year (past 9999 in UTC) as a time
 * zone, and refuses an offset beyond ±15:59. RFC 3339 allows all three.
 */
export function storableTimestamp(value: string): boolean {
  const offset = /[+-](\d{2}):\d{2}$/.exec(value);
  if (offset && Number(offset[1]) > 15) return false;
  const ms = Date.parse(value);
  return Number.isFinite(ms) && ms >= EARLIEST_STORABLE && ms <= LATEST_STORABLE;
}
