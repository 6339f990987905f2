import { Controller, Get, Query } from '@nestjs/common';
import { ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { IncidentCategory, IncidentSeverity, KpiBucket, KpiReport, Timestamp } from '@vigil/contracts';
import { ApiJsonResponse, ApiProblems, Caller, Permit, Problem, ZodPipe, type Principal } from '@vigil/platform';
import { DataSource } from 'typeorm';
import { z } from 'zod';
import { computeKpis } from './compute-kpis';
import { DEFAULT_WINDOW_DAYS, defaultBucket } from './kpi-figures';

const KpiQueryParams = z.strictObject({
  from: Timestamp.optional(),
  to: Timestamp.optional(),
  severity: IncidentSeverity.optional(),
  category: IncidentCategory.optional(),
  bucket: KpiBucket.optional(),
});

@ApiTags('reporting')
@Controller('v1/kpis')
export class KpisController {
  constructor(private readonly dataSource: DataSource) {}

  @Get()
  @Permit('metrics.read')
  @ApiOperation({
    summary: 'Incident response KPIs over a window, by severity and category',
    description:
      'Over the incidents detected in [from, to) (default: the 30 days up to now): MTTD, MTTA, MTTC and MTTR (count, mean, p50, p90, p99 in seconds), ' +
      'the false-positive rate, alerts per incident, incidents by category over time (in day, week or month buckets, UTC; weeks start on Monday), ' +
      'the acknowledgement SLA (targets per severity), the task SLA (tasks done by their due time) and action items open, overdue and done. ' +
      'Exercises never count. Figures this API does not give yet are null and named in gaps.',
    operationId: 'getKpis',
  })
  @ApiQuery({ name: 'from', required: false, type: String, description: 'RFC 3339; default: 30 days before to' })
  @ApiQuery({ name: 'to', required: false, type: String, description: 'RFC 3339; default: now' })
  @ApiQuery({ name: 'severity', required: false, enum: IncidentSeverity.options })
  @ApiQuery({ name: 'category', required: false, enum: IncidentCategory.options })
  @ApiQuery({ name: 'bucket', required: false, enum: KpiBucket.options, description: 'default: day up to 62 days, week up to a year, month beyond' })
  @ApiJsonResponse(200, KpiReport, 'The KPIs')
  @ApiProblems(400, 422, 503)
  async kpis(@Query(new ZodPipe(KpiQueryParams, 'query')) q: z.infer<typeof KpiQueryParams>, @Caller() caller: Principal): Promise<KpiReport> {
    const now = new Date();
    const to = q.to ? new Date(q.to) : now;
    const from = q.from ? new Date(q.from) : new Date(to.getTime() - DEFAULT_WINDOW_DAYS * 86_400_000);
    if (from >= to) throw Problem.unprocessable([{ pointer: '/from', detail: 'must be before to' }]);
    return computeKpis(this.dataSource, { from, to, severity: q.severity, category: q.category, bucket: q.bucket ?? defaultBucket(from, to) }, caller, now);
  }
}
