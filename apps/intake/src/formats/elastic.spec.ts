import fc from 'fast-check';
import { errors, fixture, problems, signals } from './__fixtures__/harness';
import { mapElastic } from './elastic';


/** Writes every dotted key as nested objects: {"a.b": 1} → {a: {b: 1}}. */
function nest(doc: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(doc)) {
    const parts = key.split('.');
    let node = out;
    for (const part of parts.slice(0, -1)) node = (node[part] ??= {}) as Record<string, unknown>;
    const last = parts[parts.length - 1];
    node[last] = value && typeof value === 'object' && !Array.isArray(value) ? { ...(node[last] as object), ...nest(value as Record<string, unknown>) } : value;
  }
  return out;
}

/** Writes every field flattened, each value in an array, as the Elasticsearch `fields` API returns them. */
function fieldsOf(doc: Record<string, unknown>, prefix = '', out: Record<string, unknown[]> = {}): Record<string, unknown[]> {
  for (const [key, value] of Object.entries(doc)) {
    const path = prefix + key;
    if (value && typeof value === 'object' && !Array.isArray(value)) fieldsOf(value as Record<string, unknown>, `${path}.`, out);
    else out[path] = Array.isArray(value) ? value : [value];
  }
  return out;
}

describe('mapElastic, documented alert documents', () => {
  const flattened = fixture('elastic-alert-flattened.json');

  it('maps an alert document as stored (kibana.alert.* flattened, ECS nested)', () => {
    const [s] = signals(mapElastic(flattened));
    expect(s.action).toBe('trigger');
    expect(s.format).toBe('elastic');
    expect(s.raw).toBe(flattened);
    expect(s.alert).toMatchObject({
      title: 'Multiple Logon Failure from the same Source Address',
      source: 'elastic-security:default',
      severity: 'medium',
      occurredAt: '2025-06-02T07:08:52.956Z',
      description:
        'authentication event with source 192.168.4.101 by denny on desktop-niu0ucp created medium alert Multiple Logon Failure from the same Source Address.\n\n' +
        'Identifies multiple consecutive logon failures from the same source address and within a short time interval.',
      assets: [{ id: '1a43f10e-f342-4e14-a82c-84245a382736', hostname: 'desktop-niu0ucp', ip: '192.168.4.100' }],
      observables: [
        { type: 'ip', value: '192.168.4.101' },
        { type: 'ip', value: 'fe80::1afa:fd11:68c3:3ffa' },
        { type: 'ip', value: '192.168.4.100' },
        { type: 'user', value: 'denny' },
        { type: 'hostname', value: 'desktop-niu0ucp' },
      ],
    });
    expect(s.alert.dedupKey).toMatch(/^elastic:[0-9a-f]{40}$/);
    expect(s.alert.labels).toEqual({
      'elastic.rule_uuid': '0945c418-c530-45ea-b998-02350c260c5b',
      'elastic.rule_id': '48b6edfc-079d-4907-b43c-baffa243270d',
      'elastic.rule_type': 'eql',
      'elastic.alert_uuid': '10da92e0b4351ac7b6a3460814f87d13204b7dad67818290dadffdbfff7482b1',
      'elastic.workflow_status': 'open',
      'elastic.severity': 'medium',
      'elastic.risk_score': '47',
      'elastic.space': 'default',
      'elastic.tactics': 'TA0006',
      'elastic.techniques': 'T1110, T1110.001',
      tags: 'Domain: Endpoint, OS: Windows, Tactic: Credential Access',
    });
  });

  it('maps the same alert written fully nested, or as a search hit with _source, identically', () => {
    const [flat] = signals(mapElastic(flattened));
    const [nested] = signals(mapElastic(nest(flattened)));
    expect(nested.alert).toEqual(flat.alert);
    const hit = { _index: '.internal.alerts-security.alerts-default-000001', _id: 'x', _source: flattened };
    expect(signals(mapElastic(hit))[0].alert).toEqual(flat.alert);
  });

  it('reads the Elasticsearch fields API, where every value is an array', () => {
    const [flat] = signals(mapElastic(flattened));
    const [fromFields] = signals(mapElastic({ _id: 'x', _source: {}, fields: fieldsOf(nest(flattened)) }));
    expect(fromFields.alert).toMatchObject({ title: flat.alert.title, severity: 'medium', occurredAt: flat.alert.occurredAt, dedupKey: flat.alert.dedupKey });
  });

  it('maps a nested, closed alert without severity: resolve, severity from the risk score', () => {
    const [s] = signals(mapElastic(fixture('elastic-alert-nested-closed.json')));
    expect(s.action).toBe('resolve');
    expect(s.alert).toMatchObject({
      title: 'Potential Credential Access via LSASS Memory Dump',
      source: 'elastic-security:soc',
      severity: 'high',
      occurredAt: '2026-11-24T06:40:00.000Z',
      assets: [{ hostname: 'web-01', ip: '10.0.4.21' }],
    });
    expect(s.alert.observables).toEqual(
      expect.arrayContaining([
        { type: 'url', value: 'https://exfil.example.net/upload?id=7' },
        { type: 'domain', value: 'exfil.example.net' },
        { type: 'hash', value: 'd41d8cd98f00b204e9800998ecf8427e' },
        { type: 'hash', value: '0f3f0d0a6c1b2e8f4a7d9c3b5e1f2a4c6d8e0b2a4c6e8f0a2b4c6d8e0f2a4c6e' },
        { type: 'user', value: 'svc_backup' },
      ]),
    );
  });

  it('takes an array of alerts and {alerts: [...]}', () => {
    const both = [flattened, fixture('elastic-alert-nested-closed.json')];
    expect(signals(mapElastic(both)).map((s) => s.action)).toEqual(['trigger', 'resolve']);
    expect(signals(mapElastic({ alerts: both })).map((s) => s.action)).toEqual(['trigger', 'resolve']);
  });
});

