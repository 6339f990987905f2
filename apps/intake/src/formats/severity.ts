import type { AlertSeverity } from '@vigil/contracts';

/**
 * How each source's severity becomes Vigil's (critical | high | medium | low | info), in one table.
 *
 * The principles behind the rows: a source's top level is `critical`; "error"/"major" is `high`
 * (something is broken and needs a human soon); "warning" is `medium`; "minor"/"ticket" is `low`;
 * informational levels are `info`. A source that says nothing, or says something unknown, gets
 * `medium`: it was sent to an incident platform, so it deserves a look, and guessing low would
 * bury it. Matching is case-insensitive and ignores surrounding white space.
 */
export interface SeverityRow {
  source: string;
  field: string;
  value: string;
  severity: AlertSeverity;
  note?: string;
}

export const DEFAULT_SEVERITY: AlertSeverity = 'medium';

/** Prometheus Alertmanager: the `severity` label (a convention, not a schema), alert labels first, then commonLabels. */
export const ALERTMANAGER_SEVERITY: Readonly<Record<string, AlertSeverity>> = {
  critical: 'critical',
  page: 'critical',
  emergency: 'critical',
  fatal: 'critical',
  disaster: 'critical',
  high: 'high',
  error: 'high',
  major: 'high',
  warning: 'medium',
  warn: 'medium',
  medium: 'medium',
  average: 'medium',
  minor: 'low',
  low: 'low',
  ticket: 'low',
  notice: 'low',
  info: 'info',
  informational: 'info',
  none: 'info',
  debug: 'info',
};

/** PagerDuty Events API v2: `payload.severity`, one of four documented values. */
export const PAGERDUTY_SEVERITY: Readonly<Record<string, AlertSeverity>> = {
  critical: 'critical',
  error: 'high',
  warning: 'medium',
  info: 'info',
};

/** OCSF `severity_id` (0 Unknown, 1 Informational, 2 Low, 3 Medium, 4 High, 5 Critical, 6 Fatal, 99 Other). */
export const OCSF_SEVERITY: Readonly<Record<number, AlertSeverity>> = {
  0: DEFAULT_SEVERITY,
  1: 'info',
  2: 'low',
  3: 'medium',
  4: 'high',
  5: 'critical',
  6: 'critical',
};

/** OCSF `severity` captions, used for 99 Other (the caption then carries the source's own word) and when `severity_id` is absent. */
const OCSF_CAPTION: Readonly<Record<string, AlertSeverity>> = {
  informational: 'info',
  info: 'info',
  low: 'low',
  medium: 'medium',
  high: 'high',
  critical: 'critical',
  fatal: 'critical',
};

/** Elastic Security `kibana.alert.severity` (the rule's severity, or its override). */
export const ELASTIC_SEVERITY: Readonly<Record<string, AlertSeverity>> = {
  critical: 'critical',
  high: 'high',
  medium: 'medium',
  low: 'low',
};

/**
 * Elastic Security `kibana.alert.risk_score` (0–100), used when no severity is given: the bands
 * around the scores Elastic's rule editor pairs with its severities (low 21, medium 47, high 73,
 * critical 99).
 */
export const ELASTIC_RISK_SCORE_BANDS: readonly { below: number; severity: AlertSeverity }[] = [
  { below: 22, severity: 'low' },
  { below: 48, severity: 'medium' },
  { below: 74, severity: 'high' },
  { below: Infinity, severity: 'critical' },
];

/**
 * Splunk: the webhook payload has no severity of its own, so the first result row is asked, in
 * this order: `severity`, `urgency` (Splunk Enterprise Security notables), `alert_severity`,
 * `priority`. Words map as below; numbers are the `alert.severity` scale of savedsearches.conf
 * (1 debug, 2 info, 3 warn, 4 error, 5 severe, 6 fatal).
 */
export const SPLUNK_SEVERITY_FIELDS = ['severity', 'urgency', 'alert_severity', 'priority'] as const;
const SPLUNK_WORDS: Readonly<Record<string, AlertSeverity>> = {
  critical: 'critical',
  fatal: 'critical',
  severe: 'critical',
  high: 'high',
  error: 'high',
  medium: 'medium',
  warn: 'medium',
  warning: 'medium',
  low: 'low',
  informational: 'info',
  info: 'info',
  debug: 'info',
};
const SPLUNK_LEVELS: Readonly<Record<string, AlertSeverity>> = { '1': 'info', '2': 'info', '3': 'medium', '4': 'high', '5': 'critical', '6': 'critical' };
export const SPLUNK_SEVERITY: Readonly<Record<string, AlertSeverity>> = { ...SPLUNK_WORDS, ...SPLUNK_LEVELS };

const key = (value: unknown): string | undefined =>
  typeof value === 'string' ? value.trim().toLowerCase() : typeof value === 'number' && Number.isFinite(value) ? String(value) : undefined;

const lookUp = (table: Readonly<Record<string, AlertSeverity>>, value: unknown): AlertSeverity | undefined => {
  const k = key(value);
  return k !== undefined && Object.prototype.hasOwnProperty.call(table, k) ? table[k] : undefined;
};

export function alertmanagerSeverity(value: unknown): AlertSeverity {
  return lookUp(ALERTMANAGER_SEVERITY, value) ?? DEFAULT_SEVERITY;
}

