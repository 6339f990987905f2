import type { Observable, ObservableType } from '@vigil/contracts';
import { isIP } from 'node:net';
import { domainToASCII } from 'node:url';
import { LIMITS, isRecord, lookup, text, validIp } from './common';

/**
 * Observables (indicators) pulled out of alert content, normalised so that the same indicator is
 * always written the same way:
 *
 * - ip: validated with node:net isIP; IPv6 compressed and lower-cased, zone dropped.
 * - domain: lower-case, no trailing dot, at least two labels, an alphabetic top-level label.
 * - hostname: a name under a private-use suffix (.local, .internal, .lan, .corp, .home, …).
 * - url: http, https or ftp, scheme and host lower-cased by the WHATWG URL parser; defanged
 *   forms (hxxp://, [.]) are re-fanged first.
 * - hash: md5, sha1 or sha256 hex (sha512 too when a field says it is a hash), lower-cased;
 *   `MD5:…` and `SHA256=…` prefixes are dropped.
 * - email: local part as written, domain lower-cased.
 * - user: only from fields that name a user (user.name, actor.user.name, user, username, …),
 *   never guessed from free text.
 *
 * Limits of free-text extraction (documented, and pinned by tests):
 * - a name with a dot is a domain only if its last label is a common generic TLD or a two-letter
 *   country code, so file names (`payload.exe`, `libc.so`, `README.md`), versions (`1.2.3.4.5`,
 *   `v2.10.1`) and code (`System.Management.Automation`) are not domains. The price: a domain
 *   under a rare generic TLD (`example.museum`) is only taken from a field that says it is one.
 * - a four-part dotted quad that is a version number (`1.2.3.4`) is indistinguishable from an
 *   IPv4 address and is taken as one.
 * - 32/40/64 hex digits are taken as a hash when they contain both a digit and a letter;
 *   identifiers of that shape (undashed UUIDs) in free text are taken too, which is why the
 *   walker skips id-like keys (`uid`, `uuid`, `id`, `fingerprint`, …).
 * - at most 16 KiB of each string and 1 MiB in total are read; the walk stops at depth 12 and
 *   after 5,000 values; at most 500 observables are kept. Nothing in here throws.
 * - every step is linear in its input: no regular expression here can backtrack over a run of
 *   characters more than once (a `[…]+$` searched for anywhere is quadratic on a long run that is
 *   not at the end, so trailing characters are cut with {@link trimEnd} instead). A unit spec
 *   fuzzes each function with 100,000-character tokens.
 */

export const MAX_OBSERVABLES = LIMITS.observables;
const MAX_VALUE = LIMITS.observableValue;
const MAX_DEPTH = 12;
const MAX_NODES = 5_000;
const MAX_STRING_SCAN = 16_384;
const MAX_TOTAL_SCAN = 1_048_576;

/** Top-level labels of private-use names: an observable under them is a host, not an internet domain. */
const PRIVATE_SUFFIXES = new Set(['local', 'localdomain', 'internal', 'intranet', 'lan', 'corp', 'home', 'localhost', 'private']);

/** Generic TLDs recognised in free text (two-letter country codes are recognised too, minus FILE_LIKE_CC). */
const COMMON_GTLDS = new Set(
  (
    'com net org info biz edu gov mil int arpa io co ai app dev xyz online site top club shop store tech cloud live life world ' +
    'today space website link click download win bid loan work party review stream racing date faith science trade ' +
    'icu cyou buzz monster rest fun lol mobi name pro aero asia cat coop jobs tel travel email support services solutions ' +
    'network systems digital agency company group global news blog media design studio zone host press page run bar best ' +
    'bond sbs cfd ink vip wang ltd xin kim men gdn loan porn sex mom beauty hair skin quest autos boats homes yachts ' +
    'example test invalid onion'
  ).split(' '),
);

/** Two-letter endings that are far more often file extensions than country domains in alerts. */
const FILE_LIKE_CC = new Set(['sh', 'py', 'md', 'so', 'js', 'ts', 'gz', 'xz', 'bz', 'db', 'go', 'rb', 'hs', 'vb', 'cs', 'pm', 'ps', 'rs', 'mo', 'po', 'jl']);

const USER_KEYS = new Set([
  'user',
  'username',
  'user_name',
  'username.keyword',
  'src_user',
  'dest_user',
  'suser',
  'duser',
  'target_user',
  'targetusername',
  'subjectusername',
  'account_name',
  'user.name',
]);