describe('mapElastic, deduplication', () => {
  const flattened = fixture('elastic-alert-flattened.json');
  const key = (doc: unknown) => signals(mapElastic(doc))[0].alert.dedupKey;

  it('is the same for a new alert of the same rule on the same host', () => {
    const again = { ...flattened, 'kibana.alert.uuid': 'another-alert', '@timestamp': '2025-06-02T08:00:00Z', host: { ...flattened.host, name: 'DESKTOP-NIU0UCP' } };
    expect(key(again)).toBe(key(flattened));
  });

  it('differs for another host or another rule', () => {
    expect(key({ ...flattened, host: { name: 'desktop-other' } })).not.toBe(key(flattened));
    expect(key({ ...flattened, 'kibana.alert.rule.uuid': 'other-rule' })).not.toBe(key(flattened));
  });

  it('falls back to the alert uuid without a host, and to the rule without either', () => {
    const { host: _h, ...noHost } = flattened;
    expect(key(noHost)).toBe('elastic:alert:10da92e0b4351ac7b6a3460814f87d13204b7dad67818290dadffdbfff7482b1');
    const { 'kibana.alert.uuid': _u, ...neither } = noHost;
    expect(key(neither)).toMatch(/^elastic:[0-9a-f]{40}$/);
  });
});

describe('mapElastic, choices', () => {
  const flattened = fixture('elastic-alert-flattened.json');
  const map = (patch: Record<string, unknown>) => signals(mapElastic({ ...flattened, ...patch }))[0];

  it.each([
    ['open', 'trigger'],
    ['acknowledged', 'acknowledge'],
    ['in-progress', 'acknowledge'],
    ['closed', 'resolve'],
    ['CLOSED', 'resolve'],
  ])('workflow_status %s is a %s', (status, action) => {
    expect(map({ 'kibana.alert.workflow_status': status }).action).toBe(action);
  });

  it('resolves a recovered alert', () => {
    expect(map({ 'kibana.alert.status': 'recovered' }).action).toBe('resolve');
  });

  it('reads 7.x signal.* names', () => {
    const legacy = {
      '@timestamp': '2021-03-01T10:00:00Z',
      signal: { rule: { name: 'Legacy rule', id: 'r-7', severity: 'critical', risk_score: 99 }, status: 'closed', original_time: '2021-03-01T09:59:00Z' },
      host: { name: 'old-host' },
    };
    const [s] = signals(mapElastic(legacy));
    expect(s).toMatchObject({ action: 'resolve', alert: { title: 'Legacy rule', severity: 'critical', occurredAt: '2021-03-01T09:59:00.000Z' } });
  });

  it('titles an alert without rule name by its reason, and uses @timestamp without original_time', () => {
    const { 'kibana.alert.rule.name': _n, 'kibana.alert.original_time': _t, ...rest } = flattened;
    expect(signals(mapElastic(rest))[0].alert).toMatchObject({ title: flattened['kibana.alert.reason'].slice(0, 500), occurredAt: '2025-06-02T07:08:52.979Z' });
  });
});

