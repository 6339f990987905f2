import { AffectedAsset, CanonicalAlert } from '@vigil/contracts';
import type { FieldError } from '@vigil/contracts';
import { createHash } from 'node:crypto';
import { isIP } from 'node:net';
import type { z } from 'zod';
import type { AlertAction, AlertSignal, MappingResult, SourceFormat } from './signal';

/** The bounds of the canonical alert (libs/contracts/src/api/alert.ts) that every mapper must fit into. */
export const LIMITS = {
  title: 500,
  source: 200,
  description: 20_000,
  labels: 100,
  labelKey: 200,
  labelValue: 2000,
  assets: 100,
  observables: 500,
  observableValue: 2048,
  dedupKey: 255,
  assetId: 200,
  assetName: 200,
  hostname: 253,
} as const;

/** What a mapper answers when something unexpected was thrown: never seen in tests (they check). */
export const INTERNAL_ERROR_DETAIL = 'could not be read: the request body is not in a shape this endpoint understands';

export const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const escapeSegment = (segment: PropertyKey) => String(segment).replace(/~/g, '~0').replace(/\//g, '~1');

/** A JSON Pointer (RFC 6901) built from a base pointer and further segments. */
export function pointer(base: string, ...segments: PropertyKey[]): string {
  return base + segments.map((s) => '/' + escapeSegment(s)).join('');
}

/** Cuts text to at most `max` UTF-16 code units, marking the cut with an ellipsis and never splitting a surrogate pair. */
export function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  let cut = text.slice(0, Math.max(0, max - 1));
  if (/[\uD800-\uDBFF]$/.test(cut)) cut = cut.slice(0, -1);
  return cut + '…';
}

/** Any JSON value as text: strings as they are, everything else as JSON. Never throws. */
export function stringify(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  if (value === null) return 'null';
  if (value === undefined) return '';
  try {
    return JSON.stringify(value) ?? '';
  } catch {
    return '';
  }
}

/** A trimmed, non-empty string, or undefined. Numbers are accepted as their decimal text. */
export function text(value: unknown): string | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (typeof value !== 'string') return undefined;
  const trimmed = value.trim();
  return trimmed.length > 0 ? trimmed : undefined;
}

/** Text on one line (runs of whitespace collapsed), cut to `max`; for titles and sources. */
export function oneLine(value: unknown, max: number): string | undefined {
  const t = text(value);
  if (t === undefined) return undefined;
  const collapsed = t.replace(/\s+/g, ' ');
  return truncate(collapsed, max).trim() || undefined;
}

export function sha256(value: string): string {
  return createHash('sha256').update(value).digest('hex');
}

/** `prefix` + `value` when it fits the 255-character dedup key; otherwise `prefix` + a hash of the value. */
export function prefixedKey(prefix: string, value: string): string {
  const key = prefix + value;
  return key.length <= LIMITS.dedupKey ? key : `${prefix}sha256:${sha256(value)}`;
}

/** `prefix` + a 40-hex-digit hash of the canonical JSON of `parts` (no choice of values can make two keys collide). */
export function hashedKey(prefix: string, parts: unknown[]): string {
  return prefix + sha256(stringify(parts)).slice(0, 40);
}

/** An identifier that must stay unique when cut: the tail becomes a hash of the whole. */
export function boundedId(value: string, max: number): string {
  if (value.length <= max) return value;
  return `${value.slice(0, max - 17)}#${sha256(value).slice(0, 16)}`;
}

// ---------------------------------------------------------------------------------------------
// Validation errors

const article = (noun: string) => (/^[aeiou]/.test(noun) ? `an ${noun}` : `a ${noun}`);
const EXPECTED: Record<string, string> = { int: 'integer', record: 'object', map: 'object', nan: 'number' };

export type ErrorStyle = 'vigil' | 'pagerduty';

