import { Controller, HttpCode, Inject, Param, ParseUUIDPipe, Post } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { ExerciseView } from '@vigil/contracts';
import { ApiJsonResponse, ApiProblems, auditTouch, Caller, digest, Permit, Problem, type Principal } from '@vigil/platform';
import { DataSource } from 'typeorm';
import { updateReturning } from '../../persistence/sql';
import { EXERCISE_CLOCK, type ExerciseClock } from '../exercise-clock';
import { assertExerciseVisible, exerciseOf, exerciseView, type InjectRow } from '../exercise-records';
import { InjectWorker } from './inject-worker';

@ApiTags('exercises')
@Controller('v1/exercises')
export class ReleaseInjectController {
  constructor(
    private readonly dataSource: DataSource,
    private readonly worker: InjectWorker,
    @Inject(EXERCISE_CLOCK) private readonly clock: ExerciseClock,
  ) {}

  @Post(':exerciseId/injects/:injectKey/release')
  @HttpCode(200)
  @Permit('exercises.run')
  @ApiOperation({
    summary: 'Release an inject now, ahead of its time (the controller moves the exercise on)',
    description: 'The inject is due at once and released within moments. Only a pending inject of a running exercise can be released (409 otherwise).',
    operationId: 'releaseExerciseInject',
  })
  @ApiJsonResponse(200, ExerciseView, 'The exercise, the inject due now')
  @ApiProblems(400, 404, 409, 503)
  async release(@Param('exerciseId', new ParseUUIDPipe()) exerciseId: string, @Param('injectKey') injectKey: string, @Caller() caller: Principal): Promise<ExerciseView> {
    const now = this.clock.now();
    const exercise = await exerciseOf(this.dataSource, exerciseId);
    await assertExerciseVisible(this.dataSource, exercise, caller);
    await this.dataSource.transaction(async (manager) => {
      const locked = await exerciseOf(manager, exerciseId, true);
      if (locked.state !== 'running') throw new Problem(409, 'Exercise ended', `Exercise ${exerciseId} has ended: its injects are no longer released.`);
      const [inject] = (await manager.query(`SELECT * FROM reporting.exercise_injects WHERE exercise_id = $1 AND inject_key = $2 FOR UPDATE`, [exerciseId, injectKey])) as InjectRow[];
      if (!inject) throw Problem.notFound(`Inject ${injectKey} of exercise ${exerciseId}`);
      if (inject.status !== 'pending') throw new Problem(409, 'Inject already released', `Inject ${injectKey} is ${inject.status}.`, { status: inject.status });
      auditTouch({ ids: { exerciseId, injectKey }, before: { dueAt: inject.due_at } }, digest);
      await updateReturning(manager, `UPDATE reporting.exercise_injects SET due_at = $3 WHERE exercise_id = $1 AND inject_key = $2 AND due_at > $3 RETURNING inject_key`, [exerciseId, injectKey, now]);
      auditTouch({ after: { dueAt: now } }, digest);
    });
    this.worker.wake();
    return exerciseView(this.dataSource, await exerciseOf(this.dataSource, exerciseId), now);
  }
}
