import fc from 'fast-check';
import { errors, fixture, problems, signals } from './__fixtures__/harness';
import { mapAlertmanager } from './alertmanager';
import type { MappingResult } from './signal';


describe('mapAlertmanager, documented payloads', () => {
  it('maps the v4 ProbeFailure example', () => {
    const body = fixture('alertmanager-v4-probe-failure.json');
    const result = mapAlertmanager(body);
    const [signal] = signals(result);
    expect(signal.action).toBe('trigger');
    expect(signal.format).toBe('alertmanager');
    expect(signal.alert).toMatchObject({
      title: 'BlackBox Probe Failure: https://server.example.org',
      source: 'alertmanager:sms',
      severity: 'critical',
      occurredAt: '2023-02-06T13:08:45.828Z',
      dedupKey: 'am:1a30ba71cca2921f',
      description:
        'Instance https://server.example.org has been down for over 5m. Job: http_checks\n\nSource: http://prometheus.example.org:9090/graph?g0.expr=probe_success+%3D%3D+0&g0.tab=1',
      assets: [{ hostname: 'server.example.org' }],
      observables: [
        { type: 'url', value: 'https://server.example.org/' },
        { type: 'domain', value: 'server.example.org' },
      ],
    });
    expect(signal.alert.labels).toEqual({
      alertname: 'ProbeFailure',
      instance: 'https://server.example.org',
      job: 'http_checks',
      monitor: 'master',
      severity: 'critical',
      'alertmanager.receiver': 'sms',
      'alertmanager.groupKey': '{}/{severity="critical"}:{alertname="ProbeFailure"}',
      'alertmanager.status': 'firing',
      'alertmanager.externalURL': 'http://prometheus.example.org:9093',
      'alertmanager.generatorURL': 'http://prometheus.example.org:9090/graph?g0.expr=probe_success+%3D%3D+0&g0.tab=1',
      'annotation.description': 'Instance https://server.example.org has been down for over 5m. Job: http_checks',
      'annotation.summary': 'BlackBox Probe Failure: https://server.example.org',
    });
    expect(result.ok && result.meta).toEqual({
      truncatedAlerts: 0,
      groupKey: '{}/{severity="critical"}:{alertname="ProbeFailure"}',
      receiver: 'sms',
      status: 'firing',
      version: '4',
    });
  });

  it('keeps the raw payload as a v4 payload holding just this alert, extra fields included', () => {
    const body = fixture('alertmanager-v4-group-resolved.json');
    const [first, second] = signals(mapAlertmanager(body));
    const { alerts, ...group } = body;
    expect(first.raw).toEqual({ ...group, alerts: [alerts[0]] });
    expect(second.raw).toEqual({ ...group, alerts: [alerts[1]] });
  });

  it('maps every alert of a group: resolved resolves, firing triggers; truncatedAlerts is recorded', () => {
    const result = mapAlertmanager(fixture('alertmanager-v4-group-resolved.json'));
    const [resolved, firing] = signals(result);
    expect(result.ok && result.meta?.truncatedAlerts).toBe(3);
    expect(resolved.action).toBe('resolve');
    expect(resolved.alert).toMatchObject({
      dedupKey: 'am:8b2f4a3c9d1e6f70',
      severity: 'medium',
      occurredAt: '2026-11-24T05:58:12.345Z',
      title: 'Filesystem has less than 5% space left.',
      source: 'alertmanager:vigil-security',
      assets: [{ ip: '10.0.4.21' }, { hostname: 'ip-10-0-4-21.eu-west-1.compute.internal' }],
    });
    expect(resolved.alert.labels?.['alertmanager.endsAt']).toBe('2026-11-24T06:43:12.345Z');
    expect(resolved.alert.labels?.['annotation.runbook_url']).toBe('https://runbooks.prometheus-operator.dev/runbooks/node/nodefilesystemalmostoutofspace');
    // The runbook link is the monitoring stack's, not an indicator.
    expect(resolved.alert.observables?.some((o) => o.type === 'url')).toBe(false);
    expect(firing.action).toBe('trigger');
    expect(firing.alert).toMatchObject({ dedupKey: 'am:c41d7e0a5b3f9e21', assets: [{ ip: '10.0.4.22' }, { name: 'monitoring/node-exporter-7k2xq' }] });
    // The zero time of a firing alert's endsAt is not a time.
    expect(firing.alert.labels?.['alertmanager.endsAt']).toBeUndefined();
  });

  it('maps the older payload without fingerprint: key from the label set, nanosecond startsAt with offset', () => {
    const body = fixture('alertmanager-v4-test-alert.json');
    const [signal] = signals(mapAlertmanager(body));
    expect(signal.alert).toMatchObject({
      title: 'Test',
      source: 'alertmanager:webhook',
      severity: 'medium',
      occurredAt: '2018-08-03T07:52:26.739Z',
      description: 'some description\n\nSource: http://example.com:9090/graph?g0.expr=go_memstats_alloc_bytes+%3E+0&g0.tab=1',
      assets: [{ hostname: 'localhost' }],
    });
    expect(signal.alert.dedupKey).toMatch(/^am:[0-9a-f]{40}$/);
    // The same label set in another order is the same alert.
    const reordered = structuredClone(body);
    reordered.alerts[0].labels = Object.fromEntries(Object.entries(body.alerts[0].labels).reverse());
    expect(signals(mapAlertmanager(reordered))[0].alert.dedupKey).toBe(signal.alert.dedupKey);
  });

  it('maps the Grafana webhook (version "1", extra fields)', () => {
    const result = mapAlertmanager(fixture('grafana-webhook.json'));
    const [memory, cpu] = signals(result);
    expect(memory.alert).toMatchObject({
      title: 'This alert was triggered for zone us-1',
      source: 'alertmanager:My Super Webhook',
      dedupKey: 'am:c6eadffa33fcdf37',
      occurredAt: '2021-10-12T07:51:03.157Z',
      severity: 'medium',
    });
    expect(cpu.alert.dedupKey).toBe('am:bc97ff14869b13e3');
    expect((memory.raw as { orgId: number; alerts: { values: unknown }[] }).orgId).toBe(1);
    expect((memory.raw as { alerts: { values: unknown }[] }).alerts[0].values).toEqual({ B: 44.23943737541908, C: 1 });
    expect(result.ok && result.meta?.version).toBe('1');
  });

  it('gives a re-sent payload the same dedup keys (Alertmanager retries on timeout)', () => {
    const body = fixture('alertmanager-v4-group-resolved.json');
    const keys = (r: MappingResult) => signals(r).map((s) => s.alert.dedupKey);
    expect(keys(mapAlertmanager(structuredClone(body)))).toEqual(keys(mapAlertmanager(body)));
  });
});

