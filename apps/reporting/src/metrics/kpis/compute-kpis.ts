import { ActionItemType, IncidentCategory, IncidentSeverity, type KpiBucket, type KpiFigures, type KpiReport } from '@vigil/contracts';
import { visibleIncidentCondition, type Principal } from '@vigil/platform';
import type { EntityManager } from 'typeorm';
import { MTTX_DEFINITIONS, type MttxName } from '../incident-clock/mttx';
import { ACK_TARGET_SECONDS, bucketsOf, ratio } from './kpi-figures';

export interface KpiQuery {
  from: Date;
  to: Date;
  severity?: IncidentSeverity;
  category?: IncidentCategory;
  bucket: KpiBucket;
}

const COLUMN: Record<string, string> = {
  occurredAt: 'occurred_at',
  detectedAt: 'detected_at',
  acknowledgedAt: 'acknowledged_at',
  containedAt: 'contained_at',
  recoveredAt: 'recovered_at',
};

/** Figures the product asks for that this API does not give yet. */
export const KPI_GAPS: KpiReport['gaps'] = [
  { figure: 'pages', reason: 'pages sent and their SLA: not in this API yet; tasking counts pages per escalation step for Prometheus (vigil_escalation_pages_total, the Incident response dashboard)' },
  {
    figure: 'page acknowledgement latency',
    reason: 'per escalation step: not in this API yet; tasking measures it for Prometheus (vigil_escalation_time_to_acknowledge_seconds); the incident-level acknowledgement SLA is in acknowledgementSla',
  },
  { figure: 'regulatory deadlines met', reason: 'comms keeps regulatory clocks and publishes vigil.obligation.submitted/missed events, but this API does not count them yet (comms exports them as metrics for Grafana)' },
];

const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));

/**
 * The KPIs over the incidents detected in [from, to): never exercises, never merged incidents (they
 * live on in the one they were merged into), never restricted incidents the caller may not see.
 * Action items and tasks count when their incident is in scope; their state is as of now.
 */
