import type { CapabilityResult, ExpectedAction, ExpectedActionResult, HseepRating, Scenario } from '@vigil/contracts';
import { z } from 'zod';

type CapabilityView = z.infer<typeof CapabilityResult>;

/** What has been seen of an exercise: the exercise incident's records and the evaluator's notes. */
export interface ExerciseFacts {
  startedAt: Date;
  endedAt: Date | null;
  now: Date;
  /** The exercise incident's clock, once there is an incident. */
  clock: Record<string, string | null> | null;
  /** Phase → when the incident first entered it. */
  phasesEntered: Record<string, string>;
  /** Event type → when it first appeared on the incident's timeline. */
  firstEvents: Map<string, string>;
  observations: Map<string, { at: string; note: string | null; by: string }>;
  ratings: Map<string, { rating: HseepRating; strengths: string[]; areasForImprovement: string[]; note: string | null; ratedBy: string }>;
}

export function describeMeasure(a: ExpectedAction): string {
  switch (a.measure.kind) {
    case 'clock':
      return `incident clock: ${a.measure.field}`;
    case 'phase':
      return `incident entered ${a.measure.phase}`;
    case 'event':
      return `timeline event ${a.measure.type}`;
    case 'observed':
      return "evaluator's observation";
  }
}

/** When the expected action was seen done: objectively from the records, else as the evaluator saw it. */
function observedAt(a: ExpectedAction, f: ExerciseFacts): { at: string | null; by: 'records' | 'evaluator' | null } {
  let at: string | null | undefined = null;
  if (a.measure.kind === 'clock') at = f.clock?.[a.measure.field] ?? null;
  if (a.measure.kind === 'phase') at = f.phasesEntered[a.measure.phase] ?? null;
  if (a.measure.kind === 'event') at = f.firstEvents.get(a.measure.type) ?? null;
  if (at) return { at, by: 'records' };
  const seen = f.observations.get(a.key);
  return seen ? { at: seen.at, by: 'evaluator' } : { at: null, by: null };
}

const minutesBetween = (from: Date, to: string) => Math.round(((Date.parse(to) - from.getTime()) / 60_000) * 10) / 10;

/**
 * Each expected action met (seen by T + its target), missed (seen later, or not at all by the end or
 * by its target), or pending (not seen yet, still within its target, the exercise still running);
 * per capability, the objective tally beside the evaluator's HSEEP rating; the score once it ended.
 */
export function evaluateExercise(scenario: Scenario, f: ExerciseFacts): { expectedActions: ExpectedActionResult[]; capabilities: CapabilityView[]; score: number | null } {
  const judgedAt = f.endedAt ?? f.now;
  const expectedActions = scenario.expectedActions.map((a): ExpectedActionResult => {
    const target = new Date(f.startedAt.getTime() + a.targetMinutes * 60_000);
    const seen = observedAt(a, f);
    const outcome = seen.at ? (Date.parse(seen.at) <= target.getTime() ? 'met' : 'missed') : f.endedAt || judgedAt.getTime() > target.getTime() ? 'missed' : 'pending';
    return {
      key: a.key,
      title: a.title,
      capability: a.capability,
      targetMinutes: a.targetMinutes,
      targetAt: target.toISOString(),
      measure: seen.by === 'evaluator' && a.measure.kind !== 'observed' ? `${describeMeasure(a)} (not in the records; as the evaluator saw it)` : describeMeasure(a),
      observedAt: seen.at ? new Date(seen.at).toISOString() : null,
      minutesAfterStart: seen.at ? minutesBetween(f.startedAt, seen.at) : null,
      outcome,
    };
  });
  const capabilities = scenario.capabilities.map((c): CapabilityView => {
    const mine = expectedActions.filter((a) => a.capability === c.key);
    const rating = f.ratings.get(c.key);
    return {
      key: c.key,
      title: c.title,
      objective: c.objective,
      met: mine.filter((a) => a.outcome === 'met').length,
      missed: mine.filter((a) => a.outcome === 'missed').length,
      pending: mine.filter((a) => a.outcome === 'pending').length,
      rating: rating?.rating ?? null,
      strengths: rating?.strengths ?? [],
      areasForImprovement: rating?.areasForImprovement ?? [],
      note: rating?.note ?? null,
      ratedBy: rating?.ratedBy ?? null,
    };
  });
  const score = f.endedAt ? expectedActions.filter((a) => a.outcome === 'met').length / expectedActions.length : null;
  return { expectedActions, capabilities, score };
}

/** HSEEP's performance ratings, as the after-action report explains them. */
export const HSEEP_MEANING: Record<HseepRating, string> = {
  P: 'Performed without challenges',
  S: 'Performed with some challenges',
  M: 'Performed with major challenges',
  U: 'Unable to be performed',
};
