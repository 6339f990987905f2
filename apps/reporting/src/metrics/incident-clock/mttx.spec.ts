import type { IncidentTimestamps } from '@vigil/contracts';
import fc from 'fast-check';
import { MTTX_DEFINITIONS, mttxSeconds, newlyKnown, type MttxName } from './mttx';

type Clock = Partial<Record<keyof IncidentTimestamps, string | null>>;

// 06:40:00 activity, detected 5½ min later, acknowledged 4½ min after that, contained 2 h and
// recovered exactly one day after detection.
const clock: Clock = {
  occurredAt: '2026-11-24T06:40:00Z',
  detectedAt: '2026-11-24T06:45:30Z',
  declaredAt: '2026-11-24T06:45:31Z',
  acknowledgedAt: '2026-11-24T06:50:00Z',
  containedAt: '2026-11-24T08:45:30Z',
  eradicatedAt: '2026-11-24T20:00:00Z',
  recoveredAt: '2026-11-25T06:45:30Z',
  closedAt: null,
};

describe(mttxSeconds.name, () => {
  it.each<[MttxName, number]>([
    ['mttd', 5 * 60 + 30], // detectedAt − occurredAt
    ['mtta', 4 * 60 + 30], // acknowledgedAt − detectedAt
    ['mttc', 2 * 3600], // containedAt − detectedAt
    ['mttr', 24 * 3600], // recoveredAt − detectedAt
  ])('computes %s as %s seconds', (name, seconds) => {
    expect(mttxSeconds(name, clock)).toBe(seconds);
  });

  it('measures MTTC and MTTR from detection, not from declaration or the previous phase', () => {
    const late = { ...clock, declaredAt: '2026-11-24T07:45:30Z', eradicatedAt: '2026-11-25T00:00:00Z' };
    expect(mttxSeconds('mttc', late)).toBe(2 * 3600);
    expect(mttxSeconds('mttr', late)).toBe(24 * 3600);
  });

  it('compares instants, whatever offsets the timestamps are written in', () => {
    expect(mttxSeconds('mttd', { occurredAt: '2026-11-24T06:40:00Z', detectedAt: '2026-11-24T07:45:30+01:00' })).toBe(330);
    expect(mttxSeconds('mtta', { detectedAt: '2026-11-24T01:45:30-05:00', acknowledgedAt: '2026-11-24T06:50:00Z' })).toBe(270);
  });

  it('keeps fractions of a second', () => {
    expect(mttxSeconds('mtta', { detectedAt: '2026-11-24T06:45:30.000Z', acknowledgedAt: '2026-11-24T06:45:30.250Z' })).toBe(0.25);
  });

  it.each<[MttxName, keyof IncidentTimestamps]>([
    ['mttd', 'occurredAt'],
    ['mttd', 'detectedAt'],
    ['mtta', 'acknowledgedAt'],
    ['mtta', 'detectedAt'],
    ['mttc', 'containedAt'],
    ['mttc', 'detectedAt'],
    ['mttr', 'recoveredAt'],
    ['mttr', 'detectedAt'],
  ])('is null for %s while %s is unknown', (name, field) => {
    expect(mttxSeconds(name, { ...clock, [field]: null })).toBeNull();
    expect(mttxSeconds(name, { ...clock, [field]: undefined })).toBeNull();
  });

  it('is unchanged when the whole clock shifts (property)', () => {
    const instant = fc.integer({ min: Date.parse('2000-01-01'), max: Date.parse('2100-01-01') });
    fc.assert(
      fc.property(fc.array(instant, { minLength: 5, maxLength: 5 }), fc.integer({ min: -1e11, max: 1e11 }), (times, shift) => {
        const [occurredAt, detectedAt, acknowledgedAt, containedAt, recoveredAt] = times;
        const at = (ms: number) => new Date(ms).toISOString();
        const original = { occurredAt: at(occurredAt), detectedAt: at(detectedAt), acknowledgedAt: at(acknowledgedAt), containedAt: at(containedAt), recoveredAt: at(recoveredAt) };
        const shifted = Object.fromEntries(Object.entries({ occurredAt, detectedAt, acknowledgedAt, containedAt, recoveredAt }).map(([k, ms]) => [k, at(ms + shift)]));
        for (const name of Object.keys(MTTX_DEFINITIONS) as MttxName[]) {
          expect(mttxSeconds(name, shifted)).toBeCloseTo(mttxSeconds(name, original)!, 6);
        }
        expect(mttxSeconds('mttd', original)).toBeCloseTo((detectedAt - occurredAt) / 1000, 6);
      }),
    );
  });
});

describe('MTTX_DEFINITIONS', () => {
  it.each<[MttxName, keyof IncidentTimestamps, keyof IncidentTimestamps]>([
    ['mttd', 'occurredAt', 'detectedAt'],
    ['mtta', 'detectedAt', 'acknowledgedAt'],
    ['mttc', 'detectedAt', 'containedAt'],
    ['mttr', 'detectedAt', 'recoveredAt'],
  ])('defines %s as %s → %s, and says so', (name, from, to) => {
    expect(MTTX_DEFINITIONS[name]).toMatchObject({ from, to, description: `${to} − ${from}` });
  });

  it('gives each figure its own metric', () => {
    const metrics = Object.values(MTTX_DEFINITIONS).map((d) => d.metric);
    expect(new Set(metrics).size).toBe(4);
  });
});

describe(newlyKnown.name, () => {
  const opened: Clock = { ...clock, acknowledgedAt: null, containedAt: null, eradicatedAt: null, recoveredAt: null };

  it('reports every known figure of an incident seen for the first time', () => {
    expect(newlyKnown(undefined, clock)).toEqual([
      { name: 'mttd', seconds: 330 },
      { name: 'mtta', seconds: 270 },
      { name: 'mttc', seconds: 7200 },
      { name: 'mttr', seconds: 86400 },
    ]);
  });

  it('reports only MTTD when a new incident has nothing else yet', () => {
    expect(newlyKnown(undefined, opened)).toEqual([{ name: 'mttd', seconds: 330 }]);
  });

  it('reports the figure that went from unknown to known, and only that one', () => {
    const acknowledged = { ...opened, acknowledgedAt: clock.acknowledgedAt };
    expect(newlyKnown(opened, acknowledged)).toEqual([{ name: 'mtta', seconds: 270 }]);
  });

  it('reports two figures that became known in one change', () => {
    const before = { ...opened, acknowledgedAt: clock.acknowledgedAt };
    const after = { ...before, containedAt: clock.containedAt, recoveredAt: clock.recoveredAt };
    expect(newlyKnown(before, after)).toEqual([
      { name: 'mttc', seconds: 7200 },
      { name: 'mttr', seconds: 86400 },
    ]);
  });

  it('reports nothing when nothing new became known', () => {
    expect(newlyKnown(clock, clock)).toEqual([]);
    expect(newlyKnown(opened, { ...opened, eradicatedAt: '2026-11-24T20:00:00Z' })).toEqual([]);
  });

  it('does not report a known figure again when its timestamp is corrected', () => {
    expect(newlyKnown(clock, { ...clock, acknowledgedAt: '2026-11-24T06:49:00Z' })).toEqual([]);
  });

  it('reports nothing for a figure that became unknown', () => {
    expect(newlyKnown(clock, { ...clock, containedAt: null })).toEqual([]);
  });
});
