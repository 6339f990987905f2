import { lookup as dnsLookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import type { LookupFunction } from 'node:net';
import { Agent, request as undiciRequest } from 'undici';
import { forbiddenAddressReason } from './address-policy';
import { SIGNATURE_HEADER, signRequest } from './signature';

/*
 * The one way Vigil calls out to systems it is configured to reach (connectors): every
 * destination resolved and checked against the address policy, the connection pinned to the
 * address that was checked (no second lookup an attacker's DNS could answer differently),
 * redirects followed here and each hop checked again, a timeout per attempt, retries with
 * backoff on network errors and 5xx only, and an HMAC signature over timestamp and body.
 */

export type Resolver = (hostname: string) => Promise<Array<{ address: string; family: number }>>;

export const systemResolver: Resolver = (hostname) => dnsLookup(hostname, { all: true, verbatim: true });

/** An outbound call refused before it was made (the destination or the scheme is not allowed). */
export class OutboundRefused extends Error {
  constructor(
    readonly url: string,
    readonly reason: string,
  ) {
    super(`refused ${url}: ${reason}`);
  }
}

export interface DestinationPolicy {
  /** Private, loopback and link-local destinations too (a connector on the internal network, a local test receiver). */
  allowPrivateNetwork: boolean;
  /** Plain http: too (only for connectors explicitly allowed, e.g. a local test receiver). */
  allowHttp: boolean;
}

export interface CheckedDestination {
  url: URL;
  /** The address the connection is pinned to. */
  address: string;
  family: 4 | 6;
}

/**
 * Resolves a URL's host and checks every address it resolves to; refuses the URL when any is
 * forbidden (a name answering both a public and a private address is refused, not raced). The
 * WHATWG URL parser has already turned decimal, octal, hex and short IPv4 forms (`2130706433`,
 * `0177.0.0.1`, `0x7f.1`, `127.1`) into dotted quads.
 */
export async function checkDestination(raw: string | URL, policy: DestinationPolicy, resolve: Resolver = systemResolver): Promise<CheckedDestination> {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new OutboundRefused(String(raw), 'not a valid URL');
  }
  const shown = url.origin + url.pathname;
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && policy.allowHttp)) throw new OutboundRefused(shown, `scheme ${url.protocol} is not allowed (https only unless the connector allows http)`);
  if (url.username || url.password) throw new OutboundRefused(shown, 'credentials in the URL are not allowed');
  const host = url.hostname.replace(/^\[|\]$/g, '');
  let addresses: Array<{ address: string; family: number }>;
  if (isIP(host)) addresses = [{ address: host, family: isIP(host) }];
  else {
    try {
      addresses = await resolve(host);
    } catch (e) {
      throw new OutboundRefused(shown, `cannot resolve ${host}: ${(e as Error).message}`);
    }
    if (addresses.length === 0) throw new OutboundRefused(shown, `${host} resolves to no address`);
  }
  for (const a of addresses) {
    const why = forbiddenAddressReason(a.address);
    if (why === 'not an IP address') throw new OutboundRefused(shown, `${host} resolved to ${a.address}, not an IP address`);
    if (why && !policy.allowPrivateNetwork) throw new OutboundRefused(shown, `${a.address}${a.address === host ? '' : ` (${host})`} is ${why}`);
  }
  return { url, address: addresses[0].address, family: isIP(addresses[0].address) as 4 | 6 };
}

export interface OutboundRequest {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  url: string;
  headers: Record<string, string>;
  /** The exact bytes sent (and signed); null for none. */
  body: string | null;
}

export interface OutboundResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** Sends one request to one checked address. The real one pins the connection; tests pass their own. */
export type Transport = (request: OutboundRequest, destination: CheckedDestination, timeoutMs: number) => Promise<OutboundResponse>;

/** A connection lookup that answers only the address that was checked, whatever name is asked. */
export function pinnedLookup(address: string, family: 4 | 6): LookupFunction {
  return ((_hostname: string, options: { all?: boolean }, callback: (...args: unknown[]) => void) => {
    if (options?.all) callback(null, [{ address, family }]);
    else callback(null, address, family);
  }) as unknown as LookupFunction;
}

/** undici, one agent per attempt, its connections made to the checked address only; SNI and Host stay the name. */
export const pinnedTransport: Transport = async (req, destination, timeoutMs) => {
  const agent = new Agent({ connect: { lookup: pinnedLookup(destination.address, destination.family), timeout: timeoutMs }, headersTimeout: timeoutMs, bodyTimeout: timeoutMs });
  try {
    const res = await undiciRequest(destination.url, { method: req.method, headers: req.headers, body: req.body ?? undefined, dispatcher: agent, signal: AbortSignal.timeout(timeoutMs) });
    const text = await res.body.text();
    return { status: res.statusCode, headers: res.headers, body: text.slice(0, 4000) };
  } finally {
    await agent.close().catch(() => undefined);
  }
};