/** A readable sentence for one zod issue (the field is named by the pointer, so the sentence does not repeat it). */
function detailOf(issue: z.core.$ZodIssue & { input?: unknown }, style: ErrorStyle): string {
  const missing = 'input' in issue ? issue.input === undefined : /received undefined$/.test(issue.message);
  if (missing && (issue.code === 'invalid_type' || issue.code === 'invalid_value' || issue.code === 'invalid_union')) {
    return style === 'pagerduty' ? 'is missing or blank' : 'is required';
  }
  switch (issue.code) {
    case 'invalid_type': {
      const expected = EXPECTED[issue.expected] ?? issue.expected;
      return `must be ${article(expected)}${issue.input === null ? ', not null' : ''}`;
    }
    case 'too_small': {
      const min = Number(issue.minimum);
      if (issue.origin === 'string') {
        if (issue.exact) return `must be exactly ${min} characters long`;
        if (min <= 1) return style === 'pagerduty' ? 'is missing or blank' : 'must not be empty';
        return `must be at least ${min} characters long`;
      }
      if (issue.origin === 'array') return min <= 1 ? 'must not be empty' : `must have at least ${min} items`;
      return `must be at least ${String(issue.minimum)}`;
    }
    case 'too_big': {
      if (issue.origin === 'string') return `must be at most ${String(issue.maximum)} characters long`;
      if (issue.origin === 'array') return `must have at most ${String(issue.maximum)} items`;
      return `must be at most ${String(issue.maximum)}`;
    }
    case 'invalid_value':
      return `must be one of: ${issue.values.map((v) => stringify(v)).join(', ')}`;
    case 'invalid_format':
      if (issue.format === 'datetime') return 'must be an RFC 3339 date-time with offset, e.g. 2026-11-24T06:40:00Z';
      if (issue.format === 'email') return 'must be an e-mail address';
      return `must be a valid ${issue.format}`;
    case 'invalid_union':
      return issue.message === 'Invalid input' ? 'has an unexpected type or value' : issue.message;
    default:
      return issue.message;
  }
}

/** One field error per zod issue, pointing into the request body below `base`; an unknown key is reported at its own pointer. */
export function zodErrors(error: z.ZodError, base = '', style: ErrorStyle = 'vigil'): FieldError[] {
  return error.issues.flatMap((issue) =>
    issue.code === 'unrecognized_keys'
      ? issue.keys.map((key) => ({ pointer: pointer(base, ...issue.path, key), detail: 'is not a known field' }))
      : [{ pointer: pointer(base, ...issue.path), detail: detailOf(issue as z.core.$ZodIssue & { input?: unknown }, style) }],
  );
}

/** Runs a mapper so that nothing it meets can make it throw. */
export function neverThrow(map: () => MappingResult): MappingResult {
  try {
    return map();
  } catch {
    return { ok: false, errors: [{ pointer: '', detail: INTERNAL_ERROR_DETAIL }] };
  }
}

// ---------------------------------------------------------------------------------------------
// Time

const ISO_LIKE = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?\s*([Zz]|[+-]\d{2}(?::?\d{2})?)?$/;
const MIN_MS = 0; // 1970-01-01
const MAX_MS = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

function fromMs(ms: number): string | null {
  if (!Number.isFinite(ms) || ms < MIN_MS || ms > MAX_MS) return null;
  return new Date(Math.trunc(ms)).toISOString();
}

/**
 * An ISO 8601 / RFC 3339 date-time (with or without the colon in the offset, with any fraction)
 * as RFC 3339 UTC; a time without an offset is taken as UTC. `null` when it is not one.
 */
export function isoTime(value: unknown): string | null {
  if (typeof value !== 'string') return null;
  const m = ISO_LIKE.exec(value.trim());
  if (!m) return null;
  const [, y, mo, d, h, mi, s = '00', frac = '', zone = 'Z'] = m;
  const offset = /^[Zz]$/.test(zone) ? 'Z' : zone.length === 3 ? `${zone}:00` : zone.includes(':') ? zone : `${zone.slice(0, 3)}:${zone.slice(3)}`;
  const normalised = `${y}-${mo}-${d}T${h}:${mi}:${s}${frac.slice(0, 4)}${offset}`;
  const ms = Date.parse(normalised);
  // Date.parse rolls 31 February over into March; reject dates that do not exist.
  if (!Number.isFinite(ms)) return null;
  const check = new Date(Date.UTC(Number(y), Number(mo) - 1, Number(d)));
  if (check.getUTCFullYear() !== Number(y) || check.getUTCMonth() !== Number(mo) - 1 || check.getUTCDate() !== Number(d)) return null;
  if (Number(h) > 23 || Number(mi) > 59 || Number(s) > 60) return null;
  return fromMs(ms);
}

/**
 * An epoch timestamp as RFC 3339 UTC. OCSF says milliseconds, but real producers send seconds
 * (AlphaSOC's documented example) or microseconds (the OCSF sample generator), so the unit is
 * inferred from the magnitude: below 1e11 seconds, below 1e14 milliseconds, below 1e17
 * microseconds, else nanoseconds. This is unambiguous for every date from 1973 to 5138.
 */
export function epochTime(value: unknown): string | null {
  const n = typeof value === 'string' && /^\d{1,20}(\.\d+)?$/.test(value.trim()) ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isFinite(n) || n < 0) return null;
  const ms = n < 1e11 ? n * 1000 : n < 1e14 ? n : n < 1e17 ? n / 1000 : n / 1e6;
  return fromMs(ms);
}

