import { Timestamp } from './vocabulary';

describe('Timestamp', () => {
  it('takes an RFC 3339 date-time with an offset', () => {
    for (const t of ['2026-11-24T06:40:00Z', '2026-11-24T08:15:00.123+01:00', '0001-01-01T00:00:00Z', '9999-12-31T23:59:59-15:59']) {
      expect([t, Timestamp.safeParse(t).success]).toEqual([t, true]);
    }
  });

  it('refuses, with one reason, what PostgreSQL cannot store: year 0000 and offsets beyond ±15:59', () => {
    for (const t of ['0000-01-01T00:00:00Z', '2026-01-01T00:00:00+16:00', '0150-10-29T18:39:48.4364-21:20']) {
      const result = Timestamp.safeParse(t);
      expect([t, result.success, result.error?.issues.map((i) => i.message)]).toEqual([t, false, ['must be a date-time from year 0001 to 9999 with a UTC offset within ±15:59']]);
    }
    expect(Timestamp.safeParse('yesterday').error?.issues).toHaveLength(1);
  });
});
