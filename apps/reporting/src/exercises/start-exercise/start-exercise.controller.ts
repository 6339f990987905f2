import { Body, Controller, Inject, Post } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { ExerciseView, StartExercise } from '@vigil/contracts';
import { ApiJsonBody, ApiJsonResponse, ApiProblems, auditTouch, Caller, CONFIG, digest, Permit, Problem, ZodPipe, type Principal } from '@vigil/platform';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import type { ReportingConfig } from '../../config';
import { EXERCISE_CLOCK, type ExerciseClock } from '../exercise-clock';
import { exerciseOf, exerciseView } from '../exercise-records';
import { InjectWorker } from '../release-injects/inject-worker';
import { scheduleInjects } from '../release-injects/inject-schedule';
import { ScenarioLibrary } from '../scenarios/scenario-library.provider';

@ApiTags('exercises')
@Controller('v1/exercises')
export class StartExerciseController {
  constructor(
    private readonly dataSource: DataSource,
    private readonly library: ScenarioLibrary,
    private readonly worker: InjectWorker,
    @Inject(CONFIG) private readonly config: ReportingConfig,
    @Inject(EXERCISE_CLOCK) private readonly clock: ExerciseClock,
  ) {}

  @Post()
  @Permit('exercises.run')
  @ApiOperation({
    summary: 'Start an exercise from a scenario of the library',
    description:
      'T is now. Each inject is released at T + its minutes: alerts and reports go through intake like real ones, marked as an exercise, and ' +
      'open the exercise incident the team works with its usual tools; messages are shown to the participants with the exercise. Exercise ' +
      'incidents never count in real KPIs. A scenario with alert or report injects needs reporting configured with intake\'s URL and ' +
      'exercise integration keys (409 naming what is missing).',
    operationId: 'startExercise',
  })
  @ApiJsonBody(StartExercise)
  @ApiJsonResponse(201, ExerciseView, 'The exercise, running')
  @ApiProblems(400, 404, 409, 503)
  async start(@Body(new ZodPipe(StartExercise)) body: StartExercise, @Caller() caller: Principal): Promise<ExerciseView> {
    const scenario = this.library.get(body.scenario);
    const kinds = new Set(scenario.modules.flatMap((m) => m.injects.map((i) => i.kind)));
    const missing = [
      ...((kinds.has('alert') || kinds.has('report')) && !this.config.REPORTING_EXERCISE_INTAKE_URL ? ['REPORTING_EXERCISE_INTAKE_URL'] : []),
      ...(kinds.has('alert') && !this.config.REPORTING_EXERCISE_ALERT_KEY ? ['REPORTING_EXERCISE_ALERT_KEY'] : []),
      ...(kinds.has('report') && !this.config.REPORTING_EXERCISE_REPORT_KEY ? ['REPORTING_EXERCISE_REPORT_KEY'] : []),
    ];
    if (missing.length) {
      throw new Problem(409, 'Exercise injects cannot be sent', `Scenario ${scenario.key} sends alerts or reports through intake; reporting needs ${missing.join(' and ')} for that.`, { missing });
    }
    const exerciseId = randomUUID();
    const startedAt = this.clock.now();
    const row = await this.dataSource.transaction(async (manager) => {
      auditTouch({ ids: { exerciseId } }, digest);
      await manager.query(
        `INSERT INTO reporting.exercises (exercise_id, scenario_key, scenario, title, state, started_at, started_by) VALUES ($1, $2, $3, $4, 'running', $5, $6)`,
        [exerciseId, scenario.key, JSON.stringify(scenario), body.title ?? scenario.title, startedAt, caller.subject],
      );
      const schedule = scheduleInjects(scenario, startedAt);
      await manager.query(
        `INSERT INTO reporting.exercise_injects (exercise_id, inject_key, module_key, kind, ordinal, due_at, status)
         SELECT $1, key, module, kind, ordinal, due_at, 'pending'
           FROM json_to_recordset($2::json) AS r(key text, module text, kind text, ordinal int, due_at timestamptz)`,
        [exerciseId, JSON.stringify(schedule.map((i) => ({ key: i.key, module: i.module, kind: i.kind, ordinal: i.ordinal, due_at: i.dueAt.toISOString() })))],
      );
      const created = await exerciseOf(manager, exerciseId);
      auditTouch({ after: { exerciseId, scenario: scenario.key, startedAt } }, digest);
      return created;
    });
    this.worker.wake();
    return exerciseView(this.dataSource, row, this.clock.now());
  }
}
