import fc from 'fast-check';
import { errors, fixture, problems, signals } from './__fixtures__/harness';
import { mapOcsf, ocsfAction } from './ocsf';


describe('mapOcsf, documented findings', () => {
  it('maps a Detection Finding (OCSF 1.3) created by an EDR', () => {
    const body = fixture('ocsf-detection-finding.json');
    const [s] = signals(mapOcsf(body));
    expect(s.action).toBe('trigger');
    expect(s.format).toBe('ocsf');
    expect(s.raw).toBe(body);
    expect(s.alert).toMatchObject({
      title: 'Credential dumping detected',
      source: 'Example EDR',
      severity: 'high',
      occurredAt: '2025-11-24T15:55:00.000Z', // start_time, epoch milliseconds
      dedupKey: 'ocsf:edr-4711',
      description:
        'An unsigned process opened lsass.exe with PROCESS_VM_READ and wrote a minidump to C:\\Windows\\Temp\\trouble.dmp.\n\n' +
        'LSASS memory read by an unsigned process on r2-d2.example.com\n\n' +
        'ATT&CK: TA0006 Credential Access / T1003.001 LSASS Memory',
      assets: [
        { id: 'arn:aws:ec2:us-east-1:522536594833:instance/i-0a1b2c3d4e5f60718', name: 'payroll-db' },
        { id: 'd-00217', hostname: 'r2-d2.example.com', ip: '192.168.200.24' },
      ],
    });
    expect(s.alert.labels).toMatchObject({
      'ocsf.class_name': 'Detection Finding',
      'ocsf.activity': 'Create',
      'ocsf.status': 'New',
      'ocsf.severity': 'High',
      'ocsf.analytic': 'lsass-access',
      'ocsf.attacks': 'T1003.001, TA0006',
      'ocsf.vendor': 'Example Corp',
      'ocsf.version': '1.3.0',
    });
    expect(s.alert.observables).toEqual([
      { type: 'hostname', value: 'r2-d2.example.com' },
      { type: 'ip', value: '192.168.200.24' },
      { type: 'ip', value: '2001:db8:85a3::8a2e:370:7334' },
      { type: 'other', value: '18:36:F3:98:4F:9A' },
      { type: 'user', value: 'john_doe' },
      { type: 'email', value: 'john_doe@example.com' },
      { type: 'url', value: 'http://www.example.com/download/trouble.exe' },
      { type: 'file', value: 'trouble.exe' },
      { type: 'hash', value: '3172ac7e2b55cbb81f04a6e65855a628' },
      { type: 'other', value: 'trouble.exe' },
    ]);
  });

  it('resolves on Close, on the same dedup key as the Create', () => {
    const [created] = signals(mapOcsf(fixture('ocsf-detection-finding.json')));
    const [closed] = signals(mapOcsf(fixture('ocsf-detection-finding-close.json')));
    expect(closed.action).toBe('resolve');
    expect(closed.alert.dedupKey).toBe(created.alert.dedupKey);
    expect(closed.alert.occurredAt).toBe('2025-11-24T17:00:00.000Z');
  });

  it("maps AlphaSOC's documented finding, whose time is in epoch seconds", () => {
    const [s] = signals(mapOcsf(fixture('ocsf-detection-finding-alphasoc.json')));
    expect(s.alert).toMatchObject({
      title: 'Multiple long hostnames queried (DNS tunneling)',
      source: 'AlphaSOC Analytics Engine',
      severity: 'high',
      occurredAt: '2024-08-17T14:38:23.000Z',
      dedupKey: 'ocsf:94a81d5a-26af-569f-a137-f21f22ec6873',
    });
    expect(s.alert.labels).toMatchObject({ 'ocsf.class_name': 'DetectionFinding', 'ocsf.count': '22' });
    expect(s.alert.observables).toEqual(
      expect.arrayContaining([
        { type: 'ip', value: '10.14.1.43' },
        { type: 'hostname', value: 'evrl.to' },
      ]),
    );
  });

  it('maps an array of findings, one signal each', () => {
    const list = [fixture('ocsf-detection-finding.json'), fixture('ocsf-detection-finding-alphasoc.json'), fixture('ocsf-detection-finding-close.json')];
    expect(signals(mapOcsf(list)).map((s) => [s.action, s.alert.dedupKey])).toEqual([
      ['trigger', 'ocsf:edr-4711'],
      ['trigger', 'ocsf:94a81d5a-26af-569f-a137-f21f22ec6873'],
      ['resolve', 'ocsf:edr-4711'],
    ]);
  });
});

