import { BlockList, isIP } from 'node:net';

/*
 * Which addresses an outbound call may not reach unless its connector is explicitly allowed to:
 * anything that is not the public internet. IPv6 forms that carry an IPv4 address (mapped,
 * compatible, NAT64, 6to4) are judged by the IPv4 address inside them, so `[::ffff:127.0.0.1]`
 * and `[64:ff9b::a9fe:a9fe]` are refused like 127.0.0.1 and 169.254.169.254.
 */

const V4: Array<[string, number, string]> = [
  ['0.0.0.0', 8, 'unspecified ("this network")'],
  ['10.0.0.0', 8, 'private (RFC 1918)'],
  ['100.64.0.0', 10, 'carrier-grade NAT (RFC 6598)'],
  ['127.0.0.0', 8, 'loopback'],
  ['169.254.0.0', 16, 'link-local (cloud metadata lives at 169.254.169.254)'],
  ['172.16.0.0', 12, 'private (RFC 1918)'],
  ['192.0.0.0', 24, 'IETF protocol assignments'],
  ['192.0.2.0', 24, 'documentation'],
  ['192.88.99.0', 24, '6to4 relay anycast'],
  ['192.168.0.0', 16, 'private (RFC 1918)'],
  ['198.18.0.0', 15, 'benchmarking'],
  ['198.51.100.0', 24, 'documentation'],
  ['203.0.113.0', 24, 'documentation'],
  ['224.0.0.0', 4, 'multicast'],
  ['240.0.0.0', 4, 'reserved (and broadcast)'],
];

const V6: Array<[string, number, string]> = [
  ['::', 128, 'unspecified'],
  ['::1', 128, 'loopback'],
  ['64:ff9b:1::', 48, 'local-use NAT64'],
  ['100::', 64, 'discard-only'],
  ['2001::', 32, 'Teredo tunnel'],
  ['2001:db8::', 32, 'documentation'],
  ['fc00::', 7, 'unique local (ULA; AWS metadata lives at fd00:ec2::254)'],
  ['fe80::', 10, 'link-local'],
  ['fec0::', 10, 'site-local (deprecated)'],
  ['ff00::', 8, 'multicast'],
];

const reasons = new Map<BlockList, string>();
const lists = [...V4.map(([a, p, r]) => ({ a, p, r, t: 'ipv4' as const })), ...V6.map(([a, p, r]) => ({ a, p, r, t: 'ipv6' as const }))].map(({ a, p, r, t }) => {
  const list = new BlockList();
  list.addSubnet(a, p, t);
  reasons.set(list, r);
  return { list, type: t };
});

/** The eight 16-bit groups of an IPv6 address (any valid textual form, with an IPv4 tail or not). */
export function ipv6Groups(address: string): number[] {
  let text = address.toLowerCase().replace(/%.*$/, '');
  const tail = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (tail) {
    const o = tail[1].split('.').map(Number);
    text = `${text.slice(0, -tail[1].length)}${((o[0] << 8) | o[1]).toString(16)}:${((o[2] << 8) | o[3]).toString(16)}`;
  }
  const [head, rest] = text.split('::');
  const h = head ? head.split(':') : [];
  const r = rest !== undefined ? (rest ? rest.split(':') : []) : [];
  const zeros = rest !== undefined ? 8 - h.length - r.length : 0;
  return [...h, ...Array<string>(zeros).fill('0'), ...r].map((g) => parseInt(g, 16));
}

const v4Of = (hi: number, lo: number) => `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;

/** The IPv4 address an IPv6 address carries (mapped, compatible, NAT64 well-known prefix, 6to4), if any. */
export function embeddedIpv4(address: string): string | null {
  const g = ipv6Groups(address);
  const zero = (from: number, to: number) => g.slice(from, to).every((x) => x === 0);
  if (zero(0, 5) && g[5] === 0xffff) return v4Of(g[6], g[7]); // ::ffff:a.b.c.d
  if (zero(0, 4) && g[4] === 0xffff && g[5] === 0) return v4Of(g[6], g[7]); // ::ffff:0:a.b.c.d (SIIT)
  if (zero(0, 6) && (g[6] !== 0 || g[7] > 1)) return v4Of(g[6], g[7]); // ::a.b.c.d (deprecated compatible)
  if (g[0] === 0x64 && g[1] === 0xff9b && zero(2, 6)) return v4Of(g[6], g[7]); // 64:ff9b::/96 NAT64
  if (g[0] === 0x2002) return v4Of(g[1], g[2]); // 6to4
  return null;
}

/**
 * Why an address may not be reached from Vigil (loopback, private, link-local, metadata, …), or
 * null when it is a public unicast address. Anything that is not an IP address is refused.
 */
export function forbiddenAddressReason(address: string): string | null {
  const bare = address.replace(/^\[|\]$/g, '');
  const family = isIP(bare.replace(/%.*$/, ''));
  if (family === 0) return 'not an IP address';
  if (family === 6) {
    const inner = embeddedIpv4(bare);
    if (inner) {
      const why = forbiddenAddressReason(inner);
      return why ? `${why}, inside an IPv6 address` : null;
    }
  }
  const type = family === 4 ? 'ipv4' : 'ipv6';
  const target = family === 6 ? ipv6Groups(bare).map((x) => x.toString(16)).join(':') : bare;
  for (const { list, type: t } of lists) if (t === type && list.check(target, type)) return reasons.get(list) ?? 'not public';
  return null;
}
