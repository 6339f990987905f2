/**
 * Free-text search of incidents: what an incident can be found by, and what a query asks for.
 *
 * Analysts search by what they have in hand: a hostname (db-01, fs-07.corp.example), an address
 * (10.9.9.9), a hash, a ticket or rule id, or words of the title. PostgreSQL's text parser splits
 * these unevenly ("db-01" becomes "db" and "-01", "10.9.9.9" a version number), so the words are
 * cut here, the same way for the incident and for the query, and the database only stores and
 * matches the resulting lexemes:
 * - a **word** is a run of letters, digits and marks; a query word matches the start of a word;
 * - a **whole token** is a run of text between spaces, without the punctuation around it, that has
 *   punctuation inside (db-01, 10.9.9.9, user@corp.example, https://x.example/a); a query token
 *   matches it whole, so 10.9.9.9 does not find 10.9.9.90;
 * - inside a whole token, the parts joined only by `.`, `-` or `_` are tokens too (the host of a
 *   URL or an e-mail address, an address and port's address), and so is the first label of a
 *   hostname when it has a hyphen or underscore (db-01 of db-01.corp.example).
 * Lower case throughout. Kept free of imports, so that tools (the list benchmark) can use it as is.
 */

/** Longer tokens are not indexed whole (a query is at most 200 characters); longer words keep their start. */
export const MAX_TOKEN_CHARACTERS = 200;
/**
 * An incident's search document holds about this many lexemes: its title and dedup key, then what
 * its alerts add. It lives on the incident's row, and every change of the row indexes all of them
 * again, so the bound is also what an update of a busy incident can cost.
 */
export const MAX_INCIDENT_LEXEMES = 256;
/** An alert's observables and asset names count for search up to this length each. */
export const MAX_TERM_CHARACTERS = 255;
/** Query terms beyond this are ignored. */
export const MAX_QUERY_TERMS = 10;

const WORD = /[\p{L}\p{N}\p{M}]/u;
const NOT_WORD = /[^\p{L}\p{N}\p{M}]+/u;
const NOT_COMPOUND = /[^\p{L}\p{N}\p{M}._-]+/u;
const JOINER = /[._-]/;
const SPACE = /\s+/u;

/** `text` without the characters `keep` rejects at either end (a loop: linear, whatever the input). */
function trim(text: string, keep: (ch: string) => boolean): string {
  const chars = Array.from(text);
  let start = 0;
  let end = chars.length;
  while (start < end && !keep(chars[start])) start++;
  while (end > start && !keep(chars[end - 1])) end--;
  return chars.slice(start, end).join('');
}

const isWordChar = (ch: string) => WORD.test(ch);
const length = (s: string) => Array.from(s).length;
const truncate = (s: string, n: number) => (s.length <= n ? s : Array.from(s).slice(0, n).join(''));

/** The whole tokens of `text`: what lies between spaces, without punctuation around it, lower case. */
function chunks(text: string): string[] {
  return text
    .toLowerCase()
    .split(SPACE)
    .map((c) => trim(c, isWordChar))
    .filter((c) => c !== '');
}

/**
 * The lexemes `text` is found by, in the order they first appear. `parts: false` leaves out the
 * words inside tokens (10, 0, 8 of 10.0.8.7; corp of fs-07.corp.example): for observables and
 * asset names, which are searched whole or by their start, and whose parts would only crowd the
 * document.
 */
export function searchLexemes(text: string, { parts = true }: { parts?: boolean } = {}): string[] {
  const lexemes = new Set<string>();
  for (const whole of chunks(text)) {
    const words = whole.split(NOT_WORD).filter((w) => w !== '');
    if (words.length === 1 && words[0] === whole) {
      lexemes.add(truncate(whole, MAX_TOKEN_CHARACTERS)); // a plain word
      continue;
    }
    if (parts) for (const word of words) lexemes.add(truncate(word, MAX_TOKEN_CHARACTERS));
    if (length(whole) <= MAX_TOKEN_CHARACTERS) lexemes.add(whole);
    for (const part of whole.split(NOT_COMPOUND)) {
      const compound = trim(part, isWordChar);
      if (!JOINER.test(compound) || length(compound) > MAX_TOKEN_CHARACTERS) continue;
      lexemes.add(compound);
      const host = compound.split('.')[0];
      if (host !== compound && /[-_]/.test(host)) lexemes.add(host);
    }
  }
  return [...lexemes];
}

/**
 * The search document of an incident: its title and dedup key, then `terms` (its alerts'
 * observables and assets), as long as there is room (`MAX_INCIDENT_LEXEMES`).
 */
export function incidentSearchLexemes(title: string, dedupKey: string, terms: readonly string[]): string[] {
  const lexemes = new Set([...searchLexemes(title), ...searchLexemes(dedupKey)]);
  for (const term of terms) {
    for (const lexeme of searchLexemes(term, { parts: false })) {
      if (lexemes.size >= MAX_INCIDENT_LEXEMES) return [...lexemes];
      lexemes.add(lexeme);
    }
  }
  return [...lexemes];
}

/** The lexemes a set of terms (an alert's observables and asset names) adds to an incident's document. */
export function termLexemes(terms: readonly string[]): string[] {
  const lexemes = new Set<string>();
  for (const term of terms) for (const lexeme of searchLexemes(term, { parts: false })) lexemes.add(lexeme);
  return [...lexemes].slice(0, MAX_INCIDENT_LEXEMES);
}