/** Keys whose values are identifiers or links of the tool itself, not indicators. */
export const defaultSkipKey = (key: string): boolean =>
  /(^|[._-])(uuid|uid|guid|id|ids|sid|fingerprint|groupkey|dedup_key|routing_key|execution)$/i.test(key) ||
  /^(generatorurl|externalurl|silenceurl|dashboardurl|panelurl|runbook_?url|results_link|client_url|links|images|references|kibana\.alert\.rule\.references)$/i.test(
    key,
  );

// ---------------------------------------------------------------------------------------------
// Normalisers: one value of a known type in, the normalised value (or undefined) out.

const bounded = (value: string | undefined) => (value && value.length <= MAX_VALUE ? value : undefined);

/** `value` without the leading characters that are in `chars` (linear, unlike `/^[…]+/` + `/[…]+$/` pairs). */
export function trimStart(value: string, chars: string): string {
  let start = 0;
  while (start < value.length && chars.includes(value[start])) start++;
  return start === 0 ? value : value.slice(start);
}

/** `value` without the trailing characters that are in `chars`, in one backward pass. */
export function trimEnd(value: string, chars: string): string {
  let end = value.length;
  while (end > 0 && chars.includes(value[end - 1])) end--;
  return end === value.length ? value : value.slice(0, end);
}

/** `value` up to its first `char` (an IPv6 zone after `%`, say), found with indexOf rather than `/%.*$/`. */
const before = (value: string, char: string) => {
  const at = value.indexOf(char);
  return at < 0 ? value : value.slice(0, at);
};

