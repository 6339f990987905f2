import { bucketsOf, bucketStart, defaultBucket, nextBucket, ratio } from './kpi-figures';

const at = (s: string) => new Date(s);

describe(bucketStart.name, () => {
  it('starts a day at UTC midnight', () => {
    expect(bucketStart(at('2026-11-24T23:59:59Z'), 'day').toISOString()).toBe('2026-11-24T00:00:00.000Z');
  });

  it('starts a week on its Monday (ISO 8601), Sundays included', () => {
    expect(bucketStart(at('2026-11-24T10:00:00Z'), 'week').toISOString()).toBe('2026-11-23T00:00:00.000Z'); // a Tuesday
    expect(bucketStart(at('2026-11-29T10:00:00Z'), 'week').toISOString()).toBe('2026-11-23T00:00:00.000Z'); // a Sunday
    expect(bucketStart(at('2026-11-23T00:00:00Z'), 'week').toISOString()).toBe('2026-11-23T00:00:00.000Z'); // the Monday itself
  });

  it('starts a month on its first day', () => {
    expect(bucketStart(at('2026-02-28T12:00:00Z'), 'month').toISOString()).toBe('2026-02-01T00:00:00.000Z');
  });
});

describe(nextBucket.name, () => {
  it('moves a month across year ends and short months', () => {
    expect(nextBucket(at('2026-12-01T00:00:00Z'), 'month').toISOString()).toBe('2027-01-01T00:00:00.000Z');
    expect(nextBucket(at('2026-01-01T00:00:00Z'), 'month').toISOString()).toBe('2026-02-01T00:00:00.000Z');
  });
});

describe(bucketsOf.name, () => {
  it('lists every bucket overlapping the window, the first one starting before it', () => {
    expect(bucketsOf(at('2026-11-25T12:00:00Z'), at('2026-12-07T00:00:00Z'), 'week').map((d) => d.toISOString().slice(0, 10))).toEqual(['2026-11-23', '2026-11-30']);
    expect(bucketsOf(at('2026-11-25T12:00:00Z'), at('2026-12-07T00:00:01Z'), 'week')).toHaveLength(3);
  });

  it('is empty for an empty window and bounded for a huge one', () => {
    expect(bucketsOf(at('2026-11-25T00:00:00Z'), at('2026-11-25T00:00:00Z'), 'day')).toEqual([]);
    expect(bucketsOf(at('1900-01-01T00:00:00Z'), at('2100-01-01T00:00:00Z'), 'day', 50)).toHaveLength(50);
  });
});

describe(defaultBucket.name, () => {
  it.each([
    [7, 'day'],
    [62, 'day'],
    [90, 'week'],
    [366, 'week'],
    [730, 'month'],
  ])('uses %s-day windows in %s buckets', (days, bucket) => {
    expect(defaultBucket(at('2026-01-01T00:00:00Z'), new Date(Date.parse('2026-01-01T00:00:00Z') + days * 86_400_000))).toBe(bucket);
  });
});

describe(ratio.name, () => {
  it('divides, and is null with nothing to divide by', () => {
    expect(ratio(1, 4)).toBe(0.25);
    expect(ratio(0, 0)).toBeNull();
  });
});
