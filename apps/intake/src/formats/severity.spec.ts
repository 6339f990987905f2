import { AlertSeverity } from '@vigil/contracts';
import fc from 'fast-check';
import {
  DEFAULT_SEVERITY,
  SEVERITY_MAPPING_TABLE,
  alertmanagerSeverity,
  elasticSeverity,
  ocsfSeverity,
  pagerDutySeverity,
  severityMappingMarkdown,
  splunkSeverity,
} from './severity';

describe('severity mapping', () => {
  it.each([
    ['critical', 'critical'],
    ['page', 'critical'],
    ['error', 'high'],
    ['warning', 'medium'],
    [' Warning ', 'medium'],
    ['info', 'info'],
    ['none', 'info'],
    ['minor', 'low'],
    [undefined, 'medium'],
    ['bogus', 'medium'],
    [3, 'medium'],
  ])('Alertmanager severity label %p is %s', (value, expected) => {
    expect(alertmanagerSeverity(value)).toBe(expected);
  });

  it.each([
    ['critical', 'critical'],
    ['error', 'high'],
    ['warning', 'medium'],
    ['info', 'info'],
  ])('PagerDuty payload.severity %s is %s', (value, expected) => {
    expect(pagerDutySeverity(value)).toBe(expected);
  });

  it.each([
    [0, undefined, 'medium'],
    [1, undefined, 'info'],
    [2, undefined, 'low'],
    [3, undefined, 'medium'],
    [4, undefined, 'high'],
    [5, undefined, 'critical'],
    [6, undefined, 'critical'],
    [99, 'Low', 'low'],
    [99, 'Sev-A', 'medium'],
    [0, 'High', 'high'],
    [undefined, 'Critical', 'critical'],
    [42, undefined, 'medium'],
  ])('OCSF severity_id %p (severity %p) is %s', (id, caption, expected) => {
    expect(ocsfSeverity(id, caption)).toBe(expected);
  });

  it.each([
    ['critical', undefined, 'critical'],
    ['HIGH', undefined, 'high'],
    ['medium', 99, 'medium'],
    [undefined, 0, 'low'],
    [undefined, 21, 'low'],
    [undefined, 22, 'medium'],
    [undefined, 47, 'medium'],
    [undefined, 48, 'high'],
    [undefined, 73, 'high'],
    [undefined, 74, 'critical'],
    [undefined, '99', 'critical'],
    [undefined, 101, 'medium'],
    [undefined, undefined, 'medium'],
  ])('Elastic severity %p with risk score %p is %s', (severity, score, expected) => {
    expect(elasticSeverity(severity, score)).toBe(expected);
  });

  it.each([
    [{ severity: 'critical' }, 'critical'],
    [{ urgency: 'high' }, 'high'],
    [{ urgency: ['informational'] }, 'info'],
    [{ severity: '4' }, 'high'],
    [{ alert_severity: 5 }, 'critical'],
    [{ severity: 'weird', priority: 'low' }, 'low'],
    [{ count: '8' }, 'medium'],
    [undefined, 'medium'],
  ])('Splunk result %j is %s', (result, expected) => {
    expect(splunkSeverity(result as Record<string, unknown> | undefined)).toBe(expected);
  });

  it('always answers one of the five levels, whatever it is given (property)', () => {
    fc.assert(
      fc.property(fc.anything(), fc.anything(), (a, b) => {
        for (const s of [alertmanagerSeverity(a), pagerDutySeverity(a), ocsfSeverity(a, b), elasticSeverity(a, b)]) {
          expect(AlertSeverity.options).toContain(s);
        }
      }),
    );
  });

  it('is not fooled by prototype names', () => {
    expect(alertmanagerSeverity('constructor')).toBe(DEFAULT_SEVERITY);
    expect(splunkSeverity({ severity: 'toString' })).toBe(DEFAULT_SEVERITY);
  });
});

describe('SEVERITY_MAPPING_TABLE', () => {
  it('covers every source and only names Vigil severities', () => {
    const sources = new Set(SEVERITY_MAPPING_TABLE.map((r) => r.source));
    expect([...sources]).toEqual(['Prometheus Alertmanager', 'PagerDuty Events API v2', 'OCSF Detection Finding', 'Elastic Security', 'Splunk', 'Incident report']);
    for (const row of SEVERITY_MAPPING_TABLE) expect(AlertSeverity.options).toContain(row.severity);
  });

  it('agrees with the mapping functions', () => {
    for (const row of SEVERITY_MAPPING_TABLE.filter((r) => r.source === 'Prometheus Alertmanager' && !r.value.startsWith('('))) {
      expect(alertmanagerSeverity(row.value)).toBe(row.severity);
    }
    for (const row of SEVERITY_MAPPING_TABLE.filter((r) => r.source === 'OCSF Detection Finding')) {
      expect(ocsfSeverity(Number(row.value.split(' ')[0]))).toBe(row.severity);
    }
    for (const row of SEVERITY_MAPPING_TABLE.filter((r) => r.field === 'kibana.alert.risk_score')) {
      const [low, high] = row.value.split('–').map(Number);
      expect(elasticSeverity(undefined, low)).toBe(row.severity);
      expect(elasticSeverity(undefined, high)).toBe(row.severity);
    }
  });

  it('renders as a Markdown table', () => {
    const md = severityMappingMarkdown();
    const lines = md.split('\n');
    expect(lines[0]).toBe('| Source | Field | Value | Vigil severity | Note |');
    expect(lines).toHaveLength(SEVERITY_MAPPING_TABLE.length + 2);
    expect(md).toContain('| PagerDuty Events API v2 | `payload.severity` | error | high |  |');
    expect(md).toContain('| Elastic Security | `kibana.alert.risk_score` | 74–100 | critical |');
    expect(md).toContain('| Splunk | `result.severity / urgency / alert_severity / priority` | high | high |  |');
  });
});
