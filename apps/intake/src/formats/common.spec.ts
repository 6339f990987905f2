import { AffectedAsset } from '@vigil/contracts';
import fc from 'fast-check';
import { z } from 'zod';
import { Labels, asset, epochTime, hashedKey, hostAsset, isoTime, lookup, oneLine, prefixedKey, stringify, truncate, uniqueAssets, validIp, zodErrors } from './common';

describe('truncate', () => {
  it('leaves short text alone and marks a cut with an ellipsis within the limit', () => {
    expect(truncate('abc', 3)).toBe('abc');
    expect(truncate('abcdef', 4)).toBe('abc…');
    expect(truncate('abcdef', 4)).toHaveLength(4);
  });

  it('never splits a surrogate pair', () => {
    const cut = truncate('ab😀cd', 4); // the emoji is two code units at index 2–3
    expect(cut).toBe('ab…');
    expect(() => encodeURIComponent(cut)).not.toThrow();
  });

  it('fits any text into any limit (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 300 }), fc.integer({ min: 1, max: 200 }), (s, max) => {
        const t = truncate(s, max);
        expect(t.length).toBeLessThanOrEqual(Math.max(max, 0));
        expect(() => encodeURIComponent(t)).not.toThrow();
      }),
    );
  });
});

describe('oneLine', () => {
  it('collapses white space and trims', () => {
    expect(oneLine('  Disk\n\tfull  on   web-01 ', 100)).toBe('Disk full on web-01');
    expect(oneLine('   ', 100)).toBeUndefined();
    expect(oneLine(42, 100)).toBe('42');
    expect(oneLine({}, 100)).toBeUndefined();
  });
});

describe('stringify', () => {
  it('writes any JSON value as text and never throws', () => {
    expect(stringify('x')).toBe('x');
    expect(stringify(0.75)).toBe('0.75');
    expect(stringify(null)).toBe('null');
    expect(stringify({ a: [1] })).toBe('{"a":[1]}');
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(stringify(cyclic)).toBe('');
    expect(stringify({ toJSON: () => { throw new Error('no'); } })).toBe('');
  });
});

describe('isoTime', () => {
  it.each([
    ['2015-07-17T08:42:58.315+0000', '2015-07-17T08:42:58.315Z'],
    ['2018-08-03T09:52:26.739266876+02:00', '2018-08-03T07:52:26.739Z'],
    ['2023-02-06T13:08:45.828Z', '2023-02-06T13:08:45.828Z'],
    ['2026-11-24T06:40:00+01', '2026-11-24T05:40:00.000Z'],
    ['2026-11-24 06:40', '2026-11-24T06:40:00.000Z'],
  ])('reads %s as %s', (input, expected) => {
    expect(isoTime(input)).toBe(expected);
  });

  it.each([['yesterday'], ['2026-02-30T00:00:00Z'], ['2026-11-24'], ['1969-12-31T23:59:59Z'], ['0000-01-01T00:00:00Z'], ['2026-11-24T25:00:00Z'], [1764000000], [null]])('rejects %p', (input) => {
    expect(isoTime(input)).toBeNull();
  });
});

describe('epochTime', () => {
  it('infers seconds, milliseconds, microseconds and nanoseconds from the magnitude', () => {
    expect(epochTime(1723905503)).toBe('2024-08-17T14:38:23.000Z');
    expect(epochTime(1723905503000)).toBe('2024-08-17T14:38:23.000Z');
    expect(epochTime(1722951737015847)).toBe('2024-08-06T13:42:17.015Z');
    expect(epochTime(1722951737015847000)).toBe('2024-08-06T13:42:17.015Z');
    expect(epochTime('1764000000')).toBe('2025-11-24T16:00:00.000Z');
  });

  it('rejects what is not a time', () => {
    for (const v of [-1, Number.NaN, Infinity, 'soon', {}, 1e300]) expect(epochTime(v)).toBeNull();
  });
});

