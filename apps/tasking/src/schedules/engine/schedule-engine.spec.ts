import type { Rotation, ScheduleDefinition } from '@vigil/contracts';
import fc from 'fast-check';
import { DateTime } from 'luxon';
import { localToInstant, parseLocalDateTime } from './local-time';
import { rotationProblem, RotationPlan } from './rotation';
import { diffShifts, ScheduleEngine, type OverrideInput, type RevisionInput } from './schedule-engine';

const A = '00000000-0000-4000-8000-00000000000a';
const B = '00000000-0000-4000-8000-00000000000b';
const C = '00000000-0000-4000-8000-00000000000c';
const D = '00000000-0000-4000-8000-00000000000d';

const at = (iso: string) => Date.parse(iso);
const iso = (ms: number) => new Date(ms).toISOString();
const local = (ms: number, zone: string) => DateTime.fromMillis(ms, { zone }).toFormat("yyyy-LL-dd'T'HH:mm");

function rotation(partial: Partial<Rotation>): Rotation {
  return { start: '2026-03-23T09:00', timeZone: 'UTC', handoff: 'FREQ=DAILY', participants: [A, B], dst: 'wall_clock', ...partial };
}
function oneLayer(r: Partial<Rotation>, extra: Partial<ScheduleDefinition['layers'][number]> = {}): ScheduleDefinition {
  return { layers: [{ name: 'primary', precedence: 1, rotation: rotation(r), ...extra }] };
}
const revision = (definition: ScheduleDefinition, effectiveFrom = at('2020-01-01T00:00:00Z'), n = 1): RevisionInput => ({ revision: n, effectiveFrom, definition });

describe('local time (RFC 5545 3.3.5)', () => {
  it.each([
    ['Europe/Berlin', '2026-03-29T02:30', '2026-03-29T01:30:00.000Z', 'a time in the spring-forward gap is read with the offset before it (03:30 CEST)'],
    ['Europe/Berlin', '2026-10-25T02:30', '2026-10-25T00:30:00.000Z', 'a time that occurs twice is its first occurrence (CEST)'],
    ['America/New_York', '2026-03-08T02:30', '2026-03-08T07:30:00.000Z', 'the gap in New York reads as 03:30 EDT'],
    ['America/New_York', '2026-11-01T01:30', '2026-11-01T05:30:00.000Z', 'the repeated hour in New York is its EDT occurrence'],
    ['Europe/Berlin', '2026-07-01T09:00', '2026-07-01T07:00:00.000Z', 'an ordinary summer time'],
  ])('%s %s is %s: %s', (zone, wall, expected) => {
    expect(iso(localToInstant(parseLocalDateTime(wall), zone))).toBe(expected);
  });
});

