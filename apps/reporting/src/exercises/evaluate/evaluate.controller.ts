import { Body, Controller, HttpCode, Inject, Param, ParseUUIDPipe, Post, Put } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { ActionItemView, AddImprovementItem, ExerciseView, RateCapability, RecordObservation } from '@vigil/contracts';
import { ApiJsonBody, ApiJsonResponse, ApiProblems, auditTouch, Caller, digest, Permit, Problem, ZodPipe, type Principal } from '@vigil/platform';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { recordActionItem } from '../../reviews/action-items/record-action-item';
import { toActionItemView } from '../../reviews/review-records';
import { storeResults } from '../end-exercise/store-results';
import { EXERCISE_CLOCK, type ExerciseClock } from '../exercise-clock';
import { assertExerciseVisible, exerciseOf, exerciseView, resolveExerciseIncident } from '../exercise-records';

@ApiTags('exercises')
@Controller('v1/exercises')
export class EvaluateExerciseController {
  constructor(
    private readonly dataSource: DataSource,
    @Inject(EXERCISE_CLOCK) private readonly clock: ExerciseClock,
  ) {}

  @Post(':exerciseId/observations')
  @HttpCode(200)
  @Permit('exercises.evaluate')
  @ApiOperation({
    summary: 'Record when the evaluator saw an expected action done',
    description:
      'For what no event records (a regulator called, a notice approved on paper), or what happened outside Vigil. The records come first: ' +
      'an action the incident\'s records show is judged by them. A second observation of the same action replaces the first.',
    operationId: 'recordExerciseObservation',
  })
  @ApiJsonBody(RecordObservation)
  @ApiJsonResponse(200, ExerciseView, 'The exercise, judged again')
  @ApiProblems(400, 404, 503)
  async observe(@Param('exerciseId', new ParseUUIDPipe()) exerciseId: string, @Body(new ZodPipe(RecordObservation)) body: RecordObservation, @Caller() caller: Principal): Promise<ExerciseView> {
    const now = this.clock.now();
    const exercise = await exerciseOf(this.dataSource, exerciseId);
    await assertExerciseVisible(this.dataSource, exercise, caller);
    if (!exercise.scenario.expectedActions.some((a) => a.key === body.expectedAction)) {
      throw Problem.unprocessable([{ pointer: '/expectedAction', detail: `is not an expected action of scenario ${exercise.scenario_key}` }]);
    }
    if (Date.parse(body.at) < exercise.started_at.getTime()) throw Problem.unprocessable([{ pointer: '/at', detail: `must not be before the exercise started (${exercise.started_at.toISOString()})` }]);
    await this.dataSource.transaction(async (manager) => {
      auditTouch({ ids: { exerciseId, expectedAction: body.expectedAction } }, digest);
      await manager.query(
        `INSERT INTO reporting.exercise_observations (exercise_id, action_key, observed_at, note, recorded_by, recorded_at) VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (exercise_id, action_key) DO UPDATE SET observed_at = EXCLUDED.observed_at, note = EXCLUDED.note, recorded_by = EXCLUDED.recorded_by, recorded_at = EXCLUDED.recorded_at`,
        [exerciseId, body.expectedAction, body.at, body.note ?? null, caller.subject, now],
      );
      await storeResults(manager, exerciseId, now);
      auditTouch({ after: body }, digest);
    });
    return exerciseView(this.dataSource, await exerciseOf(this.dataSource, exerciseId), now);
  }