describe('dedup keys', () => {
  it('prefixes a key that fits and hashes one that does not', () => {
    expect(prefixedKey('am:', '1a30ba71cca2921f')).toBe('am:1a30ba71cca2921f');
    const long = prefixedKey('ocsf:', 'x'.repeat(300));
    expect(long).toMatch(/^ocsf:sha256:[0-9a-f]{64}$/);
    expect(long.length).toBeLessThanOrEqual(255);
  });

  it('hashes parts so that moving text between them changes the key', () => {
    expect(hashedKey('splunk:', ['a', 'b c'])).not.toBe(hashedKey('splunk:', ['a b', 'c']));
    expect(hashedKey('splunk:', ['a', null])).toMatch(/^splunk:[0-9a-f]{40}$/);
  });
});

describe('Labels', () => {
  it('keeps at most 100 labels, the first ones, and counts the rest', () => {
    const labels = new Labels();
    for (let i = 0; i < 150; i++) labels.add(`k${i}`, i);
    const record = labels.toRecord()!;
    expect(Object.keys(record)).toHaveLength(100);
    expect(record.k0).toBe('0');
    expect(record.k150).toBeUndefined();
    expect(labels.dropped).toBe(50);
  });

  it('cuts keys to 200 and values to 2,000 characters, stringifies non-strings and skips __proto__', () => {
    const record = new Labels()
      .add('k'.repeat(300), 'v'.repeat(3000))
      .add('obj', { a: 1 })
      .add('list', ['a', 'b'])
      .add('bool', false)
      .add('none', null)
      .add('__proto__', 'x')
      .add('', 'empty key')
      .toRecord()!;
    const [longKey] = Object.keys(record).filter((k) => k.startsWith('kkk'));
    expect(longKey).toHaveLength(200);
    expect(record[longKey]).toHaveLength(2000);
    expect(record.obj).toBe('{"a":1}');
    expect(record.list).toBe('a, b');
    expect(record.bool).toBe('false');
    expect('none' in record).toBe(false);
    expect(Object.prototype.hasOwnProperty.call(record, '__proto__')).toBe(false);
    expect('' in record).toBe(false);
  });

  it('keeps the first value of a key', () => {
    expect(new Labels().add('a', 1).add('a', 2).toRecord()).toEqual({ a: '1' });
  });
});

describe('assets', () => {
  it('puts each part where the canonical asset wants it', () => {
    expect(asset({ hostname: 'WEB-01.Example.com.' })).toEqual({ hostname: 'web-01.example.com' });
    expect(asset({ hostname: '10.0.4.21' })).toEqual({ ip: '10.0.4.21' });
    expect(asset({ hostname: 'not a host name' })).toEqual({ name: 'not a host name' });
    expect(asset({ ip: 'FE80::1%eth0' })).toEqual({ ip: 'fe80::1' });
    expect(asset({ ip: '999.1.1.1' })).toBeUndefined();
    expect(asset({})).toBeUndefined();
    expect(asset({ id: 'x'.repeat(300) })!.id).toHaveLength(200);
  });

  it('reads hosts with ports, brackets and URLs', () => {
    expect(hostAsset('localhost:9090')).toEqual({ hostname: 'localhost' });
    expect(hostAsset('10.0.4.21:9100')).toEqual({ ip: '10.0.4.21' });
    expect(hostAsset('[2001:db8::1]:9100')).toEqual({ ip: '2001:db8::1' });
    expect(hostAsset('https://server.example.org')).toEqual({ hostname: 'server.example.org' });
    expect(hostAsset('2001:db8::1')).toEqual({ ip: '2001:db8::1' });
  });

  it('drops duplicates and keeps at most 100', () => {
    const many = Array.from({ length: 150 }, (_, i) => asset({ name: `a${i % 120}` }));
    const unique = uniqueAssets(many)!;
    expect(unique).toHaveLength(100);
    expect(uniqueAssets([undefined])).toBeUndefined();
  });

  it('only ever builds assets the canonical schema accepts (property)', () => {
    fc.assert(
      fc.property(fc.record({ id: fc.anything(), hostname: fc.anything(), ip: fc.anything(), name: fc.anything() }, { requiredKeys: [] }), (parts) => {
        const a = asset(parts);
        if (a) expect(AffectedAsset.safeParse(a).success).toBe(true);
      }),
    );
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.ipV4(), fc.ipV6(), fc.webUrl(), fc.domain()), (host) => {
        const a = hostAsset(host);
        if (a) expect(AffectedAsset.safeParse(a).success).toBe(true);
      }),
    );
  });

  it('validIp agrees with the canonical schema', () => {
    fc.assert(
      fc.property(fc.oneof(fc.ipV4(), fc.ipV6(), fc.ipV4Extended(), fc.string()), (ip) => {
        const v = validIp(ip);
        if (v) expect(AffectedAsset.safeParse({ ip: v }).success).toBe(true);
      }),
    );
  });
});