describe('rotations across daylight-saving changes', () => {
  const cases = [
    // zone, spring-forward week, fall-back week
    ['Europe/Berlin', '2026-03-26T09:00', '2026-10-22T09:00'],
    ['America/New_York', '2026-03-05T09:00', '2026-10-29T09:00'],
  ] as const;

  describe.each(cases)('%s', (zone, springStart, fallStart) => {
    it('keeps the local hand-off time by default (wall_clock): the turn over the change is an hour shorter, then longer', () => {
      for (const [start, change] of [[springStart, -1], [fallStart, +1]] as const) {
        const plan = new RotationPlan(rotation({ start, timeZone: zone, handoff: 'FREQ=DAILY' }));
        const from = localToInstant(parseLocalDateTime(start), zone);
        const turns = plan.turnsBetween(from, from + 8 * 86_400_000).filter((t) => Number.isFinite(t.end));
        expect(turns.map((t) => local(t.start, zone).slice(11))).toEqual(Array(turns.length).fill('09:00'));
        const hours = turns.map((t) => (t.end - t.start) / 3_600_000);
        expect(hours.filter((h) => h !== 24)).toEqual([24 + change]);
        expect(turns.map((t) => t.people[0])).toEqual(turns.map((_, i) => (i % 2 === 0 ? A : B)));
      }
    });

    it('keeps the length of turns when asked (elapsed): the local hand-off time moves by the change', () => {
      for (const [start, moved] of [[springStart, '10:00'], [fallStart, '08:00']] as const) {
        const plan = new RotationPlan(rotation({ start, timeZone: zone, handoff: 'FREQ=DAILY', dst: 'elapsed' }));
        const from = localToInstant(parseLocalDateTime(start), zone);
        const turns = plan.turnsBetween(from, from + 8 * 86_400_000).filter((t) => Number.isFinite(t.end));
        expect(new Set(turns.map((t) => (t.end - t.start) / 3_600_000))).toEqual(new Set([24]));
        expect(local(turns[0].start, zone).slice(11)).toBe('09:00');
        expect(local(turns[turns.length - 1].start, zone).slice(11)).toBe(moved);
      }
    });

    it('keeps business-hours coverage windows on local time across the change', () => {
      const engine = new ScheduleEngine([
        revision({ layers: [{ name: 'day', precedence: 1, rotation: rotation({ start: springStart, timeZone: zone, handoff: 'FREQ=WEEKLY', coverage: [{ start: '09:00', durationMinutes: 8 * 60 }] }) }] }),
      ]);
      const from = localToInstant(parseLocalDateTime(springStart), zone);
      const shifts = engine.shifts(from, from + 6.5 * 86_400_000);
      expect(shifts.map((s) => `${local(s.start, zone).slice(11)}-${local(s.end, zone).slice(11)}`)).toEqual(Array(7).fill('09:00-17:00'));
    });

    it('hands off at night across the change as RFC 5545 reads local time', () => {
      // A 02:30 hand-off: on the spring-forward night 02:30 does not exist; on the fall-back night it occurs twice.
      const plan = new RotationPlan(rotation({ start: `${springStart.slice(0, 10)}T02:30`, timeZone: zone, handoff: 'FREQ=DAILY' }));
      const from = localToInstant(parseLocalDateTime(`${springStart.slice(0, 10)}T02:30`), zone);
      const starts = plan.turnsBetween(from, from + 6 * 86_400_000).map((t) => local(t.start, zone).slice(11));
      expect(starts).toContain('03:30');
      expect(starts.filter((s) => s !== '02:30')).toEqual(['03:30']);
    });
  });

  it('refuses rules that would be misread: COUNT/UNTIL, and weekdays in an elapsed rotation', () => {
    expect(rotationProblem({ handoff: 'FREQ=DAILY;COUNT=3', dst: 'wall_clock' })).toMatch(/COUNT and UNTIL/);
    expect(rotationProblem({ handoff: 'FREQ=WEEKLY;BYDAY=MO', dst: 'elapsed' })).toMatch(/BYDAY is for wall_clock/);
    expect(rotationProblem({ handoff: 'FREQ=MONTHLY', dst: 'elapsed' })).toMatch(/hourly, daily or weekly/);
    expect(rotationProblem({ handoff: 'FREQ=WEEKLY;BYDAY=MO', dst: 'wall_clock' })).toBeNull();
  });
});

