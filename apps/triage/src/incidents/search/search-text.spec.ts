import { alertSearchTerms, incidentSearchLexemes, MAX_INCIDENT_LEXEMES, MAX_TERM_CHARACTERS, MAX_TOKEN_CHARACTERS, searchLexemes, searchQuery, termLexemes } from './search-text';

describe(searchLexemes.name, () => {
  it('finds the words of a title, and hostnames, addresses and ids whole', () => {
    expect(searchLexemes('SMB admin share access from 10.9.9.9 to db-01')).toEqual([
      'smb', 'admin', 'share', 'access', 'from', '10', '9', '10.9.9.9', 'to', 'db', '01', 'db-01',
    ]);
  });

  it.each<[string, string, string[]]>([
    ['a hostname: whole, its words, and its first label when that has a hyphen', 'DB-01.corp.example.', ['db-01.corp.example', 'db', '01', 'corp', 'example', 'db-01']],
    ['a URL: whole, and its host', 'https://evil-x.example/p?id=7', ['https://evil-x.example/p?id=7', 'evil-x.example', 'evil-x']],
    ['an e-mail address: whole, and its domain', 'user@corp.example', ['user@corp.example', 'corp.example']],
    ['an address and port: both, and the address', '192.168.1.1:445', ['192.168.1.1:445', '192.168.1.1']],
    ['an IPv6 address, whole', 'fe80::1', ['fe80::1']],
    ['an id with underscores', 'WIN_AB12', ['win_ab12', 'win', 'ab12']],
    ['a word in brackets or quotes, without them', '("quoted")', ['quoted']],
    ['letters of any script, lower case', 'Ärger «Zürich» 漢字テスト', ['ärger', 'zürich', '漢字テスト']],
  ])('%s', (_, text, expected) => {
    expect(searchLexemes(text)).toEqual(expect.arrayContaining(expected));
  });

  it('leaves out the words inside tokens when asked (observables and asset names)', () => {
    expect(searchLexemes('db-01.corp.example 10.9.9.9 admin', { parts: false })).toEqual(['db-01.corp.example', 'db-01', '10.9.9.9', 'admin']);
  });

  it('has nothing to find in punctuation alone', () => {
    expect(searchLexemes(' -- ... // ')).toEqual([]);
  });

  it(`indexes tokens of up to ${MAX_TOKEN_CHARACTERS} characters whole, and keeps the start of longer words`, () => {
    const long = 'a'.repeat(MAX_TOKEN_CHARACTERS + 50);
    expect(searchLexemes(long)).toEqual(['a'.repeat(MAX_TOKEN_CHARACTERS)]);
    const url = `https://x.example/${'b'.repeat(MAX_TOKEN_CHARACTERS)}`;
    expect(searchLexemes(url)).not.toContain(url);
    expect(searchLexemes(url)).toContain('x.example');
  });

  it('takes linear time on long runs of punctuation and joined parts', () => {
    const started = performance.now();
    searchLexemes(`${'-.'.repeat(50_000)}x${'.-'.repeat(50_000)} ${'a.'.repeat(50_000)}`);
    expect(performance.now() - started).toBeLessThan(2000);
  });
});

describe(searchQuery.name, () => {
  it('asks for every term: a word by its start, a token with punctuation inside whole', () => {
    expect(searchQuery('db-01 10.9.9.9 Adm')).toBe("'db-01' & '10.9.9.9' & 'adm':*");
  });

  it('drops punctuation around a term (a hostname with its trailing dot, a quoted one)', () => {
    expect(searchQuery('"fs-07.corp.example." (smb)')).toBe("'fs-07.corp.example' & 'smb':*");
  });

  it('quotes what the tsquery syntax would read as operators', () => {
    expect(searchQuery("it's a\\b x|y !z")).toBe("'it''s' & 'a\\\\b' & 'x|y' & 'z':*");
  });

  it('has nothing to ask without a letter or digit', () => {
    expect(searchQuery(' -- ')).toBeUndefined();
  });

  it('finds what the incident was indexed by (same cutting on both sides)', () => {
    const doc = new Set(searchLexemes('SMB admin share access from 10.9.9.9 to DB-01.corp.example'));
    for (const q of ['db-01', '10.9.9.9', 'DB-01.corp.example.']) expect([q, doc.has(searchQuery(q)!.slice(1, -1))]).toEqual([q, true]);
    expect(doc.has(searchQuery('10.9.9.90')!.slice(1, -1))).toBe(false);
  });
});

describe(incidentSearchLexemes.name, () => {
  it('puts the title and dedup key first, then the terms while there is room', () => {
    const terms = Array.from({ length: MAX_INCIDENT_LEXEMES }, (_, i) => `10.0.${i >> 8}.${i & 255}`);
    const lexemes = incidentSearchLexemes('Beaconing from wks-0042', 'edr-4711', terms);
    expect(lexemes.slice(0, 8)).toEqual(['beaconing', 'from', 'wks', '0042', 'wks-0042', 'edr', '4711', 'edr-4711']);
    expect(lexemes).toHaveLength(MAX_INCIDENT_LEXEMES);
  });
});

describe(alertSearchTerms.name, () => {
  it('takes the observables and the assets of an alert and the registered assets it names, once each and bounded', () => {
    const long = 'c'.repeat(MAX_TERM_CHARACTERS + 10);
    expect(
      alertSearchTerms(
        { assets: [{ hostname: 'fs-07', ip: '10.0.8.7', id: 'CMDB-1' }, { hostname: 'fs-07' }], observables: [{ value: ' 203.0.113.9 ' }, { value: long }] },
        [{ identifier: 'CMDB-1', hostnames: ['fs-07.corp.example'], ips: ['10.0.8.7'] }],
      ),
    ).toEqual(['fs-07', '10.0.8.7', 'CMDB-1', 'fs-07.corp.example', '203.0.113.9', 'c'.repeat(MAX_TERM_CHARACTERS)]);
  });

  it('makes the lexemes they add: tokens whole (and their hosts), plain words, not the words inside tokens', () => {
    expect(termLexemes(['fs-07.corp.example', '10.0.8.7', 'https://evil.example/a', 'jdoe'])).toEqual([
      'fs-07.corp.example',
      'fs-07',
      '10.0.8.7',
      'https://evil.example/a',
      'evil.example',
      'jdoe',
    ]);
  });
});