describe('lookup', () => {
  const flattened = { 'kibana.alert.rule.name': 'flat', host: { name: 'web-01' } };
  const nested = { kibana: { alert: { rule: { name: 'nested' } } } };
  const mixed = { 'kibana.alert': { 'rule.name': 'mixed' } };

  it('finds a dotted path written flattened, nested or mixed, with its pointer', () => {
    expect(lookup(flattened, 'kibana.alert.rule.name')).toEqual({ value: 'flat', pointer: '/kibana.alert.rule.name' });
    expect(lookup(nested, 'kibana.alert.rule.name')).toEqual({ value: 'nested', pointer: '/kibana/alert/rule/name' });
    expect(lookup(mixed, 'kibana.alert.rule.name')).toEqual({ value: 'mixed', pointer: '/kibana.alert/rule.name' });
    expect(lookup(flattened, 'host.name', '/0')).toEqual({ value: 'web-01', pointer: '/0/host/name' });
  });

  it('unwraps a one-element array (the fields API) unless asked not to', () => {
    expect(lookup({ 'host.name': ['web-01'] }, 'host.name')).toEqual({ value: 'web-01', pointer: '/host.name/0' });
    expect(lookup({ 'host.name': ['web-01'] }, 'host.name', '', true)?.value).toEqual(['web-01']);
  });

  it('escapes pointer segments', () => {
    expect(lookup({ 'a/b': { '~c': 1 } }, 'a/b.~c')?.pointer).toBe('/a~1b/~0c');
  });

  it('answers undefined for what is not there', () => {
    expect(lookup(flattened, 'kibana.alert.uuid')).toBeUndefined();
    expect(lookup('text', 'a')).toBeUndefined();
    expect(lookup({ a: null }, 'a.b')).toBeUndefined();
  });
});

describe('zodErrors', () => {
  const schema = z.strictObject({ name: z.string().min(1), count: z.int().max(5), kind: z.enum(['a', 'b']), at: z.iso.datetime({ offset: true }) });

  it('names each bad field with a pointer and a sentence', () => {
    const result = schema.safeParse({ name: '', count: 9, kind: 'c', at: 'now', extra: 1 }, { reportInput: true });
    expect(zodErrors(result.error!, '/0')).toEqual([
      { pointer: '/0/name', detail: 'must not be empty' },
      { pointer: '/0/count', detail: 'must be at most 5' },
      { pointer: '/0/kind', detail: 'must be one of: a, b' },
      { pointer: '/0/at', detail: 'must be an RFC 3339 date-time with offset, e.g. 2026-11-24T06:40:00Z' },
      { pointer: '/0/extra', detail: 'is not a known field' },
    ]);
  });

  it('tells a missing field from a wrong one, in both styles', () => {
    const result = schema.safeParse({ count: 'x', kind: 'a', at: '2026-11-24T06:40:00Z' }, { reportInput: true });
    expect(zodErrors(result.error!)).toEqual([
      { pointer: '/name', detail: 'is required' },
      { pointer: '/count', detail: 'must be a number' },
    ]);
    expect(zodErrors(result.error!, '', 'pagerduty')[0]).toEqual({ pointer: '/name', detail: 'is missing or blank' });
  });
});
