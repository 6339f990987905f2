import { Observable } from '@vigil/contracts';
import fc from 'fast-check';
import { fixture } from './__fixtures__/harness';
import {
  ObservableCollector,
  extractObservables,
  normalizeDomain,
  normalizeEmail,
  normalizeHash,
  normalizeIp,
  normalizeObservable,
  normalizeUrl,
  observablesFromEcs,
  observablesFromOcsf,
  ocsfObservableType,
  refang,
  trimEnd,
  trimStart,
} from './observables';

const of = (type: Observable['type'], ...values: string[]) => values.map((value) => ({ type, value }));
const typed = (list: Observable[], type: Observable['type']) => list.filter((o) => o.type === type).map((o) => o.value);

describe('extractObservables from free text', () => {
  it('finds and normalises each kind', () => {
    const found = extractObservables(
      'Beacon from 203.0.113.9 and 2001:DB8:0:0::1 to HTTPS://Evil.Example.COM/Path?q=1, resolved evil.example.com. ' +
        'Mail from Mallory@Example.ORG; dropper sha256 9F86D081884C7D659A2FEAA0C55AD015A3BF4F1B2B0B822CD15D6C15B0F00A08, ' +
        'md5 d41d8cd98f00b204e9800998ecf8427e, sha1 da39a3ee5e6b4b0d3255bfef95601890afd80709.',
    );
    expect(typed(found, 'ip')).toEqual(['203.0.113.9', '2001:db8::1']);
    expect(typed(found, 'url')).toEqual(['https://evil.example.com/Path?q=1']);
    expect(typed(found, 'domain')).toEqual(['evil.example.com']);
    expect(typed(found, 'email')).toEqual(['Mallory@example.org']);
    expect(typed(found, 'hash')).toEqual([
      '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08',
      'd41d8cd98f00b204e9800998ecf8427e',
      'da39a3ee5e6b4b0d3255bfef95601890afd80709',
    ]);
  });

  it('re-fangs defanged indicators', () => {
    expect(extractObservables('C2 at hxxps://bad[.]example[.]net/x and 198[.]51[.]100[.]7, reply to ops[@]example[.]com')).toEqual([
      ...of('url', 'https://bad.example.net/x'),
      ...of('domain', 'bad.example.net'),
      ...of('ip', '198.51.100.7'),
      ...of('email', 'ops@example.com'),
    ]);
  });

  it('reads key=value logs, host:port and prefixed hashes', () => {
    const found = extractObservables('src=10.1.2.3 dst=10.9.8.7:443 Hashes: MD5=B8CB2DFCA7379908B0605331A759AF4C,SHA256=B0832DEC07A4CB6228B7B392D6ABAFB79E9BF7327605AE3E86E1E617DE7495A5');
    expect(typed(found, 'ip')).toEqual(['10.1.2.3', '10.9.8.7']);
    expect(typed(found, 'hash')).toEqual(['b8cb2dfca7379908b0605331a759af4c', 'b0832dec07a4cb6228b7b392d6abafb79e9bf7327605ae3e86e1e617de7495a5']);
  });

  it('takes a private-use name as a host, not a domain', () => {
    expect(extractObservables('logon on DC01.lab2019.local failed')).toEqual(of('hostname', 'dc01.lab2019.local'));
  });

  it.each([
    ['a version number with five parts', 'upgraded to 1.2.3.4.5 today'],
    ['a semantic version', 'agent v2.10.1 and 10.0.19045'],
    ['file names', 'ran payload.exe, loaded libc.so.6 and libfoo.so, read README.md, wrote notes.txt and run.sh, import x.py'],
    ['code identifiers', 'System.Management.Automation and PowerShell.Commands failed'],
    ['a Java package', 'org.apache.commons.text threw'],
    ['an IP with a leading zero', 'from 010.0.0.1'],
    ['an impossible address', 'from 999.1.1.1 and 1.2.3'],
    ['an abbreviation', 'e.g. the i.e. case'],
    ['times of day', 'at 14:38:23.000 and 2026-11-24T06:40:00Z'],
    ['an all-digit string of hash length', '12345678901234567890123456789012'],
    ['an all-letter string of hash length', 'abcdefabcdefabcdefabcdefabcdefab'],
    ['a user@host without a domain', 'ssh root@web01'],
    ['a dash and a placeholder', '- N/A'],
  ])('takes nothing from %s', (_, text) => {
    expect(extractObservables(text)).toEqual([]);
  });

  it('takes a four-part version number for an IPv4 address (a documented limit)', () => {
    expect(extractObservables('version 1.2.3.4')).toEqual(of('ip', '1.2.3.4'));
  });

  it('de-duplicates, including a name seen as host and as domain', () => {
    expect(extractObservables(['10.0.0.1', '10.0.0.1 again', { a: '10.0.0.1' }])).toEqual(of('ip', '10.0.0.1'));
    const c = new ObservableCollector();
    c.add('hostname', 'web-01.example.com');
    c.addText('see WEB-01.example.com');
    expect(c.toArray()).toEqual(of('hostname', 'web-01.example.com'));
  });
});