describe('mapAlertmanager, choices', () => {
  const base = fixture('alertmanager-v4-probe-failure.json');
  const withAlert = (patch: Record<string, unknown>) => ({ ...base, alerts: [{ ...base.alerts[0], ...patch }] });

  it('titles an alert without summary by its alertname, then by the first line of its description', () => {
    expect(signals(mapAlertmanager(withAlert({ annotations: { description: 'line one\nline two' } })))[0].alert.title).toBe('ProbeFailure');
    expect(
      signals(mapAlertmanager(withAlert({ labels: { job: 'x' }, annotations: { description: 'line one\nline two' } })))[0].alert.title,
    ).toBe('line one');
    expect(signals(mapAlertmanager(withAlert({ labels: {}, annotations: {} })))[0].alert.title).toBe('Alertmanager alert');
  });

  it('takes the severity from commonLabels when the alert has none, and falls back to the job for the source', () => {
    const body = { ...withAlert({ labels: { alertname: 'A', job: 'node' } }), receiver: undefined, commonLabels: { severity: 'page' } };
    const [signal] = signals(mapAlertmanager(body));
    expect(signal.alert.severity).toBe('critical');
    expect(signal.alert.source).toBe('alertmanager:node');
  });

  it('treats a zero startsAt as absent', () => {
    expect(signals(mapAlertmanager(withAlert({ startsAt: '0001-01-01T00:00:00Z' })))[0].alert.occurredAt).toBeUndefined();
  });

  it('caps 150 labels at 100, keeping the alert labels first', () => {
    const labels = Object.fromEntries(Array.from({ length: 150 }, (_, i) => [`l${String(i).padStart(3, '0')}`, 'v'.repeat(3000)]));
    const [signal] = signals(mapAlertmanager(withAlert({ labels })));
    expect(Object.keys(signal.alert.labels!)).toHaveLength(100);
    expect(signal.alert.labels!.l000).toHaveLength(2000);
    expect(signal.alert.labels!['alertmanager.receiver']).toBeUndefined();
  });

  it('cuts an over-long summary to 500 characters and stringifies non-string label values', () => {
    const [signal] = signals(mapAlertmanager(withAlert({ annotations: { summary: 'S'.repeat(900) }, labels: { alertname: 'A', count: 3, ok: true } })));
    expect(signal.alert.title).toHaveLength(500);
    expect(signal.alert.labels).toMatchObject({ count: '3', ok: 'true' });
  });

  it('accepts an empty group as no signals', () => {
    const result = mapAlertmanager({ ...base, alerts: [] });
    expect(result).toMatchObject({ ok: true, signals: [] });
  });
});

