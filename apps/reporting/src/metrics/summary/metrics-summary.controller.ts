import { Controller, Get, Query } from '@nestjs/common';
import { ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { IncidentCategory, IncidentSeverity, MetricsSummary, Timestamp } from '@vigil/contracts';
import { ApiJsonResponse, ApiProblems, Caller, Permit, visibleIncidentCondition, ZodPipe, type Principal } from '@vigil/platform';
import { DataSource } from 'typeorm';
import { z } from 'zod';
import { MTTX_DEFINITIONS, type MttxName } from '../incident-clock/mttx';

const SummaryQuery = z.strictObject({
  from: Timestamp.optional(),
  to: Timestamp.optional(),
  severity: IncidentSeverity.optional(),
  category: IncidentCategory.optional(),
  includeExercises: z.enum(['true', 'false']).default('false'),
});

const COLUMN: Record<string, string> = {
  occurredAt: 'occurred_at',
  detectedAt: 'detected_at',
  acknowledgedAt: 'acknowledged_at',
  containedAt: 'contained_at',
  recoveredAt: 'recovered_at',
};

@ApiTags('reporting')
@Controller('v1/metrics')
export class MetricsSummaryController {
  constructor(private readonly dataSource: DataSource) {}

  @Get('summary')
  @Permit('metrics.read')
  @ApiOperation({
    summary: 'MTTD, MTTA, MTTC and MTTR: count, mean, p50 and p90 in seconds',
    description: 'Over incidents detected in [from, to), optionally by severity and category. Exercises are excluded unless includeExercises=true.',
    operationId: 'getMetricsSummary',
  })
  @ApiQuery({ name: 'from', required: false, type: String, description: 'RFC 3339' })
  @ApiQuery({ name: 'to', required: false, type: String, description: 'RFC 3339' })
  @ApiQuery({ name: 'severity', required: false, enum: IncidentSeverity.options })
  @ApiQuery({ name: 'category', required: false, enum: IncidentCategory.options })
  @ApiQuery({ name: 'includeExercises', required: false, enum: ['true', 'false'] })
  @ApiJsonResponse(200, MetricsSummary, 'The figures')
  @ApiProblems(400, 503)
  async summary(@Query(new ZodPipe(SummaryQuery, 'query')) q: z.infer<typeof SummaryQuery>, @Caller() caller: Principal): Promise<MetricsSummary> {
    const where: string[] = [];
    const params: unknown[] = [];
    const add = (sql: string, value: unknown) => {
      params.push(value);
      where.push(sql.replace('?', `$${params.length}`));
    };
    if (q.from) add('detected_at >= ?', q.from);
    if (q.to) add('detected_at < ?', q.to);
    if (q.severity) add('severity = ?', q.severity);
    if (q.category) add('category = ?', q.category);
    if (q.includeExercises !== 'true') where.push('NOT exercise');
    // A merged incident lives on in the one it was merged into: counting it too would count twice.
    where.push(`phase <> 'merged'`);
    // Restricted incidents the caller may not see are not counted either.
    const visible = visibleIncidentCondition('reporting', 'incident_clocks.incident_id', caller, params);
    if (visible !== 'TRUE') where.push(visible);
    const selects = (Object.keys(MTTX_DEFINITIONS) as MttxName[]).map((name) => {
      const { from, to } = MTTX_DEFINITIONS[name];
      const x = `extract(epoch FROM ${COLUMN[to]} - ${COLUMN[from]})::float8`;
      return `count(${x}) AS ${name}_count, avg(${x}) AS ${name}_mean,
              percentile_cont(0.5) WITHIN GROUP (ORDER BY ${x}) AS ${name}_p50,
              percentile_cont(0.9) WITHIN GROUP (ORDER BY ${x}) AS ${name}_p90`;
    });
    const [row] = await this.dataSource.query(
      `SELECT ${selects.join(', ')} FROM reporting.incident_clocks ${where.length ? `WHERE ${where.join(' AND ')}` : ''}`,
      params,
    );
    const figures = (name: MttxName) => {
      const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));
      return {
        count: Number(row[`${name}_count`]),
        meanSeconds: num(row[`${name}_mean`]),
        p50Seconds: num(row[`${name}_p50`]),
        p90Seconds: num(row[`${name}_p90`]),
      };
    };
    return {
      window: { from: q.from ?? null, to: q.to ?? null },
      includesExercises: q.includeExercises === 'true',
      mttd: figures('mttd'),
      mtta: figures('mtta'),
      mttc: figures('mttc'),
      mttr: figures('mttr'),
    };
  }
}
