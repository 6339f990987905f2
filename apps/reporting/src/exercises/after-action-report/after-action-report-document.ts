import type { ExerciseView, Scenario } from '@vigil/contracts';
import { formatDuration, formatInstant, formatRatio, formatTime, type Block, type ReportDocument } from '../../reports/document/report-document';
import type { AuditDigest } from '../../reports/incident-report/incident-record';
import { HSEEP_MEANING } from '../evaluate/evaluate-exercise';

const tPlus = (minutes: number | null) => (minutes === null ? '—' : `T+${Number.isInteger(minutes) ? minutes : minutes.toFixed(1)} min`);

/** The HSEEP-style after-action report of an exercise, with its improvement plan. */
export function afterActionReportDocument(view: ExerciseView, scenario: Scenario, audit: AuditDigest, now: Date): ReportDocument {
  const blocks: Block[] = [];
  const minutes = (iso: string | null) => (iso ? (Date.parse(iso) - Date.parse(view.startedAt)) / 60_000 : null);

  blocks.push({ kind: 'heading', level: 2, text: 'Exercise overview' });
  blocks.push({
    kind: 'fields',
    rows: [
      ['Exercise', view.title],
      ['Scenario', `${scenario.title} (${scenario.key})`],
      ['Started (T)', `${formatInstant(view.startedAt)} by ${view.startedBy}`],
      ['Ended', view.endedAt ? `${formatInstant(view.endedAt)} by ${view.endedBy} (${formatDuration((Date.parse(view.endedAt) - Date.parse(view.startedAt)) / 1000)} after T)` : 'still running'],
      ['Exercise incident', view.incidentId ?? 'none opened'],
      ['MITRE ATT&CK techniques', scenario.attack.join(', ')],
      ['Expected actions met', view.score === null ? 'not scored until the exercise ends' : `${view.expectedActions.filter((a) => a.outcome === 'met').length} of ${view.expectedActions.length} (${formatRatio(view.score)})`],
    ],
  });
  blocks.push({ kind: 'paragraph', text: scenario.summary });

  blocks.push({ kind: 'heading', level: 2, text: 'Scenario and injects' });
  const injectText = new Map(
    scenario.modules.flatMap((m) =>
      m.injects.map((i) => [i.key, i.kind === 'alert' ? `Alert: ${i.alert.title}` : i.kind === 'report' ? `Report from ${i.report.reporter.name}` : `${i.from} to ${i.to.join(', ')}: ${i.text}`] as const),
    ),
  );
  const moduleTitle = new Map(scenario.modules.map((m) => [m.key, m.title]));
  blocks.push({
    kind: 'table',
    columns: ['Planned', 'Module', 'Inject', 'Released'],
    widths: [0.8, 1.4, 4, 1.3],
    rows: view.injects.map((i) => [
      tPlus(i.atMinutes),
      moduleTitle.get(i.module) ?? i.module,
      injectText.get(i.key) ?? i.key,
      i.releasedAt ? `${tPlus(Math.round(minutes(i.releasedAt)! * 10) / 10)}` : i.status === 'failed' ? `failed: ${i.error ?? ''}` : i.status,
    ]),
  });

  blocks.push({ kind: 'heading', level: 2, text: 'Expected actions' });
  blocks.push({ kind: 'note', text: 'Met: seen done by its target time after T. Missed: seen later, or not seen by the end of the exercise. Times come from the exercise incident\'s records where they exist, else from the evaluator.' });
  blocks.push({
    kind: 'table',
    columns: ['Expected action', 'Capability', 'Target', 'Seen', 'Outcome', 'How it was seen'],
    widths: [3, 1.2, 0.9, 0.9, 0.9, 2],
    rows: view.expectedActions.map((a) => [a.title, a.capability, tPlus(a.targetMinutes), tPlus(a.minutesAfterStart), a.outcome.toUpperCase(), a.measure]),
  });

  blocks.push({ kind: 'heading', level: 2, text: 'Capabilities (HSEEP performance ratings)' });
  blocks.push({ kind: 'note', text: Object.entries(HSEEP_MEANING).map(([r, m]) => `${r}: ${m}`).join('. ') + '.' });
  blocks.push({
    kind: 'table',
    columns: ['Capability', 'Objective', 'Met', 'Missed', 'Rating', 'Rated by'],
    widths: [1.5, 3, 0.6, 0.7, 1.6, 0.9],
    rows: view.capabilities.map((c) => [c.title, c.objective, String(c.met), String(c.missed), c.rating ? `${c.rating} (${HSEEP_MEANING[c.rating]})` : 'not rated', c.ratedBy ?? '']),
  });
  for (const c of view.capabilities.filter((c) => c.strengths.length || c.areasForImprovement.length || c.note)) {
    blocks.push({ kind: 'heading', level: 3, text: c.title });
    if (c.strengths.length) blocks.push({ kind: 'list', items: c.strengths.map((s) => `Strength: ${s}`) });
    if (c.areasForImprovement.length) blocks.push({ kind: 'list', items: c.areasForImprovement.map((s) => `Area for improvement: ${s}`) });
    if (c.note) blocks.push({ kind: 'paragraph', text: c.note });
  }

  blocks.push({ kind: 'heading', level: 2, text: 'Improvement plan' });
  blocks.push({
    kind: 'table',
    columns: ['Improvement', 'Capability', 'Type', 'Owner', 'Due', 'Status'],
    widths: [3, 1.2, 1, 1, 1.2, 0.9],
    rows: view.improvementPlan.map((a) => [a.title, a.capability ?? '', a.type.replace('_', ' '), a.owner, formatTime(a.dueAt), a.overdue ? 'open, OVERDUE' : a.status]),
  });
  blocks.push({ kind: 'note', text: 'Each item is an action item with a task in tasking for its owner, tracked to done like a post-incident review\'s.' });

  blocks.push({ kind: 'heading', level: 2, text: 'Audit digest' });
  blocks.push({
    kind: 'fields',
    rows: [
      ['Records of this exercise in reporting\'s audit trail', audit.records ? `${audit.records} (sequence ${audit.firstSeq} to ${audit.lastSeq})` : '0'],
      ['SHA-256 over their hashes in order', audit.digest ?? '—'],
      ['Chain head when this report was made', audit.chainHead ? `record ${audit.chainHead.seq}, ${audit.chainHead.hash}` : '—'],
    ],
  });

  return {
    title: `After-action report: ${view.title}`,
    subtitle: `Exercise ${view.exerciseId} · scenario ${scenario.key} · ${view.state}`,
    generatedAt: formatInstant(now),
    blocks,
  };
}