describe('extractObservables over structures', () => {
  it('walks objects and arrays and takes users from user fields only', () => {
    const found = extractObservables({
      actor: { user: { name: 'john_doe', uid: 'S-1-5-21-1' } },
      'user.name': 'denny',
      user: 'svc_backup',
      username: 'N/A',
      note: 'alice logged in',
      nested: [{ src_user: 'bob' }],
    });
    expect(typed(found, 'user')).toEqual(['john_doe', 'denny', 'svc_backup', 'bob']);
  });

  it('skips id-like keys and the tools own links', () => {
    const found = extractObservables({
      uuid: '10da92e0b4351ac7b6a3460814f87d13204b7dad67818290dadffdbfff7482b1',
      fingerprint: 'c6eadffa33fcdf37c6eadffa33fcdf37',
      generatorURL: 'http://prometheus.example.org:9090/graph',
      results_link: 'https://splunk.example.com/app/search',
      message: 'seen 10da92e0b4351ac7b6a3460814f87d13204b7dad67818290dadffdbfff7482b1',
    });
    expect(found).toEqual(of('hash', '10da92e0b4351ac7b6a3460814f87d13204b7dad67818290dadffdbfff7482b1'));
  });

  it('stops at 500 observables and at depth 12', () => {
    const many = Array.from({ length: 800 }, (_, i) => `10.0.${Math.floor(i / 250)}.${i % 250}`).join(' ');
    expect(extractObservables(many)).toHaveLength(500);
    let deep: unknown = '192.0.2.1';
    for (let i = 0; i < 50; i++) deep = { d: deep };
    expect(extractObservables(deep)).toEqual([]);
    expect(extractObservables(many, { limit: 3 })).toHaveLength(3);
  });

  it('reads at most 16 KiB of one string', () => {
    expect(extractObservables(`${' '.repeat(20_000)}192.0.2.1`)).toEqual([]);
  });

  it('never throws and only yields canonical observables, whatever it is given (property)', () => {
    fc.assert(
      fc.property(fc.anything({ withNullPrototype: true, withObjectString: true }), (value) => {
        const found = extractObservables(value);
        expect(found.length).toBeLessThanOrEqual(500);
        for (const o of found) expect(Observable.safeParse(o).success).toBe(true);
      }),
    );
  });

  it('finds generated indicators in generated text (property)', () => {
    fc.assert(
      fc.property(fc.ipV4(), fc.webUrl({ withQueryParameters: true }), fc.emailAddress(), fc.lorem(), (ip, url, email, words) => {
        const found = extractObservables(`${words} ${ip} ${words} ${url} ${words} <${email}>`);
        for (const o of found) expect(Observable.safeParse(o).success).toBe(true);
        expect(typed(found, 'ip')).toContain(normalizeIp(ip));
      }),
    );
  });
});