describe(ScheduleEngine.name, () => {
  it('gives the higher-precedence layer where two have someone on call, and the lower one elsewhere', () => {
    const definition: ScheduleDefinition = {
      layers: [
        { name: 'week', precedence: 1, rotation: rotation({ handoff: 'FREQ=WEEKLY', participants: [A] }) },
        { name: 'nights', precedence: 2, rotation: rotation({ start: '2026-03-23T18:00', handoff: 'FREQ=DAILY', participants: [B], coverage: [{ start: '18:00', durationMinutes: 15 * 60 }] }) },
      ],
    };
    const engine = new ScheduleEngine([revision(definition)]);
    expect(engine.onCallAt(at('2026-03-24T12:00:00Z')).people).toEqual([A]);
    expect(engine.onCallAt(at('2026-03-24T23:00:00Z')).people).toEqual([B]);
    expect(engine.onCallAt(at('2026-03-25T08:59:00Z')).people).toEqual([B]);
    expect(engine.onCallAt(at('2026-03-25T09:00:00Z')).people).toEqual([A]);
    const coverage = engine.coverage(at('2026-03-24T09:00:00Z'), at('2026-03-25T09:00:00Z'));
    expect(coverage.gaps).toEqual([]);
    expect(coverage.overlaps).toEqual([{ start: at('2026-03-24T18:00:00Z'), end: at('2026-03-25T09:00:00Z'), sources: expect.any(Array) }]);
  });

  it('lets an override beat every layer, the later-made override winning where two overlap', () => {
    const overrides: OverrideInput[] = [
      { overrideId: 'o1', personId: C, start: at('2026-03-24T10:00:00Z'), end: at('2026-03-24T14:00:00Z'), createdAt: 1 },
      { overrideId: 'o2', personId: D, start: at('2026-03-24T12:00:00Z'), end: at('2026-03-24T13:00:00Z'), createdAt: 2 },
    ];
    const engine = new ScheduleEngine([revision(oneLayer({}))], overrides);
    expect(engine.shifts(at('2026-03-24T09:00:00Z'), at('2026-03-24T15:00:00Z')).map((s) => [iso(s.start).slice(11, 16), s.people[0]])).toEqual([
      ['09:00', B],
      ['10:00', C],
      ['12:00', D],
      ['13:00', C],
      ['14:00', B],
    ]);
  });

  it('finds a planted gap: a layer that ends, and a person who left the roster', () => {
    const definition = oneLayer({ handoff: 'FREQ=DAILY', participants: [A, B, C] }, { until: '2026-04-01T09:00:00Z' });
    const engine = new ScheduleEngine([revision(definition)], [], (p) => p !== C);
    const coverage = engine.coverage(at('2026-03-28T00:00:00Z'), at('2026-04-02T00:00:00Z'));
    // Turns counted from the 23rd: C holds the 25th, 28th and 31st; those are gaps, and so is everything after the layer ends.
    expect(coverage.gaps.map((g) => [iso(g.start), iso(g.end)])).toEqual([
      ['2026-03-28T09:00:00.000Z', '2026-03-29T09:00:00.000Z'],
      ['2026-03-31T09:00:00.000Z', '2026-04-02T00:00:00.000Z'],
    ]);
    expect(coverage.coveredPercent).toBeLessThan(100);
  });

  it('applies a revision from its effective time only: who was on call before stays as it was', () => {
    const first = revision(oneLayer({ participants: [A, B] }), at('2026-03-01T00:00:00Z'), 1);
    const second = revision(oneLayer({ participants: [C, D] }), at('2026-03-26T12:00:00Z'), 2);
    const engine = new ScheduleEngine([first, second]);
    const before = new ScheduleEngine([first]);
    for (const t of ['2026-03-24T10:00:00Z', '2026-03-25T10:00:00Z', '2026-03-26T11:59:00Z']) expect(engine.onCallAt(at(t))).toMatchObject({ revision: 1, people: before.onCallAt(at(t)).people });
    expect(engine.onCallAt(at('2026-03-26T12:00:00Z'))).toMatchObject({ revision: 2, people: [D] }); // turn 3 counted from the same anchor
  });

  it('previews a change as the windows whose on-call person would differ, and no others', () => {
    const current = revision(oneLayer({ participants: [A, B] }), at('2026-03-01T00:00:00Z'), 1);
    const proposed = revision(oneLayer({ participants: [A, B, C] }), at('2026-03-27T09:00:00Z'), 2);
    const from = at('2026-03-25T09:00:00Z');
    const to = at('2026-03-31T09:00:00Z');
    const changes = diffShifts(new ScheduleEngine([current]).shifts(from, to), new ScheduleEngine([current, proposed]).shifts(from, to), from, to);
    // Turn indexes from 2026-03-23: 4 (27th) A→B, 5 (28th) B→C, 6 (29th) A→A, 7 (30th) B→B.
    expect(changes.map((c) => [iso(c.start).slice(0, 10), c.before, c.after])).toEqual([
      ['2026-03-27', [A], [B]],
      ['2026-03-28', [B], [C]],
    ]);
  });
});