export interface OutboundOptions extends DestinationPolicy {
  /** HMAC secret: when set, each attempt carries `Vigil-Signature`, signed at the time it is sent. */
  secret?: string | null;
  timeoutMs: number;
  /** Further attempts after the first, on network errors and 5xx. */
  retries: number;
  maxRedirects?: number;
  resolve?: Resolver;
  transport?: Transport;
  now?: () => Date;
  sleep?: (ms: number) => Promise<void>;
  /** Backoff before retry n (1-based): base × 2^(n-1), with jitter. */
  backoffBaseMs?: number;
}

export interface OutboundAttempt {
  attempt: number;
  url: string;
  address: string | null;
  status: number | null;
  error: string | null;
  startedAt: Date;
  durationMs: number;
}

export interface OutboundResult {
  outcome: 'succeeded' | 'failed' | 'refused';
  response: OutboundResponse | null;
  error: string | null;
  attempts: OutboundAttempt[];
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const realSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * Sends a request through the guard. Never throws for a refusal or a failure: the result says
 * what happened, with every attempt (each redirect hop and each retry) for the record.
 */
export async function sendOutbound(request: OutboundRequest, options: OutboundOptions): Promise<OutboundResult> {
  const transport = options.transport ?? pinnedTransport;
  const resolve = options.resolve ?? systemResolver;
  const now = options.now ?? (() => new Date());
  const sleep = options.sleep ?? realSleep;
  const attempts: OutboundAttempt[] = [];
  let lastError: string | null = null;
  for (let attempt = 1; attempt <= 1 + options.retries; attempt++) {
    if (attempt > 1) {
      const base = (options.backoffBaseMs ?? 500) * 2 ** (attempt - 2);
      await sleep(base + Math.floor(Math.random() * base * 0.2));
    }
    let current: OutboundRequest = request;
    for (let hop = 0; ; hop++) {
      let destination: CheckedDestination;
      const startedAt = now();
      try {
        destination = await checkDestination(current.url, options, resolve);
      } catch (e) {
        const reason = e instanceof OutboundRefused ? e.message : String(e);
        attempts.push({ attempt, url: current.url, address: null, status: null, error: reason, startedAt, durationMs: 0 });
        return { outcome: 'refused', response: null, error: reason, attempts };
      }
      const headers = { ...current.headers };
      // A request without a body is signed over the empty body; a hop to another origin is not signed.
      if (options.secret && sameOrigin(current.url, request.url)) headers[SIGNATURE_HEADER] = signRequest(options.secret, current.body ?? '', now());
      const t0 = Date.now();
      let response: OutboundResponse;
      try {
        response = await transport({ ...current, headers }, destination, options.timeoutMs);
      } catch (e) {
        const err = e as Error & { cause?: { message?: string } };
        lastError = err.cause?.message ? `${err.message}: ${err.cause.message}` : err.message;
        attempts.push({ attempt, url: current.url, address: destination.address, status: null, error: lastError, startedAt, durationMs: Date.now() - t0 });
        break; // network error or timeout: retry
      }
      attempts.push({ attempt, url: current.url, address: destination.address, status: response.status, error: null, startedAt, durationMs: Date.now() - t0 });
      if (REDIRECTS.has(response.status)) {
        const location = firstHeader(response.headers.location);
        if (!location) return { outcome: 'failed', response, error: `HTTP ${response.status} without a Location`, attempts };
        if (hop >= (options.maxRedirects ?? 3)) return { outcome: 'failed', response, error: 'too many redirects', attempts };
        const next = new URL(location, current.url).toString();
        // 303 (and 301/302 after a POST, as browsers do) turn into a GET without the body.
        const keepsBody = response.status === 307 || response.status === 308;
        current = keepsBody ? { ...current, url: next } : { method: 'GET', url: next, headers: withoutBodyHeaders(current.headers), body: null };
        if (!sameOrigin(next, request.url)) current = { ...current, headers: withoutCredentials(current.headers) };
        continue;
      }
      if (response.status >= 200 && response.status < 300) return { outcome: 'succeeded', response, error: null, attempts };
      const error = `HTTP ${response.status}${response.body ? `: ${response.body.slice(0, 200)}` : ''}`;
      if (response.status < 500) return { outcome: 'failed', response, error, attempts }; // a 4xx will not get better
      lastError = error;
      break;
    }
  }
  return { outcome: 'failed', response: null, error: lastError, attempts };
}

const firstHeader = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v);
const sameOrigin = (a: string, b: string) => new URL(a).origin === new URL(b).origin;
const withoutBodyHeaders = (h: Record<string, string>) => Object.fromEntries(Object.entries(h).filter(([k]) => !/^content-/i.test(k)));
const withoutCredentials = (h: Record<string, string>) => Object.fromEntries(Object.entries(h).filter(([k]) => !/^(authorization|cookie|vigil-signature)$/i.test(k)));
