/**
 * Query parameters that carry credentials (compared without regard to case). Intake takes an API
 * key as `?api_key=` from senders that cannot set headers, and a URL travels into spans
 * (`url.query`), problem documents (`instance`) and, potentially, log lines.
 */
const SECRET_QUERY_PARAMS = new Set(
  ['api_key', 'apikey', 'api-key', 'key', 'token', 'access_token', 'id_token', 'refresh_token', 'client_secret', 'password', 'routing_key', 'sig', 'signature', 'x-goog-signature', 'awsaccesskeyid'].map((p) =>
    p.toLowerCase(),
  ),
);

export const REDACTED = 'REDACTED';

function nameOf(part: string): string {
  const raw = part.split('=', 1)[0].replace(/\+/g, ' ');
  try {
    return decodeURIComponent(raw).toLowerCase();
  } catch {
    return raw.toLowerCase();
  }
}

/** A query string (without `?`) with the value of every credential parameter replaced; the rest as it was. */
export function redactQuery(query: string): string {
  if (query === '') return query;
  return query
    .split('&')
    .map((part) => (SECRET_QUERY_PARAMS.has(nameOf(part)) ? `${part.split('=', 1)[0]}=${REDACTED}` : part))
    .join('&');
}

/** A URL or request target (`/path?query#fragment`) with its credential parameters redacted. */
export function redactUrl(url: string): string {
  const q = url.indexOf('?');
  if (q < 0) return url;
  const hash = url.indexOf('#', q);
  const query = hash < 0 ? url.slice(q + 1) : url.slice(q + 1, hash);
  return `${url.slice(0, q + 1)}${redactQuery(query)}${hash < 0 ? '' : url.slice(hash)}`;
}

/** Any text in which a URL with credential parameters may appear (a log message, an error message). */
export function redactUrlsIn(text: string): string {
  if (!text.includes('?') || !text.includes('=')) return text;
  return text.replace(/\?[^\s"'<>#]*/g, (query) => `?${redactQuery(query.slice(1))}`);
}
