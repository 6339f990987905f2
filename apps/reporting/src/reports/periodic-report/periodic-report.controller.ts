import { Controller, Get, Inject, Query, Res } from '@nestjs/common';
import { ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { IncidentCategory, IncidentSeverity } from '@vigil/contracts';
import { ApiProblems, Caller, CONFIG, Permit, Problem, visibleIncidentCondition, ZodPipe, type Principal } from '@vigil/platform';
import type { FastifyReply } from 'fastify';
import { DataSource } from 'typeorm';
import { z } from 'zod';
import type { ReportingConfig } from '../../config';
import { computeKpis } from '../../metrics/kpis/compute-kpis';
import { bucketStart, nextBucket } from '../../metrics/kpis/kpi-figures';
import { ApiReportDownload, ReportFormat, sendReport } from '../document/send-report';
import { periodicReportDocument, type ExerciseLine } from './periodic-report-document';

const PeriodicQuery = z.strictObject({
  period: z.enum(['week', 'month']).default('week'),
  start: z.iso.date().optional().describe('the first day of the period (YYYY-MM-DD, UTC); default: the last complete period'),
  severity: IncidentSeverity.optional(),
  category: IncidentCategory.optional(),
  format: ReportFormat,
});

@ApiTags('reports')
@Controller('v1/reports')
export class PeriodicReportController {
  constructor(
    private readonly dataSource: DataSource,
    @Inject(CONFIG) private readonly config: ReportingConfig,
  ) {}

  @Get('periodic')
  @Permit('reports.read')
  @ApiOperation({
    summary: 'The weekly or monthly report for management, as Markdown or PDF',
    description:
      'The KPIs of the period (weeks start on Monday, months on the 1st, UTC), compared with the period before, with the exercises that ended in it. ' +
      'A start that is not the first day of its period is moved back to it.',
    operationId: 'getPeriodicReport',
  })
  @ApiQuery({ name: 'period', required: false, enum: ['week', 'month'] })
  @ApiQuery({ name: 'start', required: false, type: String, description: 'YYYY-MM-DD; default: the last complete period' })
  @ApiQuery({ name: 'severity', required: false, enum: IncidentSeverity.options })
  @ApiQuery({ name: 'category', required: false, enum: IncidentCategory.options })
  @ApiReportDownload()
  @ApiProblems(400, 422, 503)
  async get(@Query(new ZodPipe(PeriodicQuery, 'query')) q: z.infer<typeof PeriodicQuery>, @Caller() caller: Principal, @Res() reply: FastifyReply): Promise<void> {
    const now = new Date();
    const from = q.start ? bucketStart(new Date(`${q.start}T00:00:00Z`), q.period) : previousPeriod(bucketStart(now, q.period), q.period);
    const to = nextBucket(from, q.period);
    if (from.getTime() > now.getTime()) throw Problem.unprocessable([{ pointer: '/start', detail: 'must not be in the future' }]);
    const before = previousPeriod(from, q.period);
    const scope = { severity: q.severity, category: q.category, bucket: q.period === 'week' ? ('day' as const) : ('week' as const) };
    const [current, previous] = await Promise.all([
      computeKpis(this.dataSource, { from, to, ...scope }, caller, now),
      computeKpis(this.dataSource, { from: before, to: from, ...scope }, caller, now),
    ]);
    const params: unknown[] = [from, to];
    const visible = visibleIncidentCondition('reporting', 'e.incident_id', caller, params);
    const exercises = (await this.dataSource.query(
      `SELECT title, scenario_key, ended_at, score FROM reporting.exercises e
        WHERE ended_at >= $1 AND ended_at < $2 ${visible === 'TRUE' ? '' : `AND (e.incident_id IS NULL OR ${visible})`} ORDER BY ended_at`,
      params,
    )) as Array<{ title: string; scenario_key: string; ended_at: Date; score: number | null }>;
    const lines: ExerciseLine[] = exercises.map((e) => ({ title: e.title, scenario: e.scenario_key, endedAt: e.ended_at.toISOString(), score: e.score }));
    const doc = periodicReportDocument(q.period, current, previous, lines, now);
    await sendReport(reply, doc, q.format, `vigil-${q.period}ly-${from.toISOString().slice(0, 10)}`, this.config);
  }
}

function previousPeriod(start: Date, period: 'week' | 'month'): Date {
  const d = new Date(start);
  if (period === 'week') d.setUTCDate(d.getUTCDate() - 7);
  else d.setUTCMonth(d.getUTCMonth() - 1);
  return d;
}