/** Alertmanager (Go) writes the zero time for "not set". */
export const isGoZeroTime = (value: unknown) => typeof value === 'string' && value.startsWith('0001-01-01T00:00:00');

// ---------------------------------------------------------------------------------------------
// Labels

/** Labels within the canonical bounds: at most 100 keys of 1–200 characters, values stringified and cut to 2,000. */
export class Labels {
  private readonly entries = new Map<string, string>();
  dropped = 0;

  /** Adds one label unless the key is taken or the set is full; undefined and null values are skipped. */
  add(key: string, value: unknown): this {
    if (value === undefined || value === null) return this;
    const k = truncate(key, LIMITS.labelKey);
    if (k.length === 0 || k === '__proto__' || this.entries.has(k)) return this;
    if (this.entries.size >= LIMITS.labels) {
      this.dropped++;
      return this;
    }
    this.entries.set(k, truncate(Array.isArray(value) && value.every((v) => typeof v === 'string') ? value.join(', ') : stringify(value), LIMITS.labelValue));
    return this;
  }

  /** Adds every entry of an object, each key prefixed. */
  addAll(values: unknown, prefix = ''): this {
    if (!isRecord(values)) return this;
    for (const key of Object.keys(values)) this.add(prefix + key, values[key]);
    return this;
  }

  get size(): number {
    return this.entries.size;
  }

  toRecord(): Record<string, string> | undefined {
    return this.entries.size > 0 ? Object.fromEntries(this.entries) : undefined;
  }
}

// ---------------------------------------------------------------------------------------------
// Assets

const IP_SCHEMA_CHECK = (ip: string) => AffectedAsset.safeParse({ ip }).success;
const HOSTNAME = /^[A-Za-z0-9_](?:[A-Za-z0-9_.-]{0,251}[A-Za-z0-9_])?\.?$/;

/** A valid IP address in the form the canonical schema accepts (zone dropped, IPv6 lower-case), or undefined. */
export function validIp(value: unknown): string | undefined {
  const t = text(value);
  if (!t) return undefined;
  let candidate = t.replace(/^\[(.*)\]$/, '$1').replace(/%[^%]*$/, '');
  if (isIP(candidate) === 6) {
    try {
      candidate = new URL(`http://[${candidate}]`).hostname.slice(1, -1);
    } catch {
      return undefined;
    }
  }
  return isIP(candidate) !== 0 && IP_SCHEMA_CHECK(candidate) ? candidate : undefined;
}

/** A host name as DNS spells it (lower case, no trailing dot), or undefined when it is not one. */
export function validHostname(value: unknown): string | undefined {
  const t = text(value);
  if (!t || t.length > LIMITS.hostname || !HOSTNAME.test(t) || validIp(t)) return undefined;
  return t.toLowerCase().replace(/\.$/, '');
}

export interface AssetParts {
  id?: unknown;
  hostname?: unknown;
  ip?: unknown;
  name?: unknown;
}

/**
 * An affected asset from loosely typed parts: a "hostname" that is an IP becomes the ip, a
 * "hostname" that is no host name becomes the name; identifiers are bounded, names cut.
 */
export function asset(parts: AssetParts): AffectedAsset | undefined {
  const out: { id?: string; hostname?: string; ip?: string; name?: string } = {};
  const id = text(parts.id);
  if (id) out.id = boundedId(id, LIMITS.assetId);
  const ip = validIp(parts.ip) ?? validIp(parts.hostname);
  if (ip) out.ip = ip;
  const hostname = validHostname(parts.hostname);
  if (hostname) out.hostname = hostname;
  const name = text(parts.name) ?? (!hostname && !validIp(parts.hostname) ? text(parts.hostname) : undefined);
  if (name) out.name = truncate(name, LIMITS.assetName);
  if (Object.keys(out).length === 0) return undefined;
  const parsed = AffectedAsset.safeParse(out);
  return parsed.success ? parsed.data : undefined;
}

/** A host from "host", "host:port", "[v6]:port", "10.0.0.1:9100" or a URL, as hostname or ip. */
export function hostAsset(value: unknown): AffectedAsset | undefined {
  const t = text(value);
  if (!t) return undefined;
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(t)) {
    try {
      const host = new URL(t).hostname;
      return asset({ hostname: host.replace(/^\[(.*)\]$/, '$1') });
    } catch {
      return asset({ name: t });
    }
  }
  if (validIp(t)) return asset({ ip: t });
  const bracketed = /^\[([^\]]+)\](?::\d{1,5})?$/.exec(t);
  if (bracketed) return asset({ ip: bracketed[1] });
  const withPort = /^([^:]+):\d{1,5}$/.exec(t);
  return asset({ hostname: withPort ? withPort[1] : t });
}

