import { Controller, Get, Inject, Param, ParseUUIDPipe, Query, Res } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiProblems, Caller, CONFIG, Permit, ZodPipe, type Principal } from '@vigil/platform';
import type { FastifyReply } from 'fastify';
import { DataSource } from 'typeorm';
import { z } from 'zod';
import type { ReportingConfig } from '../../config';
import { ApiReportDownload, ReportQuery, sendReport } from '../../reports/document/send-report';
import { auditDigest } from '../../reports/incident-report/incident-record';
import { EXERCISE_CLOCK, type ExerciseClock } from '../exercise-clock';
import { assertExerciseVisible, exerciseOf, exerciseView } from '../exercise-records';
import { afterActionReportDocument } from './after-action-report-document';


@ApiTags('exercises')
@Controller('v1/exercises')
export class AfterActionReportController {
  constructor(
    private readonly dataSource: DataSource,
    @Inject(CONFIG) private readonly config: ReportingConfig,
    @Inject(EXERCISE_CLOCK) private readonly clock: ExerciseClock,
  ) {}

  @Get(':exerciseId/after-action-report')
  @Permit('exercises.read')
  @ApiOperation({
    summary: 'The after-action report, as Markdown or PDF',
    description: 'Injects and when they were released, each expected action met or missed with its time, each capability with its HSEEP rating, and the improvement plan.',
    operationId: 'getAfterActionReport',
  })
  @ApiReportDownload()
  @ApiProblems(400, 404, 503)
  async get(
    @Param('exerciseId', new ParseUUIDPipe()) exerciseId: string,
    @Query(new ZodPipe(ReportQuery, 'query')) query: z.infer<typeof ReportQuery>,
    @Caller() caller: Principal,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const exercise = await exerciseOf(this.dataSource, exerciseId);
    await assertExerciseVisible(this.dataSource, exercise, caller);
    const now = this.clock.now();
    const [view, audit] = await Promise.all([exerciseView(this.dataSource, exercise, now), auditDigest(this.dataSource, { column: 'exerciseId', value: exerciseId })]);
    await sendReport(reply, afterActionReportDocument(view, exercise.scenario, audit, now), query.format, `after-action-report-${exerciseId}`, this.config);
  }
}
