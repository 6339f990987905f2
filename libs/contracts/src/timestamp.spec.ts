import fc from 'fast-check';
import { z } from 'zod';
import { storableTimestamp } from './storable';
import { STORABLE_TIMESTAMP_PATTERN, Timestamp } from './vocabulary';

const MESSAGE = 'must be between 0001-01-01 and 9999-12-31 in UTC, with an offset of at most ±15:59';

describe('Timestamp', () => {
  it('takes an RFC 3339 date-time with an offset', () => {
    for (const t of ['2026-11-24T06:40:00Z', '2026-11-24T08:15:00.123+01:00', '0001-01-01T00:00:00Z', '0001-01-01T00:00:00-15:59', '9999-12-30T23:59:59-15:59', '9999-12-31T23:59:59+15:59']) {
      expect([t, Timestamp.safeParse(t).success]).toEqual([t, true]);
    }
  });

  it('refuses, with one reason, what PostgreSQL cannot store: year 0000, past 9999 in UTC, offsets beyond ±15:59', () => {
    for (const t of ['0000-01-01T00:00:00Z', '2026-01-01T00:00:00+16:00', '0150-10-29T18:39:48.4364-21:20', '9999-12-31T23:59:59-15:59', '0001-01-01T00:00:00+00:01']) {
      const result = Timestamp.safeParse(t);
      expect([t, result.success, result.error?.issues.map((i) => i.message)]).toEqual([t, false, [MESSAGE]]);
    }
    expect(Timestamp.safeParse('yesterday').error?.issues).toHaveLength(1);
  });

  it('documents its rule as the pattern it checks', () => {
    expect(z.toJSONSchema(Timestamp)).toMatchObject({ format: 'date-time', allOf: [{ pattern: STORABLE_TIMESTAMP_PATTERN.source }] });
  });

  // The API documents carry the pattern, the services check Timestamp: the two must agree on every
  // well-formed date-time, and what they take must be storable.
  it('takes exactly the well-formed date-times its pattern matches, and only storable ones', () => {
    const pad = (n: number, width = 2) => String(n).padStart(width, '0');
    const dateTime = fc
      .record({
        year: fc.oneof(fc.integer({ min: 0, max: 9999 }), fc.constantFrom(0, 1, 9999)),
        month: fc.integer({ min: 1, max: 12 }),
        day: fc.integer({ min: 1, max: 28 }),
        edgeDay: fc.boolean(),
        hour: fc.integer({ min: 0, max: 23 }),
        minute: fc.integer({ min: 0, max: 59 }),
        fraction: fc.option(fc.integer({ min: 0, max: 999_999_999 }), { nil: undefined }),
        offset: fc.option(fc.record({ sign: fc.constantFrom('+', '-'), hours: fc.integer({ min: 0, max: 23 }), minutes: fc.integer({ min: 0, max: 59 }) }), { nil: undefined }),
      })
      .map(({ year, month, day, edgeDay, hour, minute, fraction, offset }) => {
        // The edge days (0001-01-01, 9999-12-31) often, as that is where the rule is subtle.
        const [m, d] = edgeDay && (year === 1 || year === 9999) ? (year === 1 ? [1, 1] : [12, 31]) : [month, day];
        const zone = offset ? `${offset.sign}${pad(offset.hours)}:${pad(offset.minutes)}` : 'Z';
        return `${pad(year, 4)}-${pad(m)}-${pad(d)}T${pad(hour)}:${pad(minute)}:00${fraction === undefined ? '' : `.${fraction}`}${zone}`;
      });
    fc.assert(
      fc.property(dateTime, (t) => {
        const taken = Timestamp.safeParse(t).success;
        expect([t, taken]).toEqual([t, STORABLE_TIMESTAMP_PATTERN.test(t)]);
        if (taken) expect([t, storableTimestamp(t)]).toEqual([t, true]);
      }),
      { numRuns: 5000 },
    );
  });
});
