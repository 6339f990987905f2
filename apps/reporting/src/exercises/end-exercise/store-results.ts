import type { EntityManager } from 'typeorm';
import { evaluateExercise } from '../evaluate/evaluate-exercise';
import { exerciseFacts, exerciseOf } from '../exercise-records';

/**
 * Keeps an ended exercise's evaluation and score (what Grafana's exercise scores read), again
 * whenever the evaluator records an observation afterwards (the hot wash comes after the end).
 */
export async function storeResults(manager: Pick<EntityManager, 'query'>, exerciseId: string, now: Date): Promise<void> {
  const exercise = await exerciseOf(manager, exerciseId);
  if (exercise.state !== 'ended') return;
  const evaluation = evaluateExercise(exercise.scenario, await exerciseFacts(manager, exercise, now));
  await manager.query(`UPDATE reporting.exercises SET results = $2, score = $3 WHERE exercise_id = $1`, [
    exerciseId,
    JSON.stringify({ expectedActions: evaluation.expectedActions, capabilities: evaluation.capabilities }),
    evaluation.score,
  ]);
}
