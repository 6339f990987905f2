import { z } from 'zod';
import { ActionItemType } from '../events/reviews';
import { IncidentCategory, IncidentSeverity, Timestamp } from '../vocabulary';

export const KpiBucket = z.enum(['day', 'week', 'month']);
export type KpiBucket = z.infer<typeof KpiBucket>;

export const KpiFigures = z.object({
  count: z.int(),
  meanSeconds: z.number().nullable(),
  p50Seconds: z.number().nullable(),
  p90Seconds: z.number().nullable(),
  p99Seconds: z.number().nullable(),
});
export type KpiFigures = z.infer<typeof KpiFigures>;

const Ratio = z.number().min(0).max(1).nullable().describe('null when there is nothing to divide by');

/** A figure the product asks for that no service produces the events for yet, and who will. */
export const KpiGap = z.object({ figure: z.string(), reason: z.string() });

export const KpiReport = z
  .object({
    window: z.object({ from: Timestamp, to: Timestamp }),
    filters: z.object({ severity: IncidentSeverity.nullable(), category: IncidentCategory.nullable() }),
    includesExercises: z.literal(false).describe('exercises never count in these figures'),
    incidents: z.object({
      count: z.int().describe('incidents detected in the window (merged ones live on in the incident they were merged into)'),
      bySeverity: z.array(z.object({ severity: IncidentSeverity, count: z.int() })),
      byCategory: z.array(z.object({ category: IncidentCategory, count: z.int() })),
    }),
    mttd: KpiFigures,
    mtta: KpiFigures,
    mttc: KpiFigures,
    mttr: KpiFigures,
    falsePositives: z.object({ count: z.int(), incidents: z.int(), rate: Ratio.describe('incidents declared false positive ÷ incidents detected') }),
    alertsPerIncident: z.object({ alerts: z.int(), incidents: z.int(), mean: z.number().nullable() }),
    incidentsByCategoryOverTime: z.object({
      bucket: KpiBucket,
      series: z.array(z.object({ start: Timestamp, counts: z.record(z.string(), z.int()) })),
    }),
    acknowledgementSla: z.object({
      targetSeconds: z.record(z.string(), z.int()).describe('the target per severity'),
      met: z.int(),
      missed: z.int().describe('acknowledged later than the target, or still unacknowledged past it'),
      pending: z.int().describe('not acknowledged yet, still within the target'),
      compliance: Ratio.describe('met ÷ (met + missed)'),
    }),
    taskSla: z.object({
      met: z.int().describe('tasks done by their due time'),
      missed: z.int().describe('tasks done late, or open past their due time'),
      pending: z.int().describe('open tasks not yet due'),
      compliance: Ratio.describe('met ÷ (met + missed)'),
    }),
    actionItems: z.object({
      open: z.int(),
      overdue: z.int(),
      done: z.int(),
      byType: z.array(z.object({ type: ActionItemType, open: z.int(), overdue: z.int(), done: z.int() })),
    }),
    pages: z.null().describe('not measured yet: see gaps'),
    regulatoryDeadlines: z.null().describe('not measured yet: see gaps'),
    gaps: z.array(KpiGap),
  })
  .meta({ id: 'KpiReport' });
export type KpiReport = z.infer<typeof KpiReport>;
