import type { ExerciseView, HseepRating, Scenario } from '@vigil/contracts';
import { assertIncidentVisible, Problem, type Principal } from '@vigil/platform';
import type { EntityManager } from 'typeorm';
import { actionItemsWhere, toActionItemView } from '../reviews/review-records';
import { evaluateExercise, type ExerciseFacts } from './evaluate/evaluate-exercise';

type Query = Pick<EntityManager, 'query'>;

export interface ExerciseRow {
  exercise_id: string;
  scenario_key: string;
  scenario: Scenario;
  title: string;
  state: 'running' | 'ended';
  started_at: Date;
  started_by: string;
  ended_at: Date | null;
  ended_by: string | null;
  incident_id: string | null;
  results: unknown;
  score: number | null;
}

export interface InjectRow {
  exercise_id: string;
  inject_key: string;
  module_key: string;
  kind: 'alert' | 'report' | 'message';
  ordinal: number;
  due_at: Date;
  status: 'pending' | 'sent' | 'failed' | 'cancelled';
  attempts: number;
  released_at: Date | null;
  alert_id: string | null;
  error: string | null;
}

export async function exerciseOf(manager: Query, exerciseId: string, lock = false): Promise<ExerciseRow> {
  const [row] = (await manager.query(`SELECT * FROM reporting.exercises WHERE exercise_id = $1${lock ? ' FOR UPDATE' : ''}`, [exerciseId])) as ExerciseRow[];
  if (!row) throw Problem.notFound(`Exercise ${exerciseId}`);
  return row;
}

/**
 * The exercise incident: the incident the first released alert or report joined, as triage's
 * events told reporting. Remembered once known.
 */
export async function resolveExerciseIncident(manager: Query, exercise: ExerciseRow): Promise<string | null> {
  if (exercise.incident_id) return exercise.incident_id;
  const [found] = (await manager.query(
    `SELECT l.incident_id FROM reporting.exercise_injects i JOIN reporting.incident_alert_links l ON l.alert_id = i.alert_id
      WHERE i.exercise_id = $1 ORDER BY i.released_at, i.ordinal LIMIT 1`,
    [exercise.exercise_id],
  )) as Array<{ incident_id: string }>;
  if (!found) return null;
  await manager.query(`UPDATE reporting.exercises SET incident_id = $2 WHERE exercise_id = $1 AND incident_id IS NULL`, [exercise.exercise_id, found.incident_id]);
  exercise.incident_id = found.incident_id;
  return found.incident_id;
}

/** An exercise whose incident is restricted is as hidden as its incident (404 to those who may not see it). */
export async function assertExerciseVisible(manager: Query, exercise: ExerciseRow, caller: Principal): Promise<void> {
  const incidentId = await resolveExerciseIncident(manager, exercise);
  if (incidentId) await assertIncidentVisible(manager, 'reporting', incidentId, caller, `Exercise ${exercise.exercise_id}`);
}

export async function exerciseFacts(manager: Query, exercise: ExerciseRow, now: Date): Promise<ExerciseFacts> {
  const incidentId = await resolveExerciseIncident(manager, exercise);
  const [clock] = incidentId ? ((await manager.query(`SELECT * FROM reporting.incident_clocks WHERE incident_id = $1`, [incidentId])) as Array<Record<string, any>>) : [];
  const events = incidentId
    ? ((await manager.query(`SELECT type, min(at) AS at FROM reporting.timeline_entries WHERE incident_id = $1 AND at >= $2 GROUP BY type`, [incidentId, exercise.started_at])) as Array<{ type: string; at: Date }>)
    : [];
  const observations = (await manager.query(`SELECT * FROM reporting.exercise_observations WHERE exercise_id = $1`, [exercise.exercise_id])) as Array<Record<string, any>>;
  const ratings = (await manager.query(`SELECT * FROM reporting.exercise_ratings WHERE exercise_id = $1`, [exercise.exercise_id])) as Array<Record<string, any>>;
  const iso = (d: Date | null | undefined) => (d ? d.toISOString() : null);
  return {
    startedAt: exercise.started_at,
    endedAt: exercise.ended_at,
    now,
    clock: clock
      ? {
          declaredAt: iso(clock.declared_at),
          acknowledgedAt: iso(clock.acknowledged_at),
          containedAt: iso(clock.contained_at),
          eradicatedAt: iso(clock.eradicated_at),
          recoveredAt: iso(clock.recovered_at),
          closedAt: iso(clock.closed_at),
        }
      : null,
    phasesEntered: clock?.phases_entered ?? {},
    firstEvents: new Map(events.map((e) => [e.type, e.at.toISOString()])),
    observations: new Map(observations.map((o) => [o.action_key, { at: o.observed_at.toISOString(), note: o.note, by: o.recorded_by }])),
    ratings: new Map(
      ratings.map((r) => [r.capability_key, { rating: r.rating as HseepRating, strengths: r.strengths, areasForImprovement: r.areas_for_improvement, note: r.note, ratedBy: r.rated_by }]),
    ),
  };
}

export async function exerciseView(manager: Query, exercise: ExerciseRow, now: Date): Promise<ExerciseView> {
  const facts = await exerciseFacts(manager, exercise, now);
  const evaluation = evaluateExercise(exercise.scenario, facts);
  const injects = (await manager.query(`SELECT * FROM reporting.exercise_injects WHERE exercise_id = $1 ORDER BY ordinal`, [exercise.exercise_id])) as InjectRow[];
  const minutesOf = new Map(exercise.scenario.modules.flatMap((m) => m.injects.map((i) => [i.key, i.atMinutes] as const)));
  const items = await actionItemsWhere(manager, 'exercise_id', exercise.exercise_id);
  return {
    exerciseId: exercise.exercise_id,
    scenario: exercise.scenario_key,
    title: exercise.title,
    state: exercise.state,
    startedAt: exercise.started_at.toISOString(),
    startedBy: exercise.started_by,
    endedAt: exercise.ended_at ? exercise.ended_at.toISOString() : null,
    endedBy: exercise.ended_by,
    incidentId: exercise.incident_id,
    attack: exercise.scenario.attack,
    injects: injects.map((i) => ({
      key: i.inject_key,
      module: i.module_key,
      kind: i.kind,
      atMinutes: minutesOf.get(i.inject_key) ?? 0,
      dueAt: i.due_at.toISOString(),
      status: i.status,
      releasedAt: i.released_at ? i.released_at.toISOString() : null,
      alertId: i.alert_id,
      error: i.error,
    })),
    expectedActions: evaluation.expectedActions,
    capabilities: evaluation.capabilities,
    score: exercise.state === 'ended' ? (exercise.score ?? evaluation.score) : null,
    improvementPlan: items.map((a) => toActionItemView(a, now)),
  };
}
