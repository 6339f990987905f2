import { forbiddenAddressReason } from './address-policy';
import { checkDestination, OutboundRefused, sendOutbound, type OutboundRequest, type Resolver, type Transport } from './outbound-guard';
import { signRequest, verifySignature } from './signature';

/** Names an attacker controls, answering what the attacker wants (no real DNS in a unit test). */
const resolver: Resolver = async (host) => {
  const answers: Record<string, string[]> = {
    'localtest.me': ['127.0.0.1'],
    'metadata.attacker.example': ['169.254.169.254'],
    'ec2-v6.attacker.example': ['fd00:ec2::254'],
    'both.attacker.example': ['93.184.215.14', '10.0.0.5'],
    'mapped.attacker.example': ['::ffff:127.0.0.1'],
    'edr.example.com': ['93.184.215.14'],
  };
  const found = answers[host];
  if (!found) throw new Error(`ENOTFOUND ${host}`);
  return found.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
};

const strict = { allowPrivateNetwork: false, allowHttp: true };

describe('SSRF guard', () => {
  const BYPASSES = [
    'http://127.0.0.1/',
    'http://2130706433/', // decimal
    'http://0177.0.0.1/', // octal
    'http://0x7f.0x0.0x0.0x1/', // hex
    'http://0x7f000001/', // hex, one number
    'http://127.1/', // short form
    'http://0/', // 0.0.0.0
    'http://0.0.0.0/',
    'http://[::1]/',
    'http://[::]/',
    'http://[::ffff:127.0.0.1]/', // IPv4-mapped
    'http://[::ffff:7f00:1]/', // IPv4-mapped, hex
    'http://[0:0:0:0:0:ffff:169.254.169.254]/',
    'http://[64:ff9b::a9fe:a9fe]/', // NAT64 of 169.254.169.254
    'http://[2002:7f00:1::]/', // 6to4 of 127.0.0.1
    'http://169.254.169.254/latest/meta-data/',
    'http://[fd00:ec2::254]/',
    'http://[fe80::1]/',
    'http://10.0.0.1/',
    'http://172.16.5.4/',
    'http://192.168.1.1/',
    'http://100.64.0.1/', // CGNAT
    'http://224.0.0.1/', // multicast
    'http://[ff02::1]/',
    'http://localtest.me/', // DNS → 127.0.0.1
    'http://metadata.attacker.example/', // DNS → 169.254.169.254
    'http://ec2-v6.attacker.example/',
    'http://mapped.attacker.example/',
    'http://both.attacker.example/', // one public, one private answer
    'http://user:pw@edr.example.com/', // credentials in the URL
    'file:///etc/passwd',
    'gopher://edr.example.com/',
  ];

  it.each(BYPASSES)('refuses %s', async (url) => {
    await expect(checkDestination(url, strict, resolver)).rejects.toBeInstanceOf(OutboundRefused);
  });

  it('counts at least 20 bypass URLs', () => {
    expect(BYPASSES.length).toBeGreaterThanOrEqual(20);
  });

  it('lets a public address through, pinned to the address it resolved', async () => {
    const checked = await checkDestination('https://edr.example.com/api/isolate', strict, resolver);
    expect(checked).toMatchObject({ address: '93.184.215.14', family: 4 });
    expect(checked.url.hostname).toBe('edr.example.com');
    await expect(checkDestination('https://93.184.215.14/', strict, resolver)).resolves.toMatchObject({ address: '93.184.215.14' });
    await expect(checkDestination('https://[2606:2800:21f:cb07:6820:80da:af6b:8b2c]/', strict, resolver)).resolves.toMatchObject({ family: 6 });
  });

  it('refuses plain http unless the connector allows it, and private addresses unless allowed', async () => {
    await expect(checkDestination('http://edr.example.com/', { allowPrivateNetwork: false, allowHttp: false }, resolver)).rejects.toThrow(/scheme http/);
    await expect(checkDestination('http://127.0.0.1:8080/', { allowPrivateNetwork: true, allowHttp: true }, resolver)).resolves.toMatchObject({ address: '127.0.0.1' });
  });

  it('judges IPv6 forms by the IPv4 address they carry', () => {
    expect(forbiddenAddressReason('::ffff:8.8.8.8')).toBeNull();
    expect(forbiddenAddressReason('64:ff9b::808:808')).toBeNull();
    expect(forbiddenAddressReason('64:ff9b::7f00:1')).toMatch(/loopback/);
    expect(forbiddenAddressReason('8.8.8.8')).toBeNull();
  });

  const post: OutboundRequest = { method: 'POST', url: 'https://edr.example.com/isolate', headers: { 'content-type': 'application/json' }, body: '{"host":"ws-1"}' };

  it.each(['http://127.0.0.1/', 'http://2130706433/', 'http://[::ffff:127.0.0.1]/', 'http://169.254.169.254/latest/meta-data/', 'http://localtest.me/', 'http://metadata.attacker.example/'])(
    'refuses a redirect to %s and does not follow it',
    async (location) => {
      const calls: string[] = [];
      const transport: Transport = async (req) => {
        calls.push(req.url);
        return { status: 302, headers: { location }, body: '' };
      };
      const result = await sendOutbound(post, { ...strict, timeoutMs: 1000, retries: 2, resolve: resolver, transport, sleep: async () => undefined });
      expect(result.outcome).toBe('refused');
      expect(calls).toEqual(['https://edr.example.com/isolate']);
      expect(result.attempts.at(-1)).toMatchObject({ address: null, url: new URL(location).toString() });
    },
  );

  it('retries a 5xx and a network error with backoff, never a 4xx, and signs every attempt', async () => {
    const statuses = [503, 0, 200];
    const seen: Array<Record<string, string>> = [];
    const sleeps: number[] = [];
    const transport: Transport = async (req) => {
      seen.push(req.headers);
      const status = statuses.shift()!;
      if (status === 0) throw new Error('ECONNRESET');
      return { status, headers: {}, body: '' };
    };
    const ok = await sendOutbound(post, { ...strict, secret: 's3cret', timeoutMs: 1000, retries: 3, backoffBaseMs: 100, resolve: resolver, transport, sleep: async (ms) => void sleeps.push(ms) });
    expect(ok.outcome).toBe('succeeded');
    expect(ok.attempts.map((a) => a.status)).toEqual([503, null, 200]);
    expect(sleeps).toHaveLength(2);
    expect(sleeps[1]).toBeGreaterThan(sleeps[0]);
    for (const h of seen) expect(verifySignature({ header: h['vigil-signature'], body: post.body!, secret: 's3cret' })).toMatchObject({ valid: true });

    let calls = 0;
    const refusing: Transport = async () => {
      calls++;
      return { status: 403, headers: {}, body: 'no' };
    };
    const denied = await sendOutbound(post, { ...strict, timeoutMs: 1000, retries: 3, resolve: resolver, transport: refusing, sleep: async () => undefined });
    expect(denied).toMatchObject({ outcome: 'failed', error: 'HTTP 403: no' });
    expect(calls).toBe(1);
  });
});

