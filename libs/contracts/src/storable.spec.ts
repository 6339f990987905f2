import { z } from 'zod';
import { storableTimestamp, unstorableText } from './storable';
import { Timestamp } from './vocabulary';

describe('what PostgreSQL can store', () => {
  it.each([
    ['a year-0000 date', '0000-01-01T00:00:00Z'],
    ['year 0001 that is year 0000 in UTC', '0001-01-01T00:00:00+01:00'],
    ['a date past 9999 in UTC', '9999-12-31T23:59:59-10:00'],
    ['an offset beyond ±15:59', '2026-01-01T00:00:00+16:00'],
    ['an offset beyond −15:59', '2026-01-01T00:00:00-23:59'],
  ])('refuses %s as a Timestamp, naming the range', (_what, value) => {
    expect(storableTimestamp(value)).toBe(false);
    const parsed = Timestamp.safeParse(value);
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues[0].message).toMatch(/0001-01-01 and 9999-12-31/);
  });

  it.each(['0001-01-01T00:00:00Z', '9999-12-31T23:59:59.999Z', '2026-11-24T06:40:00+15:59', '2026-11-24T06:40:00.123456789-15:59', '1969-07-20T20:17:40Z'])(
    'takes %s',
    (value) => {
      expect(Timestamp.safeParse(value).success).toBe(true);
    },
  );

  it('names NUL and lone surrogates, and passes everything else', () => {
    expect(unstorableText('a\u0000b')).toMatch(/NUL/);
    expect(unstorableText('a\ud800b')).toMatch(/surrogate/);
    expect(unstorableText('\udc00')).toMatch(/surrogate/);
    expect(unstorableText('emoji 😀, accents é, CJK 漢字')).toBeUndefined();
    expect(unstorableText('')).toBeUndefined();
  });
});

describe('Timestamp inside an object', () => {
  it('reports its range issue beside the issues of other fields, and one issue for a malformed value', () => {
    const schema = z.object({ name: z.string().min(5), at: Timestamp, also: Timestamp });
    const issues = schema.safeParse({ name: 'x', at: '0000-01-01T00:00:00Z', also: 'yesterday' }).error!.issues;
    expect(issues.map((i) => i.path.join('.'))).toEqual(['name', 'at', 'also']);
  });
});
