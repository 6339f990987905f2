import { normaliseAll, normaliseHostname, normaliseIp } from './normalise';

describe(normaliseHostname.name, () => {
  it.each([
    ['web-01', 'web-01'],
    ['WEB-01.Prod.Example.COM', 'web-01.prod.example.com'],
    ['  web-01.example.com  ', 'web-01.example.com'],
    ['web-01.example.com.', 'web-01.example.com'],
    [' DB_02. ', 'db_02'],
  ])('spells %p as %p', (raw, expected) => {
    expect(normaliseHostname(raw)).toBe(expected);
  });

  it.each(['', '   ', '.'])('gives null for %p, which names no host', (raw) => {
    expect(normaliseHostname(raw)).toBeNull();
  });

  it('removes only the root dot, not a dot inside the name', () => {
    expect(normaliseHostname('a.b.')).toBe('a.b');
  });
});

describe(normaliseIp.name, () => {
  it.each([
    ['10.0.4.21', '10.0.4.21'],
    [' 192.0.2.1 ', '192.0.2.1'],
    ['2001:DB8:0:0:0:0:0:1', '2001:db8::1'],
    ['2001:db8:0000:0000:0001:0000:0000:0001', '2001:db8::1:0:0:1'],
    ['FE80:0:0:0:0:0:0:1', 'fe80::1'],
    ['::', '::'],
    ['0:0:0:0:0:0:0:1', '::1'],
    ['2001:db8:1:2:3:4:5:6', '2001:db8:1:2:3:4:5:6'],
  ])('spells %p as %p', (raw, expected) => {
    expect(normaliseIp(raw)).toBe(expected);
  });

  it.each([
    ['::ffff:10.0.0.1', '10.0.0.1'],
    ['::FFFF:c0a8:0001', '192.168.0.1'],
  ])('reads the IPv4-mapped address %p as %p', (raw, expected) => {
    expect(normaliseIp(raw)).toBe(expected);
  });

  it.each(['', 'web-01', '10.0.0.256', '010.0.0.1', '10.0.0', '2001:db8::1::2', 'fe80::1%eth0', '[2001:db8::1]'])('gives null for %p', (raw) => {
    expect(normaliseIp(raw)).toBeNull();
  });

  it('gives one spelling for every way of writing the same IPv6 address', () => {
    const spellings = ['2001:db8::a', '2001:DB8::A', '2001:0db8:0000:0000:0000:0000:0000:000a', '2001:db8:0:0::a'];
    expect(new Set(spellings.map(normaliseIp))).toEqual(new Set(['2001:db8::a']));
  });
});

describe(normaliseAll.name, () => {
  it('normalises each value and keeps each result once, in first-seen order', () => {
    expect(normaliseAll(['Web-02', 'web-01', 'WEB-02.', 'web-01'], normaliseHostname)).toEqual(['web-02', 'web-01']);
  });

  it('drops values that do not normalise', () => {
    expect(normaliseAll(['10.0.0.1', 'not-an-ip', '2001:DB8::1'], normaliseIp)).toEqual(['10.0.0.1', '2001:db8::1']);
  });

  it('gives an empty list for no values', () => {
    expect(normaliseAll([], normaliseIp)).toEqual([]);
  });
});
