import type { AffectedAsset } from '@vigil/contracts';
import { MTTX_DEFINITIONS, mttxSeconds, type MttxName } from '../../metrics/incident-clock/mttx';
import { formatDuration, formatInstant, formatTime, type Block, type ReportDocument } from '../document/report-document';
import type { IncidentRecord } from './incident-record';

/** Timeline event types that are communications sent (comms' events; more kinds join as comms grows). */
export const isCommunication = (type: string) => /^vigil\.(notification|message|page)\./.test(type);
/** Timeline event types of regulatory notices and their deadlines (none is published yet). */
export const isRegulatory = (type: string) => /^vigil\.(regulatory|obligation|notice)\./.test(type);

const CLOCK_ROWS: Array<[keyof IncidentRecord['incident']['timestamps'], string]> = [
  ['occurredAt', 'Occurred (first activity seen by a source)'],
  ['detectedAt', 'Detected (first alert received)'],
  ['declaredAt', 'Declared (incident opened)'],
  ['acknowledgedAt', 'Acknowledged'],
  ['containedAt', 'Contained'],
  ['eradicatedAt', 'Eradicated'],
  ['recoveredAt', 'Recovered'],
  ['closedAt', 'Closed'],
];

const serviceOf = (source: string) => source.replace(/^\/vigil\//, '');

function assetLabel(a: AffectedAsset): string {
  return [a.name, a.hostname, a.ip, a.id ? `id ${a.id}` : undefined].filter(Boolean).join(' · ');
}

export function incidentReportDocument(record: IncidentRecord, now: Date): ReportDocument {
  const { incident: i, review } = record;
  const blocks: Block[] = [];
  const keyMoments = new Map((review?.keyMoments ?? []).map((m) => [m.eventId, m.label]));

  blocks.push({ kind: 'heading', level: 2, text: 'Incident' });
  if (i.exercise) blocks.push({ kind: 'note', text: 'EXERCISE: this incident was part of an exercise. Its figures are left out of every real KPI.' });
  blocks.push({
    kind: 'fields',
    rows: [
      ['Incident', i.incidentId],
      ['Title', i.title ?? '—'],
      ['Phase', i.phase],
      ['Severity', i.severity],
      ['Category', i.category],
      ['Owner', i.owner ?? 'none'],
      ['Responders', i.responders.join(', ') || 'none'],
      ['Alerts', String(i.alertCount ?? record.alerts.length)],
      ...(i.mergedInto ? ([['Merged into', i.mergedInto]] as Array<[string, string]>) : []),
    ],
  });

  blocks.push({ kind: 'heading', level: 2, text: 'Classification and severity' });
  const c = i.classification;
  blocks.push({
    kind: 'fields',
    rows: c
      ? [
          ['Functional impact', c.functionalImpact],
          ['Information impact', c.informationImpact],
          ['Recoverability', c.recoverability],
          ['Most critical asset involved', c.assetCriticality ?? 'none registered'],
          ['Classified by', c.classifiedBy ?? 'triage, from its alerts'],
        ]
      : [['Classification', 'not recorded (the incident predates classification in its events)']],
  });
  blocks.push({ kind: 'paragraph', text: `Severity ${i.severity} follows from this classification through triage's severity matrix. How it came to be, with each reason given:` });
  const classified = record.timeline.filter((e) => e.type === 'vigil.incident.opened.v1' || e.type === 'vigil.incident.classified.v1');
  blocks.push({ kind: 'table', columns: ['When', 'What'], widths: [1, 4], rows: classified.map((e) => [formatTime(e.at), e.summary]) });

  blocks.push({ kind: 'heading', level: 2, text: 'Clock and response times' });
  blocks.push({ kind: 'table', columns: ['Moment', 'When'], widths: [2, 2], rows: CLOCK_ROWS.map(([field, label]) => [label, formatTime(i.timestamps[field])]) });
  blocks.push({
    kind: 'table',
    columns: ['Figure', 'Definition', 'This incident'],
    widths: [1, 2, 1],
    rows: (Object.keys(MTTX_DEFINITIONS) as MttxName[]).map((name) => [
      `${name.toUpperCase()} (time to ${{ mttd: 'detect', mtta: 'acknowledge', mttc: 'contain', mttr: 'recover' }[name]})`,
      MTTX_DEFINITIONS[name].description,
      formatDuration(mttxSeconds(name, i.timestamps)),
    ]),
  });

  blocks.push({ kind: 'heading', level: 2, text: `Alerts (${record.alerts.length})` });
  blocks.push({
    kind: 'table',
    columns: ['Received', 'Source', 'Severity', 'Title'],
    widths: [1.3, 1.2, 0.8, 3],
    rows: record.alerts.map((a) => [formatTime(a.receivedAt), a.source, a.severity, a.title]),
  });
  const assets = new Map<string, AffectedAsset>();
  for (const a of record.alerts) for (const asset of a.assets) assets.set(assetLabel(asset), asset);
  blocks.push({ kind: 'heading', level: 3, text: 'Assets' });
  blocks.push({ kind: 'list', items: [...assets.keys()].sort() });
  const observables = new Set(record.alerts.flatMap((a) => a.observables.map((o) => `${o.type}: ${o.value}`)));
  if (observables.size) {
    blocks.push({ kind: 'heading', level: 3, text: 'Observables' });
    blocks.push({ kind: 'list', items: [...observables].sort() });
  }

  blocks.push({ kind: 'heading', level: 2, text: `Timeline (${record.timeline.length} entries)` });
  if (keyMoments.size) blocks.push({ kind: 'note', text: 'Key moments marked by the post-incident review are named in the last column.' });
  blocks.push({
    kind: 'table',
    columns: ['When', 'Service', 'What', 'Key moment'],
    widths: [1.3, 0.8, 4.2, 1.1],
    rows: record.timeline.map((e) => [formatTime(e.at), serviceOf(e.source), e.count > 1 ? `${e.summary} (${e.count} times, last ${formatTime(e.lastAt)})` : e.summary, keyMoments.get(e.eventId) ?? '']),
  });

  blocks.push({ kind: 'heading', level: 2, text: 'Tasks and who did them' });
  blocks.push({
    kind: 'table',
    columns: ['Task', 'For', 'Due', 'Status', 'Done by', 'Done at'],
    widths: [3, 1.6, 1.2, 0.8, 0.9, 1.2],
    rows: record.tasks.map((t) => [
      t.title,
      t.assignee ? `${t.assignee} (${t.role})` : t.role,
      formatTime(t.dueAt),
      (t.status === 'cancelled' || t.status === 'skipped') && t.cancelReason ? `${t.status}: ${t.cancelReason}` : t.status,
      t.completedBy ?? '',
      t.completedAt ? formatTime(t.completedAt) : '',
    ]),
  });

  blocks.push({ kind: 'heading', level: 2, text: 'Communications sent' });
  blocks.push({ kind: 'table', columns: ['When', 'What'], widths: [1, 4], rows: record.timeline.filter((e) => isCommunication(e.type)).map((e) => [formatTime(e.at), e.summary]) });
  blocks.push({ kind: 'heading', level: 3, text: 'Regulatory notices and deadlines' });
  const regulatory = record.timeline.filter((e) => isRegulatory(e.type));
  if (regulatory.length) blocks.push({ kind: 'table', columns: ['When', 'What'], widths: [1, 4], rows: regulatory.map((e) => [formatTime(e.at), e.summary]) });
  else blocks.push({ kind: 'paragraph', text: 'No regulatory notice or deadline was recorded for this incident.' });

  blocks.push({ kind: 'heading', level: 2, text: 'Post-incident review' });
  if (!review) {
    blocks.push({ kind: 'paragraph', text: 'No review: one opens when the incident enters post_incident.' });
  } else {
    blocks.push({
      kind: 'fields',
      rows: [
        ['State', review.state.replace('_', ' ')],
        ['Opened', formatInstant(review.openedAt)],
        ['Completed', review.completedAt ? `${formatInstant(review.completedAt)} by ${review.completedBy}` : 'not yet'],
      ],
    });
    for (const [title, text] of [
      ['Summary', review.summary],
      ['Impact', review.impact],
      ['Root cause', review.rootCause],
    ] as const) {
      blocks.push({ kind: 'heading', level: 3, text: title });
      blocks.push({ kind: 'paragraph', text: text || '(not written)' });
    }
    for (const [title, items] of [
      ['Contributing factors', review.contributingFactors],
      ['What worked', review.whatWorked],
      ['What did not', review.whatDidNot],
    ] as const) {
      blocks.push({ kind: 'heading', level: 3, text: title });
      blocks.push({ kind: 'list', items });
    }
    blocks.push({ kind: 'heading', level: 3, text: 'Action items' });
    blocks.push({
      kind: 'table',
      columns: ['Action', 'Type', 'Owner', 'Due', 'Status', 'Done by', 'Playbook version'],
      widths: [3, 1.1, 1, 1.2, 0.9, 1, 1],
      rows: review.actionItems.map((a) => [
        a.title,
        a.type.replace('_', ' '),
        a.owner,
        formatTime(a.dueAt),
        a.overdue ? 'open, OVERDUE' : a.status,
        a.completedBy ? `${a.completedBy}, ${formatTime(a.completedAt)}` : '',
        a.playbookVersionId ?? '',
      ]),
    });
  }

  blocks.push({ kind: 'heading', level: 2, text: 'Audit digest' });
  const d = record.audit;
  blocks.push({
    kind: 'fields',
    rows: [
      ['Audit trail', `reporting (hash-chained, append-only)`],
      ['Records naming this incident', d.records ? `${d.records} (sequence ${d.firstSeq} to ${d.lastSeq})` : '0'],
      ['Hash of the last of them', d.lastHash ?? '—'],
      ['SHA-256 over their hashes in order', d.digest ?? '—'],
      ['Chain head when this report was made', d.chainHead ? `record ${d.chainHead.seq}, ${d.chainHead.hash}` : '—'],
    ],
  });
  blocks.push({
    kind: 'note',
    text:
      "Covers the changes made through reporting's API to this incident's records: its post-incident review and action items. " +
      "The incident's own changes are in triage's audit trail and history, its tasks in tasking's; an auditor checks each chain with GET /v1/audit/<service>/verify (triage, tasking, reporting).",
  });

  return {
    title: `Incident report: ${i.title ?? i.incidentId}`,
    subtitle: `${i.exercise ? 'EXERCISE · ' : ''}${i.severity} ${i.category} · ${i.phase} · incident ${i.incidentId}`,
    generatedAt: formatInstant(now),
    blocks,
  };
}
