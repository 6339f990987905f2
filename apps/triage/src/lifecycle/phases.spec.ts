import { IncidentPhase, IncidentTimestamps } from '@vigil/contracts';
import fc from 'fast-check';
import { TERMINAL_PHASES, allowedTransitions, canTransition, clockFieldOf, isReturnToContainment } from './phases';

const phases = IncidentPhase.options;

/** The main line of NIST SP 800-61 as Vigil walks it; false_positive and merged are side exits. */
const MAIN_LINE: IncidentPhase[] = ['detected', 'triaged', 'contained', 'eradicated', 'recovered', 'post_incident', 'closed'];

const LEGAL: Array<[IncidentPhase, IncidentPhase]> = [
  ['detected', 'triaged'],
  ['detected', 'false_positive'],
  ['triaged', 'contained'],
  ['triaged', 'false_positive'],
  ['contained', 'eradicated'],
  ['eradicated', 'recovered'],
  ['recovered', 'post_incident'],
  ['post_incident', 'closed'],
];
const isLegal = (from: IncidentPhase, to: IncidentPhase) => LEGAL.some(([f, t]) => f === from && t === to);

describe(canTransition.name, () => {
  it.each(LEGAL)('allows %s → %s', (from, to) => {
    expect(canTransition(from, to)).toBe(true);
    expect(allowedTransitions(from)).toContain(to);
  });

  it.each<[string, IncidentPhase, IncidentPhase]>([
    ['skipping triage', 'detected', 'contained'],
    ['skipping containment', 'triaged', 'eradicated'],
    ['jumping to closed', 'detected', 'closed'],
    ['going back', 'contained', 'triaged'],
    ['reopening', 'closed', 'detected'],
    ['staying put', 'triaged', 'triaged'],
    ['a false positive after containment', 'contained', 'false_positive'],
    ['merging by a transition', 'detected', 'merged'],
    ['leaving a false positive', 'false_positive', 'triaged'],
    ['leaving a merged incident', 'merged', 'detected'],
    ['closing without a review', 'recovered', 'closed'],
  ])('refuses %s (%s → %s)', (_, from, to) => {
    expect(canTransition(from, to)).toBe(false);
    expect(allowedTransitions(from)).not.toContain(to);
  });

  it('allows exactly the legal transitions and nothing else', () => {
    for (const from of phases) {
      for (const to of phases) expect([from, to, canTransition(from, to)]).toEqual([from, to, isLegal(from, to)]);
    }
  });
});

describe('back to containment after a recurrence', () => {
  it.each<IncidentPhase>(['recovered', 'post_incident'])('lets %s go back to contained once the incident had a recurrence, and not before', (from) => {
    expect(canTransition(from, 'contained')).toBe(false);
    expect(canTransition(from, 'contained', { recurrences: 0 })).toBe(false);
    expect(canTransition(from, 'contained', { recurrences: 1 })).toBe(true);
    expect(allowedTransitions(from, { recurrences: 2 })).toEqual([...allowedTransitions(from), 'contained']);
    expect(isReturnToContainment(from, 'contained')).toBe(true);
  });

  it('opens no other way back, whatever the recurrences', () => {
    for (const from of phases) {
      for (const to of phases) {
        const legal = isLegal(from, to) || ((from === 'recovered' || from === 'post_incident') && to === 'contained');
        expect([from, to, canTransition(from, to, { recurrences: 3 })]).toEqual([from, to, legal]);
      }
    }
  });
});

describe(allowedTransitions.name, () => {
  it.each([...TERMINAL_PHASES])('allows nothing out of the terminal phase %s', (phase) => {
    expect(allowedTransitions(phase)).toEqual([]);
  });

  it.each(phases.filter((p) => !TERMINAL_PHASES.includes(p)))('allows a way out of the open phase %s', (phase) => {
    expect(allowedTransitions(phase).length).toBeGreaterThan(0);
  });

  it('names closed, false_positive and merged as the terminal phases', () => {
    expect([...TERMINAL_PHASES].sort()).toEqual(['closed', 'false_positive', 'merged']);
  });

  it('never reaches merged by a transition', () => {
    for (const from of phases) expect(allowedTransitions(from)).not.toContain('merged');
  });

  it('walks from detected, never revisits a phase and only moves forward until a terminal phase (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.nat(), { minLength: phases.length, maxLength: phases.length }), (choices) => {
        let current: IncidentPhase = 'detected';
        const visited = new Set<IncidentPhase>([current]);
        for (const choice of choices) {
          const next = allowedTransitions(current);
          if (next.length === 0) break;
          const to = next[choice % next.length];
          expect(visited.has(to)).toBe(false);
          if (MAIN_LINE.includes(to)) expect(MAIN_LINE.indexOf(to)).toBeGreaterThan(MAIN_LINE.indexOf(current));
          else expect(TERMINAL_PHASES).toContain(to);
          visited.add(to);
          current = to;
        }
        // A walk as long as there are phases must have come to rest in a terminal phase.
        expect(TERMINAL_PHASES).toContain(current);
        expect(allowedTransitions(current)).toEqual([]);
      }),
    );
  });
});

describe(clockFieldOf.name, () => {
  it.each<[IncidentPhase, string | undefined]>([
    ['detected', undefined],
    ['triaged', undefined],
    ['contained', 'containedAt'],
    ['eradicated', 'eradicatedAt'],
    ['recovered', 'recoveredAt'],
    ['post_incident', undefined],
    ['closed', 'closedAt'],
    ['false_positive', 'closedAt'],
    ['merged', undefined],
  ])('entering %s sets %s', (phase, field) => {
    expect(clockFieldOf(phase)).toBe(field);
  });

  it('only names fields of the incident clock that start out unset', () => {
    for (const phase of phases) {
      const field = clockFieldOf(phase);
      if (field === undefined) continue;
      expect(Object.keys(IncidentTimestamps.shape)).toContain(field);
      expect(IncidentTimestamps.shape[field].safeParse(null).success).toBe(true);
    }
  });
});