export function pagerDutySeverity(value: unknown): AlertSeverity {
  return lookUp(PAGERDUTY_SEVERITY, value) ?? DEFAULT_SEVERITY;
}

export function ocsfSeverity(severityId: unknown, caption?: unknown): AlertSeverity {
  if (typeof severityId === 'number' && Object.prototype.hasOwnProperty.call(OCSF_SEVERITY, severityId) && severityId !== 0) {
    return OCSF_SEVERITY[severityId];
  }
  return lookUp(OCSF_CAPTION, caption) ?? DEFAULT_SEVERITY;
}

export function elasticSeverity(severity: unknown, riskScore?: unknown): AlertSeverity {
  const named = lookUp(ELASTIC_SEVERITY, severity);
  if (named) return named;
  const score = typeof riskScore === 'string' && riskScore.trim() !== '' ? Number(riskScore) : riskScore;
  if (typeof score === 'number' && Number.isFinite(score) && score >= 0 && score <= 100) {
    return ELASTIC_RISK_SCORE_BANDS.find((band) => score < band.below)!.severity;
  }
  return DEFAULT_SEVERITY;
}

/** Splunk: the first of SPLUNK_SEVERITY_FIELDS in the result that maps, else the default. */
export function splunkSeverity(result: Record<string, unknown> | undefined): AlertSeverity {
  for (const field of SPLUNK_SEVERITY_FIELDS) {
    const raw = result?.[field];
    const value = Array.isArray(raw) ? raw[0] : raw;
    const mapped = lookUp(SPLUNK_SEVERITY, value);
    if (mapped) return mapped;
  }
  return DEFAULT_SEVERITY;
}

const rows = (source: string, field: string, table: Readonly<Record<string, AlertSeverity>>, notes: Record<string, string> = {}): SeverityRow[] =>
  Object.entries(table).map(([value, severity]) => ({ source, field, value, severity, ...(notes[value] ? { note: notes[value] } : {}) }));

const SPLUNK_FIELD = `result.${SPLUNK_SEVERITY_FIELDS.join(' / ')}`;

/** Every mapping, row by row, for the documentation. */
export const SEVERITY_MAPPING_TABLE: readonly SeverityRow[] = [
  ...rows('Prometheus Alertmanager', 'labels.severity', ALERTMANAGER_SEVERITY, {
    page: 'a common convention for "wake someone up"',
    none: 'kube-prometheus uses it for always-firing watchdog alerts',
  }),
  { source: 'Prometheus Alertmanager', field: 'labels.severity', value: '(absent or other)', severity: DEFAULT_SEVERITY },
  ...rows('PagerDuty Events API v2', 'payload.severity', PAGERDUTY_SEVERITY),
  { source: 'PagerDuty Events API v2', field: 'payload.severity', value: '(acknowledge / resolve without payload)', severity: 'info', note: 'the event only changes the state of an open alert' },
  ...Object.entries(OCSF_SEVERITY).map(([id, severity]) => ({
    source: 'OCSF Detection Finding',
    field: 'severity_id',
    value: `${id} ${['Unknown', 'Informational', 'Low', 'Medium', 'High', 'Critical', 'Fatal'][Number(id)]}`,
    severity,
    ...(id === '0' ? { note: 'or from the `severity` caption, when it names a level' } : {}),
  })),
  { source: 'OCSF Detection Finding', field: 'severity_id', value: '99 Other', severity: DEFAULT_SEVERITY, note: 'or from the `severity` caption, when it names a level' },
  ...rows('Elastic Security', 'kibana.alert.severity', ELASTIC_SEVERITY),
  ...ELASTIC_RISK_SCORE_BANDS.map((band, i, all) => ({
    source: 'Elastic Security',
    field: 'kibana.alert.risk_score',
    value: `${i === 0 ? 0 : all[i - 1].below}–${band.below === Infinity ? 100 : band.below - 1}`,
    severity: band.severity,
    note: 'only when kibana.alert.severity is absent',
  })),
  ...rows('Splunk', SPLUNK_FIELD, SPLUNK_WORDS),
  ...rows('Splunk', SPLUNK_FIELD, SPLUNK_LEVELS, {
    '1': 'savedsearches.conf alert.severity 1 (debug)',
    '2': 'alert.severity 2 (info)',
    '3': 'alert.severity 3 (warn)',
    '4': 'alert.severity 4 (error)',
    '5': 'alert.severity 5 (severe)',
    '6': 'alert.severity 6 (fatal)',
  }),
  { source: 'Splunk', field: SPLUNK_FIELD, value: '(absent or other)', severity: DEFAULT_SEVERITY },
  { source: 'Incident report', field: 'severityGuess', value: '(absent)', severity: DEFAULT_SEVERITY, note: 'otherwise the reporter\'s guess, already in Vigil\'s levels' },
];

/** The table as Markdown, ready for docs. */
export function severityMappingMarkdown(): string {
  const escape = (s: string) => s.replace(/\|/g, '\\|');
  const lines = ['| Source | Field | Value | Vigil severity | Note |', '| --- | --- | --- | --- | --- |'];
  for (const row of SEVERITY_MAPPING_TABLE) {
    lines.push(`| ${escape(row.source)} | \`${escape(row.field)}\` | ${escape(row.value)} | ${row.severity} | ${escape(row.note ?? '')} |`);
  }
  return lines.join('\n');
}
