import { isIP } from 'node:net';

// One spelling per host and per address, used both when the register stores an asset and when an
// alert's asset is looked up in it: `WEB-01.Example.com.` and `web-01.example.com` are one host,
// `2001:DB8:0:0::1` and `2001:db8::1` one address.

/** Lower-cased and trimmed, without the DNS root's trailing dot; null when nothing is left. */
export function normaliseHostname(raw: string): string | null {
  const hostname = raw.trim().toLowerCase().replace(/\.$/, '');
  return hostname === '' ? null : hostname;
}

/**
 * The canonical text form of an IP address (RFC 5952 for IPv6: compressed, lower-case); null for
 * anything that is not one. An IPv4-mapped IPv6 address (`::ffff:10.0.0.1`, as dual-stack sockets
 * report IPv4 peers) is the IPv4 address it maps.
 */
export function normaliseIp(raw: string): string | null {
  const ip = raw.trim();
  const version = isIP(ip);
  if (version === 4) return ip; // isIP refuses leading zeros, so a dotted quad is already canonical
  // A zone id names an interface of one machine, not an address another machine can report.
  if (version !== 6 || ip.includes('%')) return null;
  // The WHATWG URL parser serialises IPv6 hosts exactly as RFC 5952 asks.
  const compressed = new URL(`http://[${ip}]`).hostname.slice(1, -1);
  const mapped = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(compressed);
  if (!mapped) return compressed;
  const [high, low] = [parseInt(mapped[1], 16), parseInt(mapped[2], 16)];
  return [high >> 8, high & 0xff, low >> 8, low & 0xff].join('.');
}

/** Normalises each value, dropping what does not normalise and repeats, in first-seen order. */
export function normaliseAll(values: readonly string[], normalise: (raw: string) => string | null): string[] {
  const seen = new Set<string>();
  for (const value of values) {
    const normalised = normalise(value);
    if (normalised !== null) seen.add(normalised);
  }
  return [...seen];
}
