import { loadScenarios } from '../scenarios/scenario-library';
import { evaluateExercise, type ExerciseFacts } from './evaluate-exercise';

const ransomware = loadScenarios().get('ransomware')!;
const startedAt = new Date('2026-11-24T09:00:00Z');
const at = (minutes: number) => new Date(startedAt.getTime() + minutes * 60_000).toISOString();

function facts(over: Partial<ExerciseFacts> = {}): ExerciseFacts {
  return {
    startedAt,
    endedAt: null,
    now: new Date(at(2)),
    clock: { declaredAt: at(0.5), acknowledgedAt: null, containedAt: null, recoveredAt: null },
    phasesEntered: { detected: at(0.5) },
    firstEvents: new Map(),
    observations: new Map(),
    ratings: new Map(),
    ...over,
  };
}

const outcome = (r: ReturnType<typeof evaluateExercise>, key: string) => r.expectedActions.find((a) => a.key === key)!;

describe(evaluateExercise.name, () => {
  it('marks an action met when seen by its target, with its time after the start', () => {
    const r = evaluateExercise(ransomware, facts({ clock: { acknowledgedAt: at(4.5) } }));
    expect(outcome(r, 'acknowledge')).toMatchObject({ outcome: 'met', minutesAfterStart: 4.5, observedAt: at(4.5), targetAt: at(5), measure: 'incident clock: acknowledgedAt' });
  });

  it('marks an action missed when seen after its target', () => {
    const r = evaluateExercise(ransomware, facts({ now: new Date(at(90)), clock: { acknowledgedAt: at(4), containedAt: at(75) } }));
    expect(outcome(r, 'contain')).toMatchObject({ outcome: 'missed', minutesAfterStart: 75 });
  });

  it('keeps an action pending while the exercise runs and its target has not passed, and missed once it has', () => {
    expect(outcome(evaluateExercise(ransomware, facts({ now: new Date(at(59)) })), 'contain').outcome).toBe('pending');
    expect(outcome(evaluateExercise(ransomware, facts({ now: new Date(at(61)) })), 'contain').outcome).toBe('missed');
  });

  it('marks every action not seen by the end missed, and scores the share met', () => {
    const r = evaluateExercise(ransomware, facts({ endedAt: new Date(at(20)), now: new Date(at(20)), clock: { acknowledgedAt: at(3) }, phasesEntered: { triaged: at(10) } }));
    expect(r.expectedActions.map((a) => [a.key, a.outcome])).toEqual([
      ['acknowledge', 'met'],
      ['triage', 'met'],
      ['contain', 'missed'],
      ['recover', 'missed'],
      ['notify-ir-team', 'missed'],
      ['regulator-clock', 'missed'],
      ['customer-notice', 'missed'],
    ]);
    expect(r.score).toBeCloseTo(2 / 7, 10);
  });

  it('has no score while the exercise runs', () => {
    expect(evaluateExercise(ransomware, facts()).score).toBeNull();
  });

  it('reads timeline events and the evaluator\'s observations, the records first', () => {
    const r = evaluateExercise(
      ransomware,
      facts({
        firstEvents: new Map([['vigil.notification.delivered.v1', at(1)]]),
        observations: new Map([
          ['regulator-clock', { at: at(50), note: 'DPO called the authority', by: 'u-irene' }],
          ['notify-ir-team', { at: at(30), note: null, by: 'u-irene' }],
          ['contain', { at: at(40), note: 'isolated by hand, not recorded', by: 'u-irene' }],
        ]),
      }),
    );
    expect(outcome(r, 'notify-ir-team')).toMatchObject({ outcome: 'met', observedAt: at(1), measure: 'timeline event vigil.notification.delivered.v1' });
    expect(outcome(r, 'regulator-clock')).toMatchObject({ outcome: 'met', minutesAfterStart: 50, measure: "evaluator's observation" });
    expect(outcome(r, 'contain')).toMatchObject({ outcome: 'met', measure: 'incident clock: containedAt (not in the records; as the evaluator saw it)' });
  });

  it('tallies each capability beside the evaluator\'s HSEEP rating', () => {
    const r = evaluateExercise(
      ransomware,
      facts({
        endedAt: new Date(at(30)),
        clock: { acknowledgedAt: at(2) },
        phasesEntered: { triaged: at(20) },
        ratings: new Map([['detection', { rating: 'S', strengths: ['fast acknowledgement'], areasForImprovement: ['scoping took 20 minutes'], note: null, ratedBy: 'u-irene' }]]),
      }),
    );
    expect(r.capabilities.find((c) => c.key === 'detection')).toMatchObject({ met: 1, missed: 1, pending: 0, rating: 'S', ratedBy: 'u-irene' });
    expect(r.capabilities.find((c) => c.key === 'containment')).toMatchObject({ met: 0, missed: 1, rating: null });
  });
});
