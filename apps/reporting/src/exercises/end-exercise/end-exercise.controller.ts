import { Controller, HttpCode, Inject, Param, ParseUUIDPipe, Post } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { ExerciseView } from '@vigil/contracts';
import { ApiJsonResponse, ApiProblems, auditTouch, Caller, digest, Permit, Problem, type Principal } from '@vigil/platform';
import { DataSource } from 'typeorm';
import { EXERCISE_CLOCK, type ExerciseClock } from '../exercise-clock';
import { assertExerciseVisible, exerciseOf, exerciseView } from '../exercise-records';
import { storeResults } from './store-results';

@ApiTags('exercises')
@Controller('v1/exercises')
export class EndExerciseController {
  constructor(
    private readonly dataSource: DataSource,
    @Inject(EXERCISE_CLOCK) private readonly clock: ExerciseClock,
  ) {}

  @Post(':exerciseId/end')
  @HttpCode(200)
  @Permit('exercises.run')
  @ApiOperation({
    summary: 'End an exercise: injects not yet released are cancelled, every expected action not seen is missed, and the score is kept',
    operationId: 'endExercise',
  })
  @ApiJsonResponse(200, ExerciseView, 'The ended exercise, scored')
  @ApiProblems(400, 404, 409, 503)
  async end(@Param('exerciseId', new ParseUUIDPipe()) exerciseId: string, @Caller() caller: Principal): Promise<ExerciseView> {
    const now = this.clock.now();
    await assertExerciseVisible(this.dataSource, await exerciseOf(this.dataSource, exerciseId), caller);
    await this.dataSource.transaction(async (manager) => {
      const exercise = await exerciseOf(manager, exerciseId, true);
      if (exercise.state === 'ended') throw new Problem(409, 'Exercise ended', `Exercise ${exerciseId} ended at ${exercise.ended_at!.toISOString()}.`);
      auditTouch({ ids: { exerciseId }, before: { state: exercise.state } }, digest);
      await manager.query(`UPDATE reporting.exercise_injects SET status = 'cancelled' WHERE exercise_id = $1 AND status = 'pending'`, [exerciseId]);
      await manager.query(`UPDATE reporting.exercises SET state = 'ended', ended_at = $2, ended_by = $3 WHERE exercise_id = $1`, [exerciseId, now, caller.subject]);
      await storeResults(manager, exerciseId, now);
      auditTouch({ after: { state: 'ended', endedAt: now } }, digest);
    });
    return exerciseView(this.dataSource, await exerciseOf(this.dataSource, exerciseId), now);
  }
}