describe('normalisers', () => {
  it('ip', () => {
    expect(normalizeIp('2001:0DB8:85A3:0000:0000:8A2E:0370:7334')).toBe('2001:db8:85a3::8a2e:370:7334');
    expect(normalizeIp('fe80::1%eth0')).toBe('fe80::1');
    expect(normalizeIp('256.0.0.1')).toBeUndefined();
  });

  it('domain', () => {
    expect(normalizeDomain('Example.COM.')).toBe('example.com');
    expect(normalizeDomain('münchen.de')).toBe('xn--mnchen-3ya.de');
    expect(normalizeDomain('example.museum')).toBe('example.museum');
    expect(normalizeDomain('example.museum', true)).toBeUndefined();
    expect(normalizeDomain('localhost')).toBeUndefined();
    expect(normalizeDomain('-bad-.com')).toBeUndefined();
    expect(normalizeDomain('10.0.0.1')).toBeUndefined();
  });

  it('url', () => {
    expect(normalizeUrl('HTTP://WWW.Example.com/download/trouble.exe')).toBe('http://www.example.com/download/trouble.exe');
    expect(normalizeUrl('javascript:alert(1)')).toBeUndefined();
    expect(normalizeUrl('file:///etc/passwd')).toBeUndefined();
    expect(normalizeUrl(`https://example.com/${'a'.repeat(3000)}`)).toBeUndefined();
  });

  it('email', () => {
    expect(normalizeEmail('mailto:John.Doe@Example.COM')).toBe('John.Doe@example.com');
    expect(normalizeEmail('no-at-sign')).toBeUndefined();
    expect(normalizeEmail('a@b')).toBeUndefined();
  });

  it('hash', () => {
    expect(normalizeHash('MD5:3172AC7E2B55CBB81F04A6E65855A628')).toBe('3172ac7e2b55cbb81f04a6e65855a628');
    expect(normalizeHash('a'.repeat(128))).toBe('a'.repeat(128));
    expect(normalizeHash('a'.repeat(128), true)).toBeUndefined();
    expect(normalizeHash('xyz')).toBeUndefined();
  });

  it('refang', () => {
    expect(refang('hxxp://a[.]b(.)c{.}d [@] x[:// ]')).toBe('http://a.b.c.d @ x[:// ]');
  });

  it('every type yields canonical observables or nothing (property)', () => {
    const types = Observable.shape.type.options;
    fc.assert(
      fc.property(fc.constantFrom(...types), fc.anything(), (type, value) => {
        const o = normalizeObservable(type, value);
        if (o) expect(Observable.safeParse(o).success).toBe(true);
      }),
    );
  });
});

describe('observablesFromOcsf', () => {
  it('maps OCSF type_ids to Vigil types', () => {
    expect(ocsfObservableType(1)).toBe('hostname');
    expect(ocsfObservableType(2)).toBe('ip');
    expect(ocsfObservableType(4)).toBe('user');
    expect(ocsfObservableType(5)).toBe('email');
    expect(ocsfObservableType(6)).toBe('url');
    expect(ocsfObservableType(7)).toBe('file');
    expect(ocsfObservableType(8)).toBe('hash');
    expect(ocsfObservableType(3)).toBe('other');
    expect(ocsfObservableType(99)).toBe('other');
    expect(ocsfObservableType('2')).toBe('other');
  });

  it('takes the observables of the documented example, keeping a value that does not fit its type as other', () => {
    const finding = fixture('ocsf-detection-finding.json');
    const found = observablesFromOcsf([...finding.observables, { name: 'x', type_id: 2, value: 'not-an-ip' }]);
    expect(found).toEqual([
      ...of('hostname', 'r2-d2.example.com'),
      ...of('ip', '192.168.200.24', '2001:db8:85a3::8a2e:370:7334'),
      ...of('other', '18:36:F3:98:4F:9A'),
      ...of('user', 'john_doe'),
      ...of('email', 'john_doe@example.com'),
      ...of('url', 'http://www.example.com/download/trouble.exe'),
      ...of('file', 'trouble.exe'),
      ...of('hash', '3172ac7e2b55cbb81f04a6e65855a628'),
      ...of('other', 'trouble.exe', 'not-an-ip'),
    ]);
    expect(observablesFromOcsf('nope')).toEqual([]);
  });
});

describe('observablesFromEcs', () => {
  it('takes ECS fields of a flattened or nested document', () => {
    const nested = observablesFromEcs(fixture('elastic-alert-nested-closed.json'));
    expect(nested).toEqual(
      expect.arrayContaining([
        ...of('ip', '198.51.100.23', '10.0.4.21'),
        ...of('domain', 'exfil.example.net'),
        ...of('url', 'https://exfil.example.net/upload?id=7'),
        ...of('hash', 'd41d8cd98f00b204e9800998ecf8427e', '0f3f0d0a6c1b2e8f4a7d9c3b5e1f2a4c6d8e0b2a4c6e8f0a2b4c6d8e0f2a4c6e'),
        ...of('file', 'C:\\Windows\\Temp\\trouble.dmp'),
        ...of('user', 'svc_backup'),
        ...of('hostname', 'web-01'),
      ]),
    );
    const flat = observablesFromEcs({ 'source.ip': '192.0.2.1', 'file.hash.sha256': 'A'.repeat(64), 'related.hosts': ['Mail.Example.com', 'desktop-1'] });
    expect(flat).toEqual([...of('ip', '192.0.2.1'), ...of('domain', 'mail.example.com'), ...of('hostname', 'desktop-1'), ...of('hash', 'a'.repeat(64))]);
  });
});