export async function computeKpis(manager: Pick<EntityManager, 'query'>, q: KpiQuery, caller: Principal, now: Date): Promise<KpiReport> {
  const params: unknown[] = [];
  const p = (value: unknown) => (params.push(value), `$${params.length}`);
  const where = [`c.detected_at >= ${p(q.from)}`, `c.detected_at < ${p(q.to)}`, 'NOT c.exercise', `c.phase <> 'merged'`];
  if (q.severity) where.push(`c.severity = ${p(q.severity)}`);
  if (q.category) where.push(`c.category = ${p(q.category)}`);
  const visible = visibleIncidentCondition('reporting', 'c.incident_id', caller, params);
  if (visible !== 'TRUE') where.push(visible);
  const scope = `reporting.incident_clocks c WHERE ${where.join(' AND ')}`;

  const mttx = (Object.keys(MTTX_DEFINITIONS) as MttxName[]).map((name) => {
    const { from, to } = MTTX_DEFINITIONS[name];
    const x = `extract(epoch FROM c.${COLUMN[to]} - c.${COLUMN[from]})::float8`;
    return `count(${x}) AS ${name}_count, avg(${x}) AS ${name}_mean,
            percentile_cont(0.5) WITHIN GROUP (ORDER BY ${x}) AS ${name}_p50,
            percentile_cont(0.9) WITHIN GROUP (ORDER BY ${x}) AS ${name}_p90,
            percentile_cont(0.99) WITHIN GROUP (ORDER BY ${x}) AS ${name}_p99`;
  });
  const ackTarget = `CASE c.severity ${Object.entries(ACK_TARGET_SECONDS).map(([s, t]) => `WHEN '${s}' THEN ${t}`).join(' ')} END`;
  // Acknowledged, or closed (e.g. as a false positive) before anyone acknowledged it.
  const handledAt = `coalesce(c.acknowledged_at, c.closed_at)`;
  // Statements that compare with now take it as one parameter more than the scope's.
  const nowParam = `$${params.length + 1}`;
  const withNow = [...params, now];
  const [row] = (await manager.query(
    `SELECT count(*)::int AS incidents,
            count(*) FILTER (WHERE c.phase = 'false_positive')::int AS false_positives,
            coalesce(sum(coalesce(c.alert_count, (SELECT count(*) FROM reporting.incident_alert_links l WHERE l.incident_id = c.incident_id)::int)), 0)::int AS alerts,
            count(*) FILTER (WHERE ${handledAt} IS NOT NULL AND extract(epoch FROM ${handledAt} - c.detected_at) <= ${ackTarget})::int AS ack_met,
            count(*) FILTER (WHERE (${handledAt} IS NOT NULL AND extract(epoch FROM ${handledAt} - c.detected_at) > ${ackTarget})
                                OR (${handledAt} IS NULL AND extract(epoch FROM ${nowParam}::timestamptz - c.detected_at) > ${ackTarget}))::int AS ack_missed,
            count(*) FILTER (WHERE ${handledAt} IS NULL AND extract(epoch FROM ${nowParam}::timestamptz - c.detected_at) <= ${ackTarget})::int AS ack_pending,
            ${mttx.join(', ')}
       FROM ${scope}`,
    withNow,
  )) as Array<Record<string, unknown>>;

  const [bySeverity, byCategory, overTime, tasks, items] = (await Promise.all([
    manager.query(`SELECT c.severity, count(*)::int AS n FROM ${scope} GROUP BY c.severity ORDER BY c.severity`, params),
    manager.query(`SELECT c.category, count(*)::int AS n FROM ${scope} GROUP BY c.category ORDER BY n DESC, c.category`, params),
    manager.query(
      `SELECT date_trunc('${q.bucket}', c.detected_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' AS start, c.category, count(*)::int AS n
         FROM ${scope} GROUP BY 1, 2`,
      params,
    ),
    manager.query(
      `SELECT count(*) FILTER (WHERE t.status = 'done' AND t.completed_at <= t.due_at)::int AS met,
              count(*) FILTER (WHERE (t.status = 'done' AND t.completed_at > t.due_at) OR (t.status = 'open' AND t.due_at < ${nowParam}))::int AS missed,
              count(*) FILTER (WHERE t.status = 'open' AND t.due_at >= ${nowParam})::int AS pending
         FROM reporting.tasks t WHERE t.due_at IS NOT NULL AND t.incident_id IN (SELECT c.incident_id FROM ${scope})`,
      withNow,
    ),
    manager.query(
      `SELECT a.type,
              count(*) FILTER (WHERE a.status = 'open')::int AS open,
              count(*) FILTER (WHERE a.status = 'open' AND a.due_at < ${nowParam})::int AS overdue,
              count(*) FILTER (WHERE a.status = 'done')::int AS done
         FROM reporting.action_items a WHERE a.incident_id IN (SELECT c.incident_id FROM ${scope}) GROUP BY a.type`,
      withNow,
    ),
  ])) as [Array<{ severity: IncidentSeverity; n: number }>, Array<{ category: IncidentCategory; n: number }>, Array<{ start: Date; category: string; n: number }>, Array<Record<string, number>>, Array<{ type: ActionItemType; open: number; overdue: number; done: number }>];

  const figures = (name: MttxName): KpiFigures => ({
    count: Number(row[`${name}_count`]),
    meanSeconds: num(row[`${name}_mean`]),
    p50Seconds: num(row[`${name}_p50`]),
    p90Seconds: num(row[`${name}_p90`]),
    p99Seconds: num(row[`${name}_p99`]),
  });
  const incidents = Number(row.incidents);
  const alerts = Number(row.alerts);
  const buckets = bucketsOf(q.from, q.to, q.bucket);
  const series = buckets.map((start) => ({ start, counts: {} as Record<string, number> }));
  const byStart = new Map(series.map((s) => [s.start.getTime(), s]));
  for (const { start, category, n } of overTime) {
    const s = byStart.get(start.getTime());
    if (s) s.counts[category] = n;
  }
  const ackMet = Number(row.ack_met);
  const ackMissed = Number(row.ack_missed);
  const t = tasks[0] ?? { met: 0, missed: 0, pending: 0 };
  const byType = ActionItemType.options.map((type) => {
    const found = items.find((r) => r.type === type);
    return { type, open: found?.open ?? 0, overdue: found?.overdue ?? 0, done: found?.done ?? 0 };
  });
  return {
    window: { from: q.from.toISOString(), to: q.to.toISOString() },
    filters: { severity: q.severity ?? null, category: q.category ?? null },
    includesExercises: false,
    incidents: {
      count: incidents,
      bySeverity: bySeverity.map((r) => ({ severity: r.severity, count: r.n })),
      byCategory: byCategory.map((r) => ({ category: r.category, count: r.n })),
    },
    mttd: figures('mttd'),
    mtta: figures('mtta'),
    mttc: figures('mttc'),
    mttr: figures('mttr'),
    falsePositives: { count: Number(row.false_positives), incidents, rate: ratio(Number(row.false_positives), incidents) },
    alertsPerIncident: { alerts, incidents, mean: incidents > 0 ? alerts / incidents : null },
    incidentsByCategoryOverTime: { bucket: q.bucket, series: series.map((s) => ({ start: s.start.toISOString(), counts: s.counts })) },
    acknowledgementSla: {
      targetSeconds: { ...ACK_TARGET_SECONDS },
      met: ackMet,
      missed: ackMissed,
      pending: Number(row.ack_pending),
      compliance: ratio(ackMet, ackMet + ackMissed),
    },
    taskSla: { met: t.met, missed: t.missed, pending: t.pending, compliance: ratio(t.met, t.met + t.missed) },
    actionItems: {
      open: byType.reduce((a, r) => a + r.open, 0),
      overdue: byType.reduce((a, r) => a + r.overdue, 0),
      done: byType.reduce((a, r) => a + r.done, 0),
      byType,
    },
    pages: null,
    regulatoryDeadlines: null,
    gaps: KPI_GAPS,
  };
}