describe('signing', () => {
  it('signs a request without a body over the empty body, and not a hop to another origin', async () => {
    const seen: Array<{ url: string; signature: string | undefined }> = [];
    const transport: Transport = async (req) => {
      seen.push({ url: req.url, signature: req.headers['vigil-signature'] });
      return req.url.endsWith('/moved') ? { status: 200, headers: {}, body: '' } : { status: 307, headers: { location: '/moved' }, body: '' };
    };
    const other: Resolver = async (host) => (host === 'other.example.com' ? [{ address: '93.184.215.15', family: 4 }] : resolver(host));
    const result = await sendOutbound({ method: 'DELETE', url: 'https://edr.example.com/blocks/1', headers: {}, body: null }, { ...strict, secret: 'k', timeoutMs: 1000, retries: 0, resolve: other, transport });
    expect(result.outcome).toBe('succeeded');
    expect(verifySignature({ header: seen[0].signature, body: '', secret: 'k' })).toMatchObject({ valid: true });
    expect(seen[1].signature).toBeDefined(); // same origin
    const elsewhere: Transport = async (req) => {
      seen.push({ url: req.url, signature: req.headers['vigil-signature'] });
      return req.url.startsWith('https://other.') ? { status: 200, headers: {}, body: '' } : { status: 307, headers: { location: 'https://other.example.com/x' }, body: '' };
    };
    const cross = await sendOutbound({ method: 'DELETE', url: 'https://edr.example.com/blocks/2', headers: {}, body: null }, { ...strict, secret: 'k', timeoutMs: 1000, retries: 0, resolve: other, transport: elsewhere });
    expect(cross.outcome).toBe('succeeded');
    expect(seen.at(-1)).toEqual({ url: 'https://other.example.com/x', signature: undefined });
  });
});

describe('signature check (the receiver side)', () => {
  const at = new Date('2026-03-02T10:00:00Z');
  const body = '{"action":"isolate_host"}';

  it('accepts a fresh, correct signature', () => {
    expect(verifySignature({ header: signRequest('k', body, at), body, secret: 'k', now: at })).toEqual({ valid: true, timestamp: at.getTime() / 1000 });
  });

  it('refuses a replay outside the tolerance, a changed body, a wrong secret and a malformed header', () => {
    const header = signRequest('k', body, at);
    expect(verifySignature({ header, body, secret: 'k', now: new Date(at.getTime() + 301_000) })).toMatchObject({ valid: false, reason: expect.stringMatching(/tolerance/) });
    expect(verifySignature({ header, body: body.replace('isolate', 'unisolate'), secret: 'k', now: at })).toMatchObject({ valid: false });
    expect(verifySignature({ header, body, secret: 'other', now: at })).toMatchObject({ valid: false });
    expect(verifySignature({ header: 'v1=abc', body, secret: 'k', now: at })).toMatchObject({ valid: false, reason: 'malformed signature header' });
    expect(verifySignature({ header: undefined, body, secret: 'k', now: at })).toMatchObject({ valid: false });
  });
});
