import { SuppressionMatch, type AlertReceivedV1, type EventData } from '@vigil/contracts';
import { suppressionMatches } from './suppression';

type AlertReceived = EventData<typeof AlertReceivedV1>;

function alertReceived(overrides: Partial<AlertReceived> = {}): AlertReceived {
  return {
    alertId: '7a8b9c0d-1e2f-4a3b-9c4d-5e6f7a8b9c0d',
    dedupKey: 'scan-db-07',
    title: 'Port scan detected from 10.0.9.9',
    source: 'ids:suricata',
    severity: 'medium',
    occurredAt: '2026-11-24T02:00:00.000Z',
    receivedAt: '2026-11-24T02:00:05.000Z',
    labels: {},
    assets: [],
    observables: [],
    exercise: false,
    ...overrides,
  };
}

describe(suppressionMatches.name, () => {
  describe('each criterion alone', () => {
    const alert = alertReceived({
      category: 'policy_violation',
      labels: { team: 'infra', env: 'prod' },
      assets: [{ hostname: 'db-07.corp.example', ip: '10.0.4.21', name: 'Billing DB' }],
    });

    it.each<[string, SuppressionMatch]>([
      ['the same dedup key', { dedupKey: 'scan-db-07' }],
      ['the same source', { source: 'ids:suricata' }],
      ['the same source in another case', { source: 'IDS:Suricata' }],
      ['a part of the title', { titleContains: 'port scan' }],
      ['the whole title in another case', { titleContains: 'PORT SCAN DETECTED FROM 10.0.9.9' }],
      ['the same category', { category: 'policy_violation' }],
      ['a list holding the severity', { severities: ['low', 'medium'] }],
      ['the hostname', { hostname: 'db-07.corp.example' }],
      ['the hostname in another case', { hostname: 'DB-07.Corp.Example' }],
      ['the hostname with a trailing dot', { hostname: 'db-07.corp.example.' }],
      ['the asset name', { hostname: 'billing db' }],
      ['the address', { ip: '10.0.4.21' }],
      ['one label', { labels: { team: 'infra' } }],
      ['every label', { labels: { team: 'infra', env: 'prod' } }],
    ])('matches %s', (_, match) => {
      expect(suppressionMatches(match, alert)).toBe(true);
    });

    it.each<[string, SuppressionMatch]>([
      ['another dedup key', { dedupKey: 'scan-db-08' }],
      ['a dedup key in another case', { dedupKey: 'SCAN-DB-07' }],
      ['another source', { source: 'edr:crowdstrike' }],
      ['text not in the title', { titleContains: 'brute force' }],
      ['another category', { category: 'malware' }],
      ['a list without the severity', { severities: ['critical', 'high'] }],
      ['another hostname', { hostname: 'db-08.corp.example' }],
      ['only the first label of the hostname', { hostname: 'db-07' }],
      ['another address', { ip: '10.0.4.22' }],
      ['a label with another value', { labels: { team: 'web' } }],
      ['a label value in another case', { labels: { team: 'Infra' } }],
      ['a label the alert lacks', { labels: { owner: 'infra' } }],
      ['one label of two that does not hold', { labels: { team: 'infra', env: 'staging' } }],
    ])('does not match %s', (_, match) => {
      expect(suppressionMatches(match, alert)).toBe(false);
    });
  });

  it('does not match a category when the alert has none', () => {
    expect(suppressionMatches({ category: 'malware' }, alertReceived())).toBe(false);
  });

  it.each<[string, SuppressionMatch]>([
    ['a hostname', { hostname: 'db-07' }],
    ['an address', { ip: '10.0.4.21' }],
  ])('does not match %s when the alert names no asset', (_, match) => {
    expect(suppressionMatches(match, alertReceived())).toBe(false);
  });

  describe('hostname', () => {
    it.each([
      ['a trailing dot on the asset', { hostname: 'db-07.' }, 'db-07'],
      ['spaces and case on the asset', { hostname: ' DB-07 ' }, 'db-07'],
      ['the asset name in another case', { name: 'DB-07' }, 'db-07.'],
    ])('ignores %s', (_, asset, hostname) => {
      expect(suppressionMatches({ hostname }, alertReceived({ assets: [asset] }))).toBe(true);
    });

    it('matches any of the assets', () => {
      const alert = alertReceived({ assets: [{ hostname: 'web-01' }, { ip: '10.0.4.21' }, { hostname: 'db-07' }] });
      expect(suppressionMatches({ hostname: 'db-07' }, alert)).toBe(true);
    });

    it('does not take the asset id for a hostname', () => {
      expect(suppressionMatches({ hostname: 'db-07' }, alertReceived({ assets: [{ id: 'db-07' }] }))).toBe(false);
    });
  });

  describe('ip', () => {
    it('matches any of the assets', () => {
      const alert = alertReceived({ assets: [{ hostname: 'web-01', ip: '10.0.4.20' }, { ip: '10.0.4.21' }] });
      expect(suppressionMatches({ ip: '10.0.4.21' }, alert)).toBe(true);
    });

    it('matches an IPv6 address written in another case', () => {
      expect(suppressionMatches({ ip: '2001:db8::a' }, alertReceived({ assets: [{ ip: '2001:DB8::A' }] }))).toBe(true);
    });

    it('matches an IPv6 address written out in full', () => {
      expect(suppressionMatches({ ip: '2001:db8::1' }, alertReceived({ assets: [{ ip: '2001:db8:0:0:0:0:0:1' }] }))).toBe(true);
    });

    it('does not take the hostname for an address', () => {
      expect(suppressionMatches({ ip: '10.0.4.21' }, alertReceived({ assets: [{ hostname: '10.0.4.21', ip: '10.0.4.22' }] }))).toBe(false);
    });
  });

  describe('several criteria', () => {
    const alert = alertReceived({ severity: 'low', assets: [{ hostname: 'db-07' }], labels: { scanner: 'nessus' } });

    it('match when all of them hold', () => {
      expect(suppressionMatches({ titleContains: 'port scan', hostname: 'db-07', severities: ['low', 'info'], labels: { scanner: 'nessus' } }, alert)).toBe(true);
    });

    it.each<[string, SuppressionMatch]>([
      ['the title', { titleContains: 'brute force', hostname: 'db-07', severities: ['low'] }],
      ['the hostname', { titleContains: 'port scan', hostname: 'db-08', severities: ['low'] }],
      ['the severity', { titleContains: 'port scan', hostname: 'db-07', severities: ['high'] }],
      ['a label', { titleContains: 'port scan', hostname: 'db-07', labels: { scanner: 'qualys' } }],
      ['the source', { source: 'edr:crowdstrike', titleContains: 'port scan' }],
    ])('do not match when only %s fails', (_, match) => {
      expect(suppressionMatches(match, alert)).toBe(false);
    });
  });

  describe('severities', () => {
    it.each([
      ['critical', false],
      ['high', false],
      ['medium', true],
      ['low', true],
      ['info', false],
    ] as const)('with [medium, low], a %s alert matches: %p', (severity, expected) => {
      expect(suppressionMatches({ severities: ['medium', 'low'] }, alertReceived({ severity }))).toBe(expected);
    });
  });
});

describe('SuppressionMatch', () => {
  it.each([
    ['no criterion', {}],
    ['only an empty label set (it would match every alert)', { labels: {} }],
  ])('refuses %s', (_, match) => {
    expect(SuppressionMatch.safeParse(match).success).toBe(false);
  });

  it('accepts a label set with a label', () => {
    expect(SuppressionMatch.safeParse({ labels: { team: 'infra' } }).success).toBe(true);
  });
});