describe('linear time on long input (fuzzed)', () => {
  // A regular expression such as /[.,;!?*]+$/ searched for anywhere backtracks over a run of those
  // characters once per position: 100,000 dots took 20 s. Each function must read a
  // 100,000-character token in milliseconds (5–100 ms seen, the most for tokens of 50,000 tiny
  // parts); the budget leaves room for a busy machine and is far below the seconds a quadratic
  // pass needs at this length.
  const BUDGET_MS = 500;
  const RUN = ['.', ':', ',', ';', '!', '?', '*', '%', '=', '&', '@', '/', '[', ']', '-', '0', 'a', '\n'];
  const longToken = fc
    .tuple(
      fc.string({ unit: fc.constantFrom(...RUN, 'x', '1', 'f'), maxLength: 12 }),
      fc.array(fc.constantFrom(...RUN), { minLength: 1, maxLength: 3 }),
      fc.integer({ min: 50_000, max: 100_000 }),
      fc.string({ unit: fc.constantFrom(...RUN, 'x', 'e', ' '), maxLength: 12 }),
    )
    .map(([head, unit, length, tail]) => head + unit.join('').repeat(Math.ceil(length / unit.length)) + tail);
  // Shapes that were quadratic, always tried first: a run of what a `[…]+$` or `%.*$` looks for,
  // not at the end (a line break stops `.`).
  const known = [
    'a' + '.'.repeat(100_000) + 'x',
    'a.' + ':'.repeat(100_000) + 'x',
    'a@b' + '.:'.repeat(50_000) + 'x',
    'http://a' + ':'.repeat(100_000) + 'x',
    '1.2.3.4' + '%'.repeat(100_000) + '\nx',
  ].map((token) => [token] as [string]);

  const readers: Array<[string, (s: string) => unknown]> = [
    ['refang', refang],
    ['normalizeIp', normalizeIp],
    ['normalizeDomain', (s) => normalizeDomain(s)],
    ['normalizeDomain strict', (s) => normalizeDomain(s, true)],
    ['normalizeUrl', normalizeUrl],
    ['normalizeEmail', normalizeEmail],
    ['normalizeHash', (s) => normalizeHash(s, true)],
    ...(['ip', 'domain', 'url', 'hash', 'email', 'user', 'hostname', 'file', 'other'] as const).map(
      (type): [string, (s: string) => unknown] => [`normalizeObservable ${type}`, (s) => normalizeObservable(type, s)],
    ),
    ['addToken', (s) => new ObservableCollector().addToken(s)],
    ['extractObservables', (s) => extractObservables({ text: s, list: [s] })],
  ];

  it.each(readers)('%s reads a 100,000-character token in milliseconds', (_name, read) => {
    read('warm-up.example.com:443'); // compile first, time the reading only
    fc.assert(
      fc.property(longToken, (token) => {
        const started = performance.now();
        read(token);
        const elapsed = performance.now() - started;
        if (elapsed > BUDGET_MS) throw new Error(`${elapsed.toFixed(0)} ms for ${token.length} characters`);
      }),
      { numRuns: 15, examples: known },
    );
  });

  it('still finds the indicator at the start of a long run of punctuation', () => {
    const collector = new ObservableCollector();
    collector.addToken('evil.example.com' + '.'.repeat(100_000));
    collector.addToken('203.0.113.7' + ':'.repeat(100_000));
    collector.addToken('mallory@example.org' + '.:'.repeat(50_000));
    expect(collector.toArray()).toEqual([...of('domain', 'evil.example.com'), ...of('ip', '203.0.113.7'), ...of('email', 'mallory@example.org')]);
    expect(normalizeIp('fe80::1%eth0' + '%'.repeat(100_000) + '\nx')).toBe('fe80::1');
  });

  it('trims like the regular expressions it replaces', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom('.', ',', ';', '!', '?', '*', ':', 'a', '1'), maxLength: 30 }), (s) => {
        expect(trimEnd(s, '.,;!?*')).toBe(s.replace(/[.,;!?*]+$/, ''));
        expect(trimStart(s, '*.,;!?')).toBe(s.replace(/^[*.,;!?]+/, ''));
        expect(trimEnd(s, ':.')).toBe(s.replace(/[:.]+$/, ''));
      }),
    );
  });
});
