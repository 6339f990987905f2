import { Controller, Get, Inject, Param, ParseUUIDPipe } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { ExerciseList, ExerciseView } from '@vigil/contracts';
import { ApiJsonResponse, ApiProblems, Caller, Permit, visibleIncidentCondition, type Principal } from '@vigil/platform';
import { DataSource } from 'typeorm';
import { EXERCISE_CLOCK, type ExerciseClock } from '../exercise-clock';
import { assertExerciseVisible, exerciseOf, exerciseView } from '../exercise-records';

@ApiTags('exercises')
@Controller('v1/exercises')
export class ExercisesController {
  constructor(
    private readonly dataSource: DataSource,
    @Inject(EXERCISE_CLOCK) private readonly clock: ExerciseClock,
  ) {}

  @Get()
  @Permit('exercises.read')
  @ApiOperation({ summary: 'Exercises, newest first, with their scores once ended', operationId: 'listExercises' })
  @ApiJsonResponse(200, ExerciseList, 'The exercises')
  @ApiProblems(503)
  async list(@Caller() caller: Principal) {
    const params: unknown[] = [];
    const visible = visibleIncidentCondition('reporting', 'e.incident_id', caller, params);
    const rows = (await this.dataSource.query(
      `SELECT exercise_id, scenario_key, title, state, started_at, ended_at, incident_id, score FROM reporting.exercises e
        ${visible === 'TRUE' ? '' : `WHERE e.incident_id IS NULL OR ${visible}`} ORDER BY started_at DESC LIMIT 200`,
      params,
    )) as Array<Record<string, any>>;
    return {
      items: rows.map((r) => ({
        exerciseId: r.exercise_id,
        scenario: r.scenario_key,
        title: r.title,
        state: r.state,
        startedAt: r.started_at.toISOString(),
        endedAt: r.ended_at ? r.ended_at.toISOString() : null,
        incidentId: r.incident_id,
        score: r.score,
      })),
    };
  }

  @Get(':exerciseId')
  @Permit('exercises.read')
  @ApiOperation({
    summary: 'An exercise: its injects and when they were released, each expected action met, missed or pending, the capabilities with their ratings, the improvement plan',
    operationId: 'getExercise',
  })
  @ApiJsonResponse(200, ExerciseView, 'The exercise')
  @ApiProblems(400, 404, 503)
  async get(@Param('exerciseId', new ParseUUIDPipe()) exerciseId: string, @Caller() caller: Principal): Promise<ExerciseView> {
    const exercise = await exerciseOf(this.dataSource, exerciseId);
    await assertExerciseVisible(this.dataSource, exercise, caller);
    return exerciseView(this.dataSource, exercise, this.clock.now());
  }
}