describe('mapAlertmanager, malformed payloads', () => {
  const base = fixture('alertmanager-v4-probe-failure.json');

  it.each([
    ['not an object', 'firing', [{ pointer: '', detail: 'must be an object' }]],
    ['no alerts', { ...base, alerts: undefined }, [{ pointer: '/alerts', detail: 'is required' }]],
    ['alerts not an array', { ...base, alerts: {} }, [{ pointer: '/alerts', detail: 'must be an array' }]],
    ['an unknown group status', { ...base, status: 'pending' }, [{ pointer: '/status', detail: 'must be one of: firing, resolved' }]],
    ['a negative truncatedAlerts', { ...base, truncatedAlerts: -1 }, [{ pointer: '/truncatedAlerts', detail: 'must be at least 0' }]],
    ['an alert without status', { ...base, alerts: [{ ...base.alerts[0], status: undefined }] }, [{ pointer: '/alerts/0/status', detail: 'is required' }]],
    ['an alert with an unknown status', { ...base, alerts: [{ ...base.alerts[0], status: 'pending' }] }, [{ pointer: '/alerts/0/status', detail: 'must be one of: firing, resolved' }]],
    ['an alert without labels', { ...base, alerts: [{ ...base.alerts[0], labels: undefined }] }, [{ pointer: '/alerts/0/labels', detail: 'is required' }]],
    ['a label that is an object', { ...base, alerts: [{ ...base.alerts[0], labels: { a: { b: 1 } } }] }, [{ pointer: '/alerts/0/labels/a', detail: 'has an unexpected type or value' }]],
    ['an unreadable startsAt', { ...base, alerts: [{ ...base.alerts[0], startsAt: 'yesterday' }] }, [{ pointer: '/alerts/0/startsAt', detail: 'must be an RFC 3339 date-time' }]],
    ['an unreadable endsAt', { ...base, alerts: [{ ...base.alerts[0], endsAt: 42 }] }, [{ pointer: '/alerts/0/endsAt', detail: 'must be a string' }]],
    ['a blank fingerprint', { ...base, alerts: [{ ...base.alerts[0], fingerprint: '  ' }] }, [{ pointer: '/alerts/0/fingerprint', detail: 'must not be empty' }]],
    ['an alert that is not an object', { ...base, alerts: [base.alerts[0], 'x'] }, [{ pointer: '/alerts/1', detail: 'must be an object' }]],
  ])('names the bad field: %s', (_, body, expected) => {
    expect(errors(mapAlertmanager(body))).toEqual(expected);
  });

  it('names each bad alert of a group', () => {
    const body = { ...base, alerts: [{ ...base.alerts[0], status: 'x' }, base.alerts[0], { ...base.alerts[0], labels: 1 }] };
    expect(errors(mapAlertmanager(body)).map((e) => e.pointer)).toEqual(['/alerts/0/status', '/alerts/2/labels']);
  });
});

describe('mapAlertmanager, any input (property)', () => {
  it('never throws on anything', () => {
    fc.assert(
      fc.property(fc.anything({ withNullPrototype: true, withObjectString: true }), (body) => {
        expect(problems(mapAlertmanager(body))).toEqual([]);
      }),
    );
  });

  const text = fc.string({ unit: 'grapheme', maxLength: 600 });
  const labelMap = fc.dictionary(fc.string({ maxLength: 250 }), fc.oneof(fc.string({ maxLength: 2500 }), fc.integer(), fc.boolean()), { maxKeys: 130 });
  const alertArb = fc.record(
    {
      status: fc.constantFrom('firing', 'resolved'),
      labels: labelMap,
      annotations: fc.dictionary(fc.constantFrom('summary', 'description', 'runbook_url', 'x'), text),
      startsAt: fc.oneof(fc.date({ noInvalidDate: true }).map((d) => d.toISOString()), fc.constant('0001-01-01T00:00:00Z'), fc.string()),
      endsAt: fc.constant('0001-01-01T00:00:00Z'),
      generatorURL: fc.webUrl(),
      fingerprint: fc.oneof(fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: 16, maxLength: 16 }), fc.string({ maxLength: 300 })),
    },
    { requiredKeys: ['status', 'labels'] },
  );

  it('maps near-valid groups into canonical alerts or names the bad fields', () => {
    fc.assert(
      fc.property(
        fc.record({ version: fc.constant('4'), receiver: text, groupKey: text, truncatedAlerts: fc.nat(), alerts: fc.array(alertArb, { maxLength: 5 }) }, { requiredKeys: ['alerts'] }),
        (body) => {
          const result = mapAlertmanager(body);
          expect(problems(result)).toEqual([]);
          if (result.ok) expect(result.signals).toHaveLength(body.alerts.length);
        },
      ),
    );
  });
});