  @Put(':exerciseId/ratings/:capability')
  @Permit('exercises.evaluate')
  @ApiOperation({
    summary: 'Rate a capability as HSEEP does: P, S, M or U, with strengths and areas for improvement',
    description: 'P: performed without challenges; S: with some challenges; M: with major challenges; U: unable to be performed. Replaces an earlier rating.',
    operationId: 'rateExerciseCapability',
  })
  @ApiJsonBody(RateCapability)
  @ApiJsonResponse(200, ExerciseView, 'The exercise with the rating')
  @ApiProblems(400, 404, 503)
  async rate(
    @Param('exerciseId', new ParseUUIDPipe()) exerciseId: string,
    @Param('capability') capability: string,
    @Body(new ZodPipe(RateCapability)) body: RateCapability,
    @Caller() caller: Principal,
  ): Promise<ExerciseView> {
    const now = this.clock.now();
    const exercise = await exerciseOf(this.dataSource, exerciseId);
    await assertExerciseVisible(this.dataSource, exercise, caller);
    if (!exercise.scenario.capabilities.some((c) => c.key === capability)) throw Problem.notFound(`Capability ${capability} of scenario ${exercise.scenario_key}`);
    await this.dataSource.transaction(async (manager) => {
      auditTouch({ ids: { exerciseId, capability } }, digest);
      await manager.query(
        `INSERT INTO reporting.exercise_ratings (exercise_id, capability_key, rating, strengths, areas_for_improvement, note, rated_by, rated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
         ON CONFLICT (exercise_id, capability_key) DO UPDATE SET rating = EXCLUDED.rating, strengths = EXCLUDED.strengths, areas_for_improvement = EXCLUDED.areas_for_improvement,
           note = EXCLUDED.note, rated_by = EXCLUDED.rated_by, rated_at = EXCLUDED.rated_at`,
        [exerciseId, capability, body.rating, JSON.stringify(body.strengths), JSON.stringify(body.areasForImprovement), body.note ?? null, caller.subject, now],
      );
      await storeResults(manager, exerciseId, now);
      auditTouch({ after: body }, digest);
    });
    return exerciseView(this.dataSource, await exerciseOf(this.dataSource, exerciseId), now);
  }

  @Post(':exerciseId/improvement-items')
  @Permit('exercises.evaluate')
  @ApiOperation({
    summary: 'Add an item to the improvement plan: it becomes an action item, and a task in tasking, like a review\'s',
    description: 'Needs the exercise incident (the incident the injects opened) to hang the task on: 409 until triage has opened it.',
    operationId: 'addExerciseImprovementItem',
  })
  @ApiJsonBody(AddImprovementItem)
  @ApiJsonResponse(201, ActionItemView, 'The improvement plan item, as an open action item')
  @ApiProblems(400, 404, 409, 503)
  async improve(@Param('exerciseId', new ParseUUIDPipe()) exerciseId: string, @Body(new ZodPipe(AddImprovementItem)) body: AddImprovementItem, @Caller() caller: Principal): Promise<ActionItemView> {
    const now = this.clock.now();
    const exercise = await exerciseOf(this.dataSource, exerciseId);
    await assertExerciseVisible(this.dataSource, exercise, caller);
    if (body.capability && !exercise.scenario.capabilities.some((c) => c.key === body.capability)) {
      throw Problem.unprocessable([{ pointer: '/capability', detail: `is not a capability of scenario ${exercise.scenario_key}` }]);
    }
    const incidentId = await resolveExerciseIncident(this.dataSource, exercise);
    if (!incidentId) throw new Problem(409, 'No exercise incident yet', `Exercise ${exerciseId} has no incident yet to hang its improvement plan on: release an alert inject first.`);
    const row = await this.dataSource.transaction(async (manager) => {
      const actionItemId = randomUUID();
      auditTouch({ ids: { exerciseId, incidentId, actionItemId } }, digest);
      const added = await recordActionItem(
        manager,
        {
          actionItemId,
          incidentId,
          origin: 'exercise',
          reviewId: null,
          exerciseId,
          title: body.title,
          type: body.type,
          owner: body.owner,
          dueAt: new Date(body.dueAt).toISOString(),
          playbookVersionId: null,
          exercise: true,
        },
        { description: body.description ?? null, actor: caller.subject, at: now, capability: body.capability ?? null },
      );
      auditTouch({ after: added }, digest);
      return added;
    });
    return toActionItemView(row, now);
  }
}