describe('mapOcsf, choices', () => {
  const base = fixture('ocsf-detection-finding.json');

  it.each([
    [{ activity_id: 1 }, 'trigger'],
    [{ activity_id: 2 }, 'trigger'],
    [{ activity_id: 3 }, 'resolve'],
    [{ activity_id: 2, status_id: 4 }, 'resolve'],
    [{ activity_id: 2, status_id: 3 }, 'resolve'],
    [{ activity_id: 2, status_id: 5 }, 'resolve'],
    [{ activity_id: 2, status_id: 2 }, 'trigger'],
    [{ activity_id: 99 }, 'trigger'],
    [{ state_id: 4 }, 'resolve'],
    [{}, 'trigger'],
  ])('%j is a %s', (finding, action) => {
    expect(ocsfAction(finding)).toBe(action);
  });

  it('prefers the start of the activity, then the event time; understands microseconds', () => {
    const at = (patch: Record<string, unknown>) => {
      const { start_time: _s, ...rest } = base;
      return signals(mapOcsf({ ...rest, ...patch }))[0].alert.occurredAt;
    };
    expect(at({})).toBe('2025-11-24T16:00:00.000Z');
    expect(at({ time: 1722951737015847 })).toBe('2024-08-06T13:42:17.015Z');
    expect(at({ time_dt: '2024-08-17T16:38:23+02:00' })).toBe('2024-08-17T14:38:23.000Z');
    expect(at({ start_time_dt: '2026-01-01T00:00:00Z' })).toBe('2026-01-01T00:00:00.000Z');
  });

  it('titles a finding without title by its message, then its analytic', () => {
    const { title: _t, ...info } = base.finding_info;
    expect(signals(mapOcsf({ ...base, finding_info: info }))[0].alert.title).toBe('LSASS memory read by an unsigned process on r2-d2.example.com');
    expect(signals(mapOcsf({ ...base, message: undefined, finding_info: info }))[0].alert.title).toBe('lsass-access');
    expect(signals(mapOcsf({ class_uid: 2004, finding_info: { uid: 7 } }))[0].alert).toMatchObject({ title: 'OCSF Detection Finding 7', source: 'ocsf', severity: 'medium', dedupKey: 'ocsf:7' });
  });

  it('hashes a finding uid too long for a dedup key', () => {
    const [s] = signals(mapOcsf({ ...base, finding_info: { ...base.finding_info, uid: 'u'.repeat(400) } }));
    expect(s.alert.dedupKey).toMatch(/^ocsf:sha256:[0-9a-f]{64}$/);
  });

  it('keeps at most 100 assets and 500 observables', () => {
    const resources = Array.from({ length: 150 }, (_, i) => ({ uid: `r-${i}` }));
    const observables = Array.from({ length: 700 }, (_, i) => ({ type_id: 2, value: `10.${Math.floor(i / 256)}.${i % 256}.1` }));
    const [s] = signals(mapOcsf({ ...base, resources, observables }));
    expect(s.alert.assets).toHaveLength(100);
    expect(s.alert.observables).toHaveLength(500);
  });
});