/**
 * The engine against a simple reference: who is on call at an instant, computed directly with
 * luxon's calendar arithmetic (no rrule, no sweep), over random rotations in zones with and without
 * DST, random coverage windows, overrides and revisions.
 */
describe('ScheduleEngine against a reference (property)', () => {
  const ZONES = ['UTC', 'Europe/Berlin', 'America/New_York', 'Australia/Sydney'];
  const people = [A, B, C, D];

  type Spec = { freq: 'HOURLY' | 'DAILY' | 'WEEKLY'; interval: number; dst: 'wall_clock' | 'elapsed'; zone: string; start: string; participants: string[]; window: { startHour: number; hours: number } | null; precedence: number };

  const layerSpec: fc.Arbitrary<Spec> = fc
    .record({
      kind: fc.constantFrom('DAILY-wall', 'WEEKLY-wall', 'HOURLY-elapsed', 'DAILY-elapsed', 'WEEKLY-elapsed'),
      interval: fc.integer({ min: 1, max: 3 }),
      zone: fc.constantFrom(...ZONES),
      day: fc.integer({ min: 0, max: 400 }),
      hour: fc.integer({ min: 0, max: 23 }),
      minute: fc.constantFrom(0, 30),
      participants: fc.uniqueArray(fc.constantFrom(...people), { minLength: 1, maxLength: 4 }),
      window: fc.option(fc.record({ startHour: fc.integer({ min: 0, max: 23 }), hours: fc.integer({ min: 1, max: 16 }) }), { nil: null }),
      precedence: fc.integer({ min: 0, max: 1000 }),
    })
    .map((r) => {
      const [freq, dst] = r.kind.split('-') as ['HOURLY' | 'DAILY' | 'WEEKLY', 'wall' | 'elapsed'];
      const start = DateTime.fromObject({ year: 2025, month: 1, day: 1 }, { zone: 'UTC' }).plus({ days: r.day }).set({ hour: r.hour, minute: r.minute }).toFormat("yyyy-LL-dd'T'HH:mm");
      return { freq, interval: freq === 'HOURLY' ? r.interval * 4 : r.interval, dst: dst === 'wall' ? 'wall_clock' : 'elapsed', zone: r.zone, start, participants: r.participants, window: r.window, precedence: r.precedence } as Spec;
    });

  const toLayer = (s: Spec, i: number): ScheduleDefinition['layers'][number] => ({
    name: `layer ${i}`,
    precedence: s.precedence * 10 + i, // distinct
    rotation: {
      start: s.start,
      timeZone: s.zone,
      handoff: `FREQ=${s.freq};INTERVAL=${s.interval}`,
      participants: s.participants,
      dst: s.dst,
      ...(s.window ? { coverage: [{ start: `${String(s.window.startHour).padStart(2, '0')}:00`, durationMinutes: s.window.hours * 60 }] } : {}),
    },
  });

  /** Who a layer puts on call at t, straight from the definition. */
  function referenceLayer(s: Spec, t: number): string | null {
    const startLocal = DateTime.fromISO(s.start, { zone: s.zone });
    const anchor = localToInstant(parseLocalDateTime(s.start), s.zone);
    if (t < anchor) return null;
    const unit = s.freq === 'HOURLY' ? 'hours' : s.freq === 'DAILY' ? 'days' : 'weeks';
    const handoff = (k: number): number =>
      s.dst === 'elapsed'
        ? anchor + k * s.interval * { hours: 3_600_000, days: 86_400_000, weeks: 604_800_000 }[unit]
        : localToInstant(parseLocalDateTime(startLocal.plus({ [unit]: k * s.interval }).toFormat("yyyy-LL-dd'T'HH:mm:ss")), s.zone);
    let k = 0;
    while (handoff(k + 1) <= t) k++;
    if (s.window) {
      // In a window that started on t's local day or the one before, in local wall-clock time.
      const inWindow = [0, 1].some((back) => {
        const day = DateTime.fromMillis(t, { zone: s.zone }).startOf('day').minus({ days: back });
        const floating = Date.UTC(day.year, day.month - 1, day.day, s.window!.startHour);
        const partsOf = (ms: number) => {
          const d = new Date(ms);
          return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate(), hour: d.getUTCHours(), minute: 0, second: 0 };
        };
        const w0 = localToInstant(partsOf(floating), s.zone);
        const w1 = s.dst === 'elapsed' ? w0 + s.window!.hours * 3_600_000 : localToInstant(partsOf(floating + s.window!.hours * 3_600_000), s.zone);
        return w0 <= t && t < w1;
      });
      if (!inWindow) return null;
    }
    return s.participants[k % s.participants.length];
  }

  function reference(revisions: Array<{ effectiveFrom: number; layers: Spec[] }>, overrides: OverrideInput[], t: number): string[] {
    const override = overrides.filter((o) => o.start <= t && t < o.end).sort((a, b) => b.createdAt - a.createdAt)[0];
    if (override) return [override.personId];
    const inForce = revisions.filter((r) => r.effectiveFrom <= t).pop();
    if (!inForce) return [];
    const candidates = inForce.layers
      .map((s, i) => ({ precedence: s.precedence * 10 + i, who: referenceLayer(s, t) }))
      .filter((c) => c.who !== null)
      .sort((a, b) => b.precedence - a.precedence);
    return candidates.length ? [candidates[0].who!] : [];
  }

  const base = at('2025-06-01T00:00:00Z');
  const scenario = fc.record({
    revisions: fc.array(fc.record({ offsetDays: fc.integer({ min: 0, max: 300 }), layers: fc.array(layerSpec, { minLength: 1, maxLength: 3 }) }), { minLength: 1, maxLength: 3 }),
    overrides: fc.array(
      // Close together, so that they overlap one another often.
      fc.record({ person: fc.constantFrom(...people), offsetHours: fc.integer({ min: 0, max: 24 * 20 }), hours: fc.integer({ min: 1, max: 96 }) }),
      { maxLength: 5 },
    ),
    probes: fc.array(fc.integer({ min: -24 * 10, max: 24 * 330 * 60 }), { minLength: 1, maxLength: 6 }),
  });

  it('says who is on call at any instant exactly as the reference does', () => {
    fc.assert(
      fc.property(scenario, ({ revisions, overrides, probes }) => {
        const revs = revisions.map((r, i) => ({ effectiveFrom: base + r.offsetDays * 86_400_000, layers: r.layers, revision: i + 1 })).sort((a, b) => a.effectiveFrom - b.effectiveFrom || a.revision - b.revision);
        // Two revisions at one instant: the later revision wins, as in the engine.
        const inForce = revs.filter((r, i) => i === revs.length - 1 || revs[i + 1].effectiveFrom !== r.effectiveFrom);
        const os: OverrideInput[] = overrides.map((o, i) => ({ overrideId: `o${i}`, personId: o.person, start: base + o.offsetHours * 3_600_000, end: base + (o.offsetHours + o.hours) * 3_600_000, createdAt: i }));
        const engine = new ScheduleEngine(
          revs.map((r) => ({ revision: r.revision, effectiveFrom: r.effectiveFrom, definition: { layers: r.layers.map(toLayer) } })),
          os,
        );
        // Random instants, and the edges where mistakes hide: each override's start, middle and last
        // millisecond, and each revision's first millisecond and the one before.
        const edges = [...os.flatMap((o) => [o.start, (o.start + o.end) / 2, o.end - 1]), ...revs.flatMap((r) => [r.effectiveFrom - 1, r.effectiveFrom])];
        for (const t of [...probes.map((minutes) => base + minutes * 60_000), ...edges]) {
          expect({ t: iso(t), who: engine.onCallAt(t).people }).toEqual({ t: iso(t), who: reference(inForce, os, t) });
        }
      }),
      { numRuns: 80 },
    );
  });
});