/** A value as a search term: trimmed and bounded (undefined when empty). */
export function searchTerm(value: string | null | undefined): string | undefined {
  const term = value?.trim();
  return term ? truncate(term, MAX_TERM_CHARACTERS) : undefined;
}

/** What of an alert an incident can be found by: its observables and the names and addresses of its assets, each bounded. */
export function alertSearchTerms(
  alert: { observables?: ReadonlyArray<{ value: string }>; assets?: ReadonlyArray<{ id?: string; hostname?: string; ip?: string }> },
  registered: ReadonlyArray<{ identifier: string; hostnames?: readonly string[]; ips?: readonly string[] }> = [],
): string[] {
  const terms = new Set<string>();
  const add = (value: string | undefined) => {
    const term = searchTerm(value);
    if (term) terms.add(term);
  };
  for (const a of alert.assets ?? []) [a.hostname, a.ip, a.id].forEach(add);
  for (const r of registered) [r.identifier, ...(r.hostnames ?? []), ...(r.ips ?? [])].forEach(add);
  for (const o of alert.observables ?? []) add(o.value);
  return [...terms];
}

/** A lexeme as a tsquery operand: quoted, so that PostgreSQL takes it as it is. */
const operand = (lexeme: string) => `'${lexeme.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`;

/**
 * The tsquery text (for `::tsquery`, which does not parse words again) for what an analyst typed:
 * every term must match — a word the start of a word, a token with punctuation inside a whole
 * token. Undefined when nothing searchable is left.
 */
export function searchQuery(q: string): string | undefined {
  const terms = chunks(q)
    .slice(0, MAX_QUERY_TERMS)
    .map((whole) => (whole.split(NOT_WORD).length === 1 ? `${operand(truncate(whole, MAX_TOKEN_CHARACTERS))}:*` : operand(whole)));
  return terms.length ? terms.join(' & ') : undefined;
}

/** Runs one statement with its parameters and returns its rows. */
export type QueryRows = (sql: string, params?: unknown[]) => Promise<Array<Record<string, unknown>>>;

/**
 * Builds the search documents of incidents from what is stored: the title and dedup key, those of
 * the incidents merged into it, the observables and assets of its alerts, and the registered assets
 * linked to it. `all: false` builds only those that have none (incidents loaded in bulk by tools);
 * placement, merges and moves keep them up to date. Returns how many were built.
 */
export async function buildSearchDocuments(query: QueryRows, { all = false, batchSize = 500 }: { all?: boolean; batchSize?: number } = {}): Promise<number> {
  let after = '00000000-0000-0000-0000-000000000000';
  let built = 0;
  for (;;) {
    const rows = (await query(
      `SELECT i.id, i.title, i.dedup_key,
              ARRAY(SELECT DISTINCT t FROM triage.incident_assets ia JOIN triage.assets s ON s.id = ia.asset_id
                      CROSS JOIN LATERAL unnest(ARRAY[s.identifier] || s.hostnames || s.ips) AS t
                     WHERE ia.incident_id = i.id) AS asset_terms,
              ARRAY(SELECT DISTINCT t FROM triage.alerts a CROSS JOIN LATERAL (
                        SELECT o->>'value' FROM jsonb_array_elements(CASE jsonb_typeof(a.data->'observables') WHEN 'array' THEN a.data->'observables' ELSE '[]' END) AS o
                        UNION ALL
                        SELECT x->>f FROM jsonb_array_elements(CASE jsonb_typeof(a.data->'assets') WHEN 'array' THEN a.data->'assets' ELSE '[]' END) AS x,
                                          unnest(ARRAY['hostname', 'ip', 'id']) AS f) AS found(t)
                     WHERE a.incident_id = i.id AND t IS NOT NULL) AS alert_terms
         FROM triage.incidents i
        WHERE i.id > $1 AND ($3 OR i.search IS NULL)
        ORDER BY i.id LIMIT $2`,
      [after, batchSize, all],
    )) as Array<{ id: string; title: string; dedup_key: string; asset_terms: string[]; alert_terms: string[] }>;
    if (rows.length === 0) return built;
    const merged = (await query(`SELECT merged_into, title, dedup_key FROM triage.incidents WHERE merged_into = ANY($1::uuid[]) ORDER BY created_at`, [
      rows.map((r) => r.id),
    ])) as Array<{ merged_into: string; title: string; dedup_key: string }>;
    const documents = rows.map((r) => {
      const mergedLexemes = merged.filter((m) => m.merged_into === r.id).flatMap((m) => [...searchLexemes(m.title), ...searchLexemes(m.dedup_key)]);
      const terms = [...r.asset_terms, ...r.alert_terms].map(searchTerm).filter((t): t is string => t !== undefined);
      const lexemes = new Set(incidentSearchLexemes(r.title, r.dedup_key, []));
      for (const lexeme of [...mergedLexemes, ...termLexemes(terms)]) if (lexemes.size < MAX_INCIDENT_LEXEMES) lexemes.add(lexeme);
      return [r.id, [...lexemes]];
    });
    await query(
      `UPDATE triage.incidents i SET search = array_to_tsvector(ARRAY(SELECT jsonb_array_elements_text(d->1)))
         FROM jsonb_array_elements($1::jsonb) AS d WHERE i.id = (d->>0)::uuid`,
      [JSON.stringify(documents)],
    );
    built += rows.length;
    after = rows[rows.length - 1].id;
  }
}