describe('mapOcsf, malformed findings', () => {
  const base = fixture('ocsf-detection-finding.json');

  it.each([
    ['a Security Finding', { ...base, class_uid: 2001 }, [['/class_uid', 'must be 2004 (Detection Finding); this endpoint takes Detection Findings only, not 2001 (Security Finding)']]],
    ['an unknown class', { ...base, class_uid: 4001 }, [['/class_uid', 'must be 2004 (Detection Finding); this endpoint takes Detection Findings only, not 4001']]],
    ['no class_uid', { ...base, class_uid: undefined }, [['/class_uid', 'is required']]],
    ['class_uid as text', { ...base, class_uid: '2004' }, [['/class_uid', 'must be a number']]],
    ['no finding_info', { ...base, finding_info: undefined }, [['/finding_info', 'is required']]],
    ['no finding_info.uid', { ...base, finding_info: { title: 'x' } }, [['/finding_info/uid', 'is required']]],
    ['a blank finding_info.uid', { ...base, finding_info: { uid: ' ' } }, [['/finding_info/uid', 'must not be empty']]],
    ['severity_id as text', { ...base, severity_id: 'High' }, [['/severity_id', 'must be a number']]],
    ['time as text', { ...base, time: 'now' }, [['/time', 'must be a number']]],
    ['a negative time', { ...base, time: -5 }, [['/time', 'must be an epoch timestamp (milliseconds) after 1970']]],
    ['an unreadable time_dt', { ...base, time_dt: 'noon' }, [['/time_dt', 'must be an RFC 3339 date-time']]],
    ['an observable without type_id', { ...base, observables: [{ value: 'x' }] }, [['/observables/0/type_id', 'is required']]],
    ['resources not an array', { ...base, resources: {} }, [['/resources', 'must be an array']]],
    ['not an object', 'finding', [['', 'must be an object']]],
  ])('names the bad field: %s', (_, body, expected) => {
    expect(errors(mapOcsf(body)).map((e) => [e.pointer, e.detail])).toEqual(expected);
  });

  it('names the bad item of an array', () => {
    const body = [base, { ...base, class_uid: 2002 }, { ...base, finding_info: {} }];
    expect(errors(mapOcsf(body)).map((e) => e.pointer)).toEqual(['/1/class_uid', '/2/finding_info/uid']);
  });

  it('refuses more than 1,000 findings', () => {
    expect(errors(mapOcsf(Array.from({ length: 1001 }, () => base)))).toEqual([{ pointer: '', detail: 'must have at most 1000 findings' }]);
  });
});

describe('mapOcsf, any input (property)', () => {
  it('never throws on anything', () => {
    fc.assert(
      fc.property(fc.anything({ withNullPrototype: true, withObjectString: true }), (body) => {
        expect(problems(mapOcsf(body))).toEqual([]);
      }),
    );
  });

  it('maps near-valid findings into canonical alerts or names the bad fields', () => {
    const finding = fc.record(
      {
        class_uid: fc.constantFrom(2004, 2004, 2001),
        activity_id: fc.constantFrom(0, 1, 2, 3, 99),
        severity_id: fc.constantFrom(0, 1, 2, 3, 4, 5, 6, 99, 7),
        status_id: fc.constantFrom(1, 2, 3, 4, 99),
        time: fc.oneof(fc.integer({ min: 0, max: 2 ** 53 - 1 }), fc.double()),
        message: fc.string({ unit: 'grapheme', maxLength: 700 }),
        metadata: fc.record({ product: fc.record({ name: fc.string({ maxLength: 300 }) }) }),
        finding_info: fc.record({ uid: fc.oneof(fc.string({ maxLength: 300 }), fc.integer()), title: fc.string({ maxLength: 700 }), desc: fc.lorem() }, { requiredKeys: ['uid'] }),
        resources: fc.array(fc.record({ uid: fc.string(), name: fc.string({ maxLength: 300 }), ip: fc.oneof(fc.ipV4(), fc.string()) }, { requiredKeys: [] }), { maxLength: 4 }),
        observables: fc.array(fc.record({ type_id: fc.integer({ min: 0, max: 99 }), value: fc.oneof(fc.string(), fc.ipV4(), fc.domain(), fc.webUrl()) }), { maxLength: 6 }),
      },
      { requiredKeys: ['class_uid', 'finding_info'] },
    );
    fc.assert(
      fc.property(fc.oneof(finding, fc.array(finding, { maxLength: 3 })), (body) => {
        expect(problems(mapOcsf(body))).toEqual([]);
      }),
    );
  });
});