/** Re-fangs hxxp://, [.], (.), {.}, [@] and [://] as written in threat reports. */
export function refang(value: string): string {
  return value
    .replace(/\bhxxp(s?):\/\//gi, 'http$1://')
    .replace(/\bfxp:\/\//gi, 'ftp://')
    .replace(/\[:\/\/\]/g, '://')
    .replace(/\[\.\]|\(\.\)|\{\.\}|\[dot\]/gi, '.')
    .replace(/\[@\]|\[at\]/gi, '@');
}

export function normalizeIp(value: unknown): string | undefined {
  const t = text(value);
  if (!t) return undefined;
  const unzoned = before(t, '%');
  return validIp(t) ?? (isIP(unzoned) ? unzoned.toLowerCase() : undefined);
}

const LABEL = /^(?!-)[a-z0-9_-]{1,63}(?<!-)$/;

/**
 * A domain name, lower-case, without trailing dot, punycode for international names. `strict`
 * (free text) also wants a recognised TLD; otherwise any alphabetic or punycode TLD will do.
 */
export function normalizeDomain(value: unknown, strict = false): string | undefined {
  let t = text(value);
  if (!t) return undefined;
  if (t.endsWith('.')) t = t.slice(0, -1);
  if (/[^\x21-\x7e]/.test(t)) {
    if (strict) return undefined;
    t = domainToASCII(t);
    if (!t) return undefined;
  }
  const lower = t.toLowerCase();
  if (lower.length > LIMITS.hostname || isIP(lower)) return undefined;
  const labels = lower.split('.');
  if (labels.length < 2 || !labels.every((l) => LABEL.test(l))) return undefined;
  const tld = labels[labels.length - 1];
  if (!/^(?:[a-z]{2,63}|xn--[a-z0-9-]{1,59})$/.test(tld)) return undefined;
  if (strict) {
    const known = COMMON_GTLDS.has(tld) || PRIVATE_SUFFIXES.has(tld) || (tld.length === 2 && !FILE_LIKE_CC.has(tld));
    if (!known) return undefined;
    // Code such as PowerShell.Commands: a camel-case hump in a label.
    if (/[a-z][A-Z]/.test(t)) return undefined;
  }
  return lower;
}

/** A domain, or a host name when it is under a private-use suffix. */
export function domainObservable(value: unknown, strict = false): Observable | undefined {
  const domain = normalizeDomain(value, strict);
  if (!domain) return undefined;
  const tld = domain.slice(domain.lastIndexOf('.') + 1);
  return { type: PRIVATE_SUFFIXES.has(tld) ? 'hostname' : 'domain', value: domain };
}

export function normalizeUrl(value: unknown): string | undefined {
  const t = text(value);
  if (!t || t.length > MAX_VALUE) return undefined;
  try {
    const url = new URL(refang(t));
    if (!['http:', 'https:', 'ftp:'].includes(url.protocol) || !url.hostname) return undefined;
    return bounded(url.href);
  } catch {
    return undefined;
  }
}

const EMAIL_LOCAL = /^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}$/;

export function normalizeEmail(value: unknown): string | undefined {
  const t = text(value)?.replace(/^mailto:/i, '');
  if (!t) return undefined;
  const at = t.lastIndexOf('@');
  if (at <= 0) return undefined;
  const local = t.slice(0, at);
  const domain = normalizeDomain(t.slice(at + 1));
  if (!domain || !EMAIL_LOCAL.test(local) || local.startsWith('.') || local.endsWith('.')) return undefined;
  return `${local}@${domain}`;
}

const HASH_PREFIX = /^(?:md5|sha-?1|sha-?256|sha-?512|imphash)\s*[:=]\s*/i;

/** A hex digest: md5, sha1 or sha256 (and sha512 unless `strict`), lower-case; `MD5:…`-style prefixes dropped. */
export function normalizeHash(value: unknown, strict = false): string | undefined {
  const t = text(value)?.replace(HASH_PREFIX, '');
  if (!t || !/^[0-9a-fA-F]+$/.test(t)) return undefined;
  const lengths = strict ? [32, 40, 64] : [32, 40, 64, 128];
  if (!lengths.includes(t.length)) return undefined;
  if (strict && !(/[0-9]/.test(t) && /[a-fA-F]/.test(t))) return undefined;
  return t.toLowerCase();
}

export function normalizeUser(value: unknown): string | undefined {
  const t = text(value);
  if (!t || t === '-' || /^(n\/a|null|none|unknown)$/i.test(t)) return undefined;
  return bounded(t);
}

/** Any value as an observable of the given type, or undefined when it is not one. */
export function normalizeObservable(type: ObservableType, value: unknown): Observable | undefined {
  switch (type) {
    case 'ip': {
      const v = normalizeIp(value);
      return v ? { type, value: v } : undefined;
    }
    case 'domain':
      return domainObservable(value);
    case 'hostname': {
      const t = text(value);
      const v = t && !/\s/.test(t) ? bounded(t.toLowerCase().replace(/\.$/, '')) : undefined;
      return v ? { type, value: v } : undefined;
    }
    case 'url': {
      const v = normalizeUrl(value);
      return v ? { type, value: v } : undefined;
    }
    case 'hash': {
      const v = normalizeHash(value);
      return v ? { type, value: v } : undefined;
    }
    case 'email': {
      const v = normalizeEmail(value);
      return v ? { type, value: v } : undefined;
    }
    case 'user': {
      const v = normalizeUser(value);
      return v ? { type, value: v } : undefined;
    }
    default: {
      const v = bounded(text(value));
      return v ? { type, value: v } : undefined;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// The collector

export interface ExtractOptions {
  /** Keys whose values are not walked (default: id-like keys and the tools' own links). */
  skipKey?: (key: string) => boolean;
  /** At most this many observables (default and maximum 500). */
  limit?: number;
}

/** De-duplicating, bounded set of observables; every add is total (never throws, ignores what is not an observable). */
export class ObservableCollector {
  private readonly seen = new Set<string>();
  private readonly list: Observable[] = [];
  private nodes = 0;
  private scanned = 0;
  readonly limit: number;

  constructor(limit: number = MAX_OBSERVABLES) {
    this.limit = Math.max(0, Math.min(limit, MAX_OBSERVABLES));
  }

  get size(): number {
    return this.list.length;
  }

  get full(): boolean {
    return this.list.length >= this.limit;
  }

  push(observable: Observable | undefined): void {
    if (!observable || this.full) return;
    // A name is one indicator whether it came as a host or a domain: the first type seen stays.
    const family = observable.type === 'domain' ? 'hostname' : observable.type;
    const k = `${family}\u0000${family === 'hostname' ? observable.value.toLowerCase() : observable.value}`;
    if (this.seen.has(k)) return;
    this.seen.add(k);
    this.list.push(observable);
  }

  /** One value (or an array of them) of a known type. */
  add(type: ObservableType, value: unknown): this {
    if (Array.isArray(value)) {
      for (const v of value.slice(0, 100)) this.push(normalizeObservable(type, v));
    } else {
      this.push(normalizeObservable(type, value));
    }
    return this;
  }

  /** Observables written in free text. */
  addText(value: string): this {
    if (this.full || this.scanned >= MAX_TOTAL_SCAN) return this;
    const slice = value.slice(0, Math.min(MAX_STRING_SCAN, MAX_TOTAL_SCAN - this.scanned));
    this.scanned += slice.length;
    for (const token of refang(slice).split(/[\s"'<>()[\]{}|\\^`]+/)) {
      if (this.full) break;
      if (token.length >= 3 && token.length <= MAX_VALUE) this.addToken(token);
    }
    return this;
  }

  /**
   * One whitespace-free word of free text (addText splits text into these). Linear in the word's
   * length, however long, so that a run of punctuation costs no more than its length.
   */
  addToken(raw: string): this {
    // Most words are none of these: nothing to look at without a dot, colon, @, slash, = or a
    // hash-length run of hex digits.
    if (!/[.:@/=,]/.test(raw) && !(raw.length >= 32 && /^[0-9a-f]+$/i.test(raw))) return this;
    const token = trimEnd(trimStart(raw, '*.,;!?'), '.,;!?*');
    if (token.length < 2) return this;
    if (/^[a-z][a-z0-9+.-]{1,15}:\/\//i.test(token)) {
      const url = normalizeUrl(trimEnd(token, ':'));
      if (url) {
        this.push({ type: 'url', value: url });
        this.host(new URL(url).hostname);
      }
      return this;
    }
    if (token.includes('@')) {
      let any = false;
      for (const part of token.split(/[,;]/)) {
        const email = normalizeEmail(trimEnd(part, ':.'));
        if (email) {
          this.push({ type: 'email', value: email });
          any = true;
        }
      }
      if (any) return this;
    }
    for (const part of token.split(/[=,;&]+/)) {
      if (part.length >= 2) this.atom(trimEnd(trimStart(part, '.'), '.:'), part);
    }
    return this;
  }

  /** One word: an IP (with or without port), a hash, or a domain (with or without port or path). */
  private atom(word: string, original: string): void {
    const ip = normalizeIp(original) ?? normalizeIp(word) ?? normalizeIp(/^([^:]+):\d{1,5}$/.exec(word)?.[1]);
    if (ip) {
      this.push({ type: 'ip', value: ip });
      return;
    }
    if (word.length < 3) return;
    if (/^[0-9a-f]+$/i.test(word) || HASH_PREFIX.test(word)) {
      const hash = normalizeHash(word, true);
      if (hash) this.push({ type: 'hash', value: hash });
      return;
    }
    const host = /^([^/:?#]+)(?::\d{1,5})?(?:[/?#].*)?$/.exec(word)?.[1];
    if (host && host.includes('.')) this.push(domainObservable(host, true));
  }

  private host(hostname: string): void {
    const bare = hostname.replace(/^\[(.*)\]$/, '$1');
    const ip = normalizeIp(bare);
    this.push(ip ? { type: 'ip', value: ip } : domainObservable(bare));
  }

  /**
   * Walks strings, arrays and objects: free text everywhere, users from user fields only.
   * Bounded in depth and in the number of values visited.
   */
  walk(value: unknown, options: ExtractOptions = {}, key?: string, parentKey?: string, depth = 0): this {
    if (this.full || depth > MAX_DEPTH || this.nodes >= MAX_NODES) return this;
    this.nodes++;
    const skip = options.skipKey ?? defaultSkipKey;
    if (typeof value === 'string') {
      if (key !== undefined && isUserField(key, parentKey)) this.push(normalizeObservable('user', value));
      this.addText(value);
    } else if (Array.isArray(value)) {
      for (const item of value) {
        if (this.full || this.nodes >= MAX_NODES) break;
        this.walk(item, options, key, parentKey, depth + 1);
      }
    } else if (isRecord(value)) {
      for (const k of Object.keys(value)) {
        if (this.full || this.nodes >= MAX_NODES) break;
        if (skip(k)) continue;
        this.walk(value[k], options, k, key, depth + 1);
      }
    }
    return this;
  }

  toArray(): Observable[] {
    return [...this.list];
  }

  /** The observables, or undefined when there are none (the canonical field is optional). */
  toField(): Observable[] | undefined {
    return this.list.length > 0 ? this.toArray() : undefined;
  }
}

function isUserField(key: string, parentKey: string | undefined): boolean {
  const k = key.toLowerCase();
  if (USER_KEYS.has(k) || k.endsWith('.user.name') || k.endsWith('_user_name')) return true;
  return k === 'name' && parentKey !== undefined && /(^|[._])user$/i.test(parentKey);
}

/**
 * Observables in any JSON value: strings are read as free text, objects and arrays are walked
 * (bounded), user names are taken from user fields only; de-duplicated, at most 500. Never throws.
 */
export function extractObservables(values: unknown, options: ExtractOptions = {}): Observable[] {
  try {
    return new ObservableCollector(options.limit).walk(values, options).toArray();
  } catch {
    return [];
  }
}

// ---------------------------------------------------------------------------------------------
// Explicit observables of source structures

/**
 * OCSF observable `type_id` → Vigil's observable type (OCSF 1.x dictionary types and objects):
 * 1 Hostname, 2 IP Address, 4 User Name, 5 Email Address, 6 URL String, 7 File Name, 8 Hash,
 * 20 Endpoint, 21 User, 22 Email, 23 URL, 24 File, 30 Fingerprint, 45 File Path; the rest
 * (MAC, process, port, subnet, command line, CVE, registry, …) are `other`.
 */
export const OCSF_OBSERVABLE_TYPES: Readonly<Record<number, ObservableType>> = {
  1: 'hostname',
  2: 'ip',
  4: 'user',
  5: 'email',
  6: 'url',
  7: 'file',
  8: 'hash',
  20: 'hostname',
  21: 'user',
  22: 'email',
  23: 'url',
  24: 'file',
  30: 'hash',
  45: 'file',
};

export function ocsfObservableType(typeId: unknown): ObservableType {
  return typeof typeId === 'number' && Object.prototype.hasOwnProperty.call(OCSF_OBSERVABLE_TYPES, typeId) ? OCSF_OBSERVABLE_TYPES[typeId] : 'other';
}

/**
 * OCSF `observables[]`: each `{name, type_id, value}` by its type; a value that does not fit its
 * type (an "IP Address" that is no IP) is kept as `other`, an object observable without a value is skipped.
 */
export function observablesFromOcsf(observables: unknown, collector = new ObservableCollector()): Observable[] {
  if (!Array.isArray(observables)) return collector.toArray();
  for (const item of observables.slice(0, 1000)) {
    if (!isRecord(item) || collector.full) continue;
    const value = typeof item.value === 'number' ? String(item.value) : item.value;
    if (typeof value !== 'string') continue;
    const type = ocsfObservableType(item.type_id);
    collector.push(normalizeObservable(type, value) ?? normalizeObservable('other', value));
  }
  return collector.toArray();
}

/** The ECS fields of an Elastic document (flattened or nested) that name observables, and their types. */
export const ECS_OBSERVABLE_FIELDS: readonly [string, ObservableType][] = [
  ['source.ip', 'ip'],
  ['destination.ip', 'ip'],
  ['client.ip', 'ip'],
  ['server.ip', 'ip'],
  ['host.ip', 'ip'],
  ['related.ip', 'ip'],
  ['source.domain', 'domain'],
  ['destination.domain', 'domain'],
  ['url.domain', 'domain'],
  ['dns.question.name', 'domain'],
  ['related.hosts', 'domain'],
  ['url.full', 'url'],
  ['url.original', 'url'],
  ['file.hash.md5', 'hash'],
  ['file.hash.sha1', 'hash'],
  ['file.hash.sha256', 'hash'],
  ['process.hash.md5', 'hash'],
  ['process.hash.sha1', 'hash'],
  ['process.hash.sha256', 'hash'],
  ['related.hash', 'hash'],
  ['file.path', 'file'],
  ['file.name', 'file'],
  ['email.from.address', 'email'],
  ['email.to.address', 'email'],
  ['email.sender.address', 'email'],
  ['user.email', 'email'],
  ['user.name', 'user'],
  ['source.user.name', 'user'],
  ['destination.user.name', 'user'],
  ['user.target.name', 'user'],
  ['related.user', 'user'],
  ['host.name', 'hostname'],
];

/** Observables named by ECS fields of an Elastic document; `related.hosts` entries that are not domains are hosts. */
export function observablesFromEcs(doc: unknown, collector = new ObservableCollector()): Observable[] {
  for (const [path, type] of ECS_OBSERVABLE_FIELDS) {
    if (collector.full) break;
    const found = lookup(doc, path, '', true);
    if (!found) continue;
    const values = Array.isArray(found.value) ? found.value.slice(0, 100) : [found.value];
    for (const v of values) {
      if (type === 'domain') collector.push(domainObservable(v) ?? normalizeObservable('hostname', v));
      else collector.add(type, v);
    }
  }
  return collector.toArray();
}
