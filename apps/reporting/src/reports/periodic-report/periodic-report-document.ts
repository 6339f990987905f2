import type { KpiFigures, KpiReport } from '@vigil/contracts';
import { formatDuration, formatInstant, formatRatio, formatTime, type Block, type ReportDocument } from '../document/report-document';

export interface ExerciseLine {
  title: string;
  scenario: string;
  endedAt: string;
  score: number | null;
}

const change = (now: number | null, before: number | null, format: (v: number) => string) => {
  if (now === null || before === null) return '—';
  const d = now - before;
  return d === 0 ? 'no change' : `${d > 0 ? '+' : '−'}${format(Math.abs(d))}`;
};

function mttxRows(current: KpiReport, previous: KpiReport): string[][] {
  return (['mttd', 'mtta', 'mttc', 'mttr'] as const).map((name) => {
    const f: KpiFigures = current[name];
    return [
      name.toUpperCase(),
      String(f.count),
      formatDuration(f.meanSeconds),
      formatDuration(f.p50Seconds),
      formatDuration(f.p90Seconds),
      formatDuration(f.p99Seconds),
      change(f.meanSeconds, previous[name].meanSeconds, formatDuration),
    ];
  });
}

/** The management report of a week or a month: the KPIs, compared with the period before. */
export function periodicReportDocument(period: 'week' | 'month', current: KpiReport, previous: KpiReport, exercises: ExerciseLine[], now: Date): ReportDocument {
  const blocks: Block[] = [];
  const from = current.window.from.slice(0, 10);
  const to = new Date(Date.parse(current.window.to) - 1).toISOString().slice(0, 10);
  const filters = [current.filters.severity, current.filters.category].filter(Boolean).join(', ');

  blocks.push({ kind: 'heading', level: 2, text: 'In short' });
  blocks.push({
    kind: 'fields',
    rows: [
      ['Incidents detected', `${current.incidents.count} (previous ${period}: ${previous.incidents.count})`],
      ['By severity', current.incidents.bySeverity.map((s) => `${s.severity} ${s.count}`).join(', ') || 'none'],
      ['Mean time to acknowledge', `${formatDuration(current.mtta.meanSeconds)} (${change(current.mtta.meanSeconds, previous.mtta.meanSeconds, formatDuration)})`],
      ['Mean time to contain', `${formatDuration(current.mttc.meanSeconds)} (${change(current.mttc.meanSeconds, previous.mttc.meanSeconds, formatDuration)})`],
      ['Acknowledged within target', `${formatRatio(current.acknowledgementSla.compliance)} (${current.acknowledgementSla.missed} missed)`],
      ['False-positive rate', formatRatio(current.falsePositives.rate)],
      ['Action items overdue', `${current.actionItems.overdue} of ${current.actionItems.open} open`],
    ],
  });
  blocks.push({ kind: 'note', text: 'Exercises are not counted. Restricted incidents count only when the reader may see them.' });

  blocks.push({ kind: 'heading', level: 2, text: 'Response times' });
  blocks.push({ kind: 'table', columns: ['Figure', 'Incidents', 'Mean', 'p50', 'p90', 'p99', `Mean vs previous ${period}`], rows: mttxRows(current, previous) });
  blocks.push({ kind: 'note', text: 'MTTD = detected − occurred; MTTA = acknowledged − detected; MTTC = contained − detected; MTTR = recovered − detected.' });

  blocks.push({ kind: 'heading', level: 2, text: 'Incidents' });
  blocks.push({
    kind: 'fields',
    rows: [
      ['False positives', `${current.falsePositives.count} of ${current.falsePositives.incidents} (${formatRatio(current.falsePositives.rate)})`],
      ['Alerts per incident', current.alertsPerIncident.mean === null ? '—' : current.alertsPerIncident.mean.toFixed(1)],
    ],
  });
  blocks.push({ kind: 'table', columns: ['Category', 'Incidents'], rows: current.incidents.byCategory.map((c) => [c.category, String(c.count)]) });
  const categories = [...new Set(current.incidentsByCategoryOverTime.series.flatMap((s) => Object.keys(s.counts)))].sort();
  if (categories.length) {
    blocks.push({ kind: 'heading', level: 3, text: `By category, per ${current.incidentsByCategoryOverTime.bucket}` });
    blocks.push({
      kind: 'table',
      columns: ['From', ...categories],
      rows: current.incidentsByCategoryOverTime.series.map((s) => [s.start.slice(0, 10), ...categories.map((c) => String(s.counts[c] ?? 0))]),
    });
  }

  blocks.push({ kind: 'heading', level: 2, text: 'Service levels' });
  const a = current.acknowledgementSla;
  const t = current.taskSla;
  blocks.push({
    kind: 'table',
    columns: ['Service level', 'Met', 'Missed', 'Pending', 'Compliance'],
    rows: [
      [`Acknowledgement (SEV1 ${a.targetSeconds.SEV1 / 60} min, SEV2 ${a.targetSeconds.SEV2 / 60} min, SEV3 ${a.targetSeconds.SEV3 / 3600} h, SEV4 ${a.targetSeconds.SEV4 / 3600} h)`, String(a.met), String(a.missed), String(a.pending), formatRatio(a.compliance)],
      ['Tasks done by their due time', String(t.met), String(t.missed), String(t.pending), formatRatio(t.compliance)],
    ],
  });

  blocks.push({ kind: 'heading', level: 2, text: 'Lessons learned: action items' });
  blocks.push({
    kind: 'table',
    columns: ['Type', 'Open', 'Overdue', 'Done'],
    rows: [...current.actionItems.byType.map((r) => [r.type.replace('_', ' '), String(r.open), String(r.overdue), String(r.done)]), ['all', String(current.actionItems.open), String(current.actionItems.overdue), String(current.actionItems.done)]],
  });

  blocks.push({ kind: 'heading', level: 2, text: 'Exercises' });
  blocks.push({ kind: 'table', columns: ['Exercise', 'Scenario', 'Ended', 'Expected actions met'], rows: exercises.map((e) => [e.title, e.scenario, formatTime(e.endedAt), formatRatio(e.score)]) });

  blocks.push({ kind: 'heading', level: 2, text: 'Not measured yet' });
  blocks.push({ kind: 'list', items: current.gaps.map((g) => `${g.figure}: ${g.reason}`) });

  return {
    title: `Incident response ${period === 'week' ? 'weekly' : 'monthly'} report, ${from} to ${to}`,
    subtitle: `Incidents detected from ${formatInstant(current.window.from)} to ${formatInstant(current.window.to)}${filters ? `; only ${filters}` : ''}`,
    generatedAt: formatInstant(now),
    blocks,
  };
}