/** Assets without duplicates, at most 100. */
export function uniqueAssets(list: (AffectedAsset | undefined)[]): AffectedAsset[] | undefined {
  const seen = new Set<string>();
  const out: AffectedAsset[] = [];
  for (const a of list) {
    if (!a) continue;
    const key = stringify([a.id ?? null, a.hostname ?? null, a.ip ?? null, a.name ?? null]);
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(a);
    if (out.length >= LIMITS.assets) break;
  }
  return out.length > 0 ? out : undefined;
}

// ---------------------------------------------------------------------------------------------
// Fields of documents written either flattened ("a.b.c": 1) or nested ({a: {b: {c: 1}}})

export interface Found {
  value: unknown;
  pointer: string;
}

/**
 * Looks a dotted path up in a document whose keys may be flattened, nested or a mix of both
 * ("kibana.alert": {"rule.name": …}). Longer keys win. A one-element array (the Elasticsearch
 * `fields` API wraps every value so) is unwrapped unless `keepArrays`.
 */
export function lookup(doc: unknown, path: string, base = '', keepArrays = false): Found | undefined {
  const candidates = candidatesOf(path);
  const keys: string[] = [];
  const walk = (node: unknown, from: number): unknown => {
    if (from === candidates.length) return node;
    if (!isRecord(node)) return undefined;
    for (const [key, to] of candidates[from]) {
      if (!Object.prototype.hasOwnProperty.call(node, key)) continue;
      keys.push(key);
      const value = walk(node[key], to);
      if (value !== undefined) return value;
      keys.pop();
    }
    return undefined;
  };
  const value = walk(doc, 0);
  if (value === undefined) return undefined;
  if (!keepArrays && Array.isArray(value) && value.length === 1) return { value: value[0], pointer: pointer(base, ...keys, 0) };
  return { value, pointer: pointer(base, ...keys) };
}

/** For each segment of a dotted path, the keys that may start there (longest first) and where each ends; paths come from code, so the cache stays small. */
const CANDIDATES = new Map<string, [string, number][][]>();
function candidatesOf(path: string): [string, number][][] {
  let candidates = CANDIDATES.get(path);
  if (!candidates) {
    const segments = path.split('.');
    candidates = segments.map((_, from) => {
      const list: [string, number][] = [];
      for (let to = segments.length; to > from; to--) list.push([segments.slice(from, to).join('.'), to]);
      return list;
    });
    if (CANDIDATES.size < 1000) CANDIDATES.set(path, candidates);
  }
  return candidates;
}

/** The first of several paths that holds a value. */
export function lookupFirst(doc: unknown, paths: string[], base = '', keepArrays = false): Found | undefined {
  for (const path of paths) {
    const found = lookup(doc, path, base, keepArrays);
    if (found && found.value !== undefined && found.value !== null) return found;
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Signals

export type Draft = Omit<CanonicalAlert, 'dedupKey'> & { dedupKey: string };

/**
 * The last guard: the draft must pass CanonicalAlert (trimmed and bounded by the caller). A draft
 * that does not is a mapping defect, reported against the item rather than thrown.
 */
export function toSignal(
  format: SourceFormat,
  action: AlertAction,
  draft: Draft,
  raw: unknown,
  itemPointer: string,
): { signal: AlertSignal } | { errors: FieldError[] } {
  const clean = Object.fromEntries(Object.entries(draft).filter(([, v]) => v !== undefined));
  const parsed = CanonicalAlert.safeParse(clean);
  if (!parsed.success) {
    return {
      errors: zodErrors(parsed.error).map((e) => ({ pointer: itemPointer, detail: `could not be mapped to a Vigil alert (${e.pointer}: ${e.detail})` })),
    };
  }
  return { signal: { action, format, alert: { ...parsed.data, dedupKey: draft.dedupKey }, raw } };
}

/** Collects the signals of a multi-item body; any error fails the whole request (an error names its item). */
export function collect(results: ({ signal: AlertSignal } | { errors: FieldError[] })[], meta?: Record<string, unknown>): MappingResult {
  const errors = results.flatMap((r) => ('errors' in r ? r.errors : []));
  if (errors.length > 0) return { ok: false, errors };
  const signals = results.flatMap((r) => ('signal' in r ? [r.signal] : []));
  return meta ? { ok: true, signals, meta } : { ok: true, signals };
}