describe('mapElastic, malformed documents', () => {
  const flattened = fixture('elastic-alert-flattened.json');

  it.each([
    ['not an alert', { '@timestamp': '2025-06-02T07:08:52Z', message: 'hello' }, [['', expect.stringMatching(/^is not an Elastic Security alert/)]]],
    ['not an object', 'alert', [['', 'must be an object']]],
    ['a rule name that is a number', { ...flattened, 'kibana.alert.rule.name': 42 }, [['/kibana.alert.rule.name', 'must be a string']]],
    ['a nested rule name that is an object', { kibana: { alert: { rule: { name: { x: 1 } } } } }, [['/kibana/alert/rule/name', 'must be a string']]],
    ['an unreadable original_time', { ...flattened, 'kibana.alert.original_time': 'yesterday' }, [['/kibana.alert.original_time', 'must be an ISO 8601 date-time']]],
    ['an unreadable @timestamp', { ...flattened, '@timestamp': 1 }, [['/@timestamp', 'must be a string']]],
    ['a host name that is a list of numbers', { ...flattened, host: { name: [1, 2] } }, [['/host/name', 'must be a string']]],
  ])('names the bad field: %s', (_, body, expected) => {
    expect(errors(mapElastic(body)).map((e) => [e.pointer, e.detail])).toEqual(expected);
  });

  it('names the bad item of an array and of {alerts}', () => {
    expect(errors(mapElastic([flattened, 7])).map((e) => e.pointer)).toEqual(['/1']);
    expect(errors(mapElastic({ alerts: [flattened, { ...flattened, 'kibana.alert.severity': false }] })).map((e) => e.pointer)).toEqual(['/alerts/1/kibana.alert.severity']);
    expect(errors(mapElastic([]))).toEqual([{ pointer: '', detail: 'must not be empty' }]);
    expect(errors(mapElastic(Array.from({ length: 1001 }, () => flattened)))).toEqual([{ pointer: '', detail: 'must have at most 1000 alerts' }]);
  });
});

describe('mapElastic, any input (property)', () => {
  it('never throws on anything', () => {
    fc.assert(
      fc.property(fc.anything({ withNullPrototype: true, withObjectString: true }), (body) => {
        expect(problems(mapElastic(body))).toEqual([]);
      }),
    );
  });

  it('maps near-valid documents, flattened or nested, into canonical alerts or names the bad fields', () => {
    const doc = fc.record(
      {
        '@timestamp': fc.oneof(fc.date({ noInvalidDate: true }).map((d) => d.toISOString()), fc.string()),
        'kibana.alert.rule.name': fc.string({ unit: 'grapheme', maxLength: 700 }),
        'kibana.alert.rule.uuid': fc.uuid(),
        'kibana.alert.uuid': fc.string({ maxLength: 300 }),
        'kibana.alert.severity': fc.constantFrom('low', 'medium', 'high', 'critical', 'x'),
        'kibana.alert.risk_score': fc.oneof(fc.integer({ min: -10, max: 200 }), fc.string()),
        'kibana.alert.workflow_status': fc.constantFrom('open', 'acknowledged', 'closed'),
        'kibana.alert.reason': fc.lorem(),
        'host.name': fc.oneof(fc.domain(), fc.string({ maxLength: 300 })),
        'host.ip': fc.array(fc.oneof(fc.ipV4(), fc.ipV6(), fc.string()), { maxLength: 3 }),
        'source.ip': fc.oneof(fc.ipV4(), fc.string()),
        'url.full': fc.webUrl(),
        'file.hash.sha256': fc.string({ unit: fc.constantFrom(...'0123456789abcdefABCDEF'), minLength: 64, maxLength: 64 }),
        'user.name': fc.string(),
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(doc, fc.boolean(), (d, nested) => {
        expect(problems(mapElastic(nested ? nest(d) : d))).toEqual([]);
      }),
    );
  });
});
