import type { AlertReceivedV1, CorrelationRuleKind, EventData, ObservableType } from '@vigil/contracts';
import { boundedKey, GROUP_KEY_LABEL, KEY_PREFIX_CHARACTERS, KEY_PRIORITY, MAX_KEY_BYTES, MAX_KEYS, correlationKeys, referencedIncident, type CorrelationKey, type CorrelationRule } from './correlation-keys';

type AlertReceived = EventData<typeof AlertReceivedV1>;

const RECEIVED_AT = '2026-11-24T06:41:00.000Z';
const registeredAssetId = '5b6c7d8e-9f0a-4b1c-8d2e-3f4a5b6c7d8e';
const incidentId = '3f1c2b4a-5d6e-4f70-8a9b-0c1d2e3f4a5b';

function alertReceived(overrides: Partial<AlertReceived> = {}): AlertReceived {
  return {
    alertId: '7a8b9c0d-1e2f-4a3b-9c4d-5e6f7a8b9c0d',
    dedupKey: 'edr-4711',
    title: 'Credential dumping detected on web-01',
    source: 'edr:crowdstrike',
    severity: 'high',
    occurredAt: '2026-11-24T06:40:00.000Z',
    receivedAt: RECEIVED_AT,
    labels: {},
    assets: [],
    observables: [],
    exercise: false,
    ...overrides,
  };
}

function rule(kind: CorrelationRuleKind, overrides: Partial<CorrelationRule> = {}): CorrelationRule {
  return { kind, enabled: true, windowSeconds: 3600, observableTypes: [], ...overrides };
}

/** `seconds` before the alert was received. */
const before = (seconds: number) => new Date(new Date(RECEIVED_AT).getTime() - seconds * 1000);
const ofKind = (keys: CorrelationKey[], kind: CorrelationKey['kind']) => keys.filter((k) => k.kind === kind);

describe(correlationKeys.name, () => {
  describe('dedup key', () => {
    it('is the only key when no rule applies, and has no window', () => {
      expect(correlationKeys(alertReceived(), [], [])).toEqual([{ kind: 'dedup_key', key: 'real|edr-4711', since: null }]);
    });

    it('is scoped by the dedup namespace: the same key from another integration is another key', () => {
      const a = correlationKeys(alertReceived({ dedupNamespace: 'integration:7d1e…a' }), [], []);
      const b = correlationKeys(alertReceived({ dedupNamespace: 'integration:0c2f…b' }), [], []);
      expect(a).toEqual([{ kind: 'dedup_key', key: 'real|integration:7d1e…a|edr-4711', since: null }]);
      expect(b[0].key).not.toBe(a[0].key);
      const shared = correlationKeys(alertReceived({ dedupNamespace: 'shared:monitoring' }), [], []);
      expect(shared).toEqual(correlationKeys(alertReceived({ dedupNamespace: 'shared:monitoring', alertId: 'b0b0b0b0-1e2f-4a3b-9c4d-5e6f7a8b9c0d' }), [], []));
    });

    it('stays unwindowed whatever window the rules have', () => {
      const rules = [rule('group_key', { windowSeconds: 60 }), rule('asset_category', { windowSeconds: 60 }), rule('observable', { windowSeconds: 60, observableTypes: ['ip'] })];
      const keys = correlationKeys(alertReceived({ labels: { [GROUP_KEY_LABEL]: 'g' }, category: 'malware', assets: [{ hostname: 'web-01' }] }), rules, []);
      expect(ofKind(keys, 'dedup_key')).toEqual([{ kind: 'dedup_key', key: 'real|edr-4711', since: null }]);
    });
  });

  describe('group key', () => {
    const grouped = alertReceived({ labels: { [GROUP_KEY_LABEL]: '{}:{alertname="HighCPU"}' } });

    it(`comes from the ${GROUP_KEY_LABEL} label, windowed by the rule`, () => {
      expect(ofKind(correlationKeys(grouped, [rule('group_key', { windowSeconds: 900 })], []), 'group_key')).toEqual([
        { kind: 'group_key', key: 'real|{}:{alertname="HighCPU"}', since: before(900) },
      ]);
    });

    it('has no window when the rule has none', () => {
      expect(ofKind(correlationKeys(grouped, [rule('group_key', { windowSeconds: null })], []), 'group_key')).toEqual([
        { kind: 'group_key', key: 'real|{}:{alertname="HighCPU"}', since: null },
      ]);
    });

    it('is not made when the group_key rule is disabled', () => {
      expect(ofKind(correlationKeys(grouped, [rule('group_key', { enabled: false })], []), 'group_key')).toEqual([]);
    });

    it('is not made without the group_key rule', () => {
      expect(ofKind(correlationKeys(grouped, [rule('asset_category'), rule('observable')], []), 'group_key')).toEqual([]);
    });

    it.each<Record<string, string>>([{}, { [GROUP_KEY_LABEL]: '' }, { groupKey: 'g' }, { 'alertmanager.groupkey': 'g' }])('is not made from the labels %p', (labels) => {
      expect(ofKind(correlationKeys(alertReceived({ labels }), [rule('group_key')], []), 'group_key')).toEqual([]);
    });
  });

  describe('asset and category keys', () => {
    const assetRule = rule('asset_category', { windowSeconds: 7200 });

    it('makes one key per identity of each asset, with the category, windowed by the rule', () => {
      const alert = alertReceived({ category: 'malware', assets: [{ id: ' CMDB-42 ', hostname: 'Web-01.Example.COM.', ip: '10.0.4.21', name: 'Web server' }] });
      expect(ofKind(correlationKeys(alert, [assetRule], [registeredAssetId]), 'asset_category')).toEqual([
        { kind: 'asset_category', key: `real|asset:${registeredAssetId}|malware`, since: before(7200) },
        { kind: 'asset_category', key: 'real|id:cmdb-42|malware', since: before(7200) },
        { kind: 'asset_category', key: 'real|host:web-01.example.com|malware', since: before(7200) },
        { kind: 'asset_category', key: 'real|ip:10.0.4.21|malware', since: before(7200) },
      ]);
    });

    it('lower-cases an IPv6 address', () => {
      const alert = alertReceived({ category: 'malware', assets: [{ ip: '2001:DB8::1' }] });
      expect(ofKind(correlationKeys(alert, [assetRule], []), 'asset_category').map((k) => k.key)).toEqual(['real|ip:2001:db8::1|malware']);
    });

    it('makes one key for the same host spelt differently by two assets', () => {
      const alert = alertReceived({ category: 'phishing', assets: [{ hostname: 'MAIL-01' }, { hostname: ' mail-01. ' }] });
      expect(ofKind(correlationKeys(alert, [assetRule], []), 'asset_category').map((k) => k.key)).toEqual(['real|host:mail-01|phishing']);
    });

    it('keys a registered asset by its register id even when the alert names it otherwise', () => {
      const byHost = alertReceived({ category: 'malware', assets: [{ hostname: 'web-01' }] });
      const byIp = alertReceived({ category: 'malware', assets: [{ ip: '10.0.4.21' }] });
      const keysOf = (a: AlertReceived) => ofKind(correlationKeys(a, [assetRule], [registeredAssetId]), 'asset_category').map((k) => k.key);
      expect(keysOf(byHost)).toContain(`real|asset:${registeredAssetId}|malware`);
      expect(keysOf(byIp)).toContain(`real|asset:${registeredAssetId}|malware`);
    });

    it('keeps different categories on the same asset apart', () => {
      const keysOf = (category: AlertReceived['category']) =>
        correlationKeys(alertReceived({ category, assets: [{ hostname: 'web-01' }] }), [assetRule], []).filter((k) => k.kind === 'asset_category');
      expect(keysOf('malware')[0].key).not.toBe(keysOf('phishing')[0].key);
    });

    it('makes none when the alert has no category', () => {
      const alert = alertReceived({ assets: [{ hostname: 'web-01', ip: '10.0.4.21' }] });
      expect(ofKind(correlationKeys(alert, [assetRule], [registeredAssetId]), 'asset_category')).toEqual([]);
    });

    it('makes none when the asset_category rule is disabled', () => {
      const alert = alertReceived({ category: 'malware', assets: [{ hostname: 'web-01' }] });
      expect(ofKind(correlationKeys(alert, [rule('asset_category', { enabled: false })], [registeredAssetId]), 'asset_category')).toEqual([]);
    });

    it('makes none for an asset known only by its name', () => {
      const alert = alertReceived({ category: 'malware', assets: [{ name: 'Payroll server' }] });
      expect(ofKind(correlationKeys(alert, [assetRule], []), 'asset_category')).toEqual([]);
    });
  });

  describe('observable keys', () => {
    const observableRule = rule('observable', { windowSeconds: 600, observableTypes: ['ip', 'domain'] });

    it("makes keys only for the rule's observable types, lower-cased and trimmed", () => {
      const alert = alertReceived({
        observables: [
          { type: 'ip', value: ' 203.0.113.7 ' },
          { type: 'domain', value: 'Evil.Example.COM' },
          { type: 'hash', value: 'D41D8CD98F00B204E9800998ECF8427E' },
          { type: 'user', value: 'alice' },
        ],
      });
      expect(ofKind(correlationKeys(alert, [observableRule], []), 'observable')).toEqual([
        { kind: 'observable', key: 'real|ip:203.0.113.7', since: before(600) },
        { kind: 'observable', key: 'real|domain:evil.example.com', since: before(600) },
      ]);
    });

    it('makes one key for the same value spelt differently', () => {
      const alert = alertReceived({ observables: [{ type: 'domain', value: 'evil.example' }, { type: 'domain', value: ' EVIL.example ' }] });
      expect(ofKind(correlationKeys(alert, [observableRule], []), 'observable')).toHaveLength(1);
    });

    it('keeps the same value of different types apart', () => {
      const alert = alertReceived({ observables: [{ type: 'hostname', value: 'web-01' }, { type: 'user', value: 'web-01' }] });
      const keys = ofKind(correlationKeys(alert, [rule('observable', { observableTypes: ['hostname', 'user'] })], []), 'observable');
      expect(keys.map((k) => k.key)).toEqual(['real|hostname:web-01', 'real|user:web-01']);
    });

    it('makes none when the rule names no type', () => {
      const alert = alertReceived({ observables: [{ type: 'ip', value: '203.0.113.7' }] });
      expect(ofKind(correlationKeys(alert, [rule('observable', { observableTypes: [] })], []), 'observable')).toEqual([]);
    });

    it('makes none when the observable rule is disabled', () => {
      const alert = alertReceived({ observables: [{ type: 'ip', value: '203.0.113.7' }] });
      expect(ofKind(correlationKeys(alert, [{ ...observableRule, enabled: false }], []), 'observable')).toEqual([]);
    });
  });

  it('makes only the dedup key when every rule is disabled', () => {
    const alert = alertReceived({
      category: 'malware',
      labels: { [GROUP_KEY_LABEL]: 'g', vigil_incident: incidentId },
      assets: [{ hostname: 'web-01', ip: '10.0.4.21' }],
      observables: [{ type: 'ip', value: '203.0.113.7' }],
    });
    const rules = (['reference', 'group_key', 'asset_category', 'observable'] as const).map((kind) => rule(kind, { enabled: false, observableTypes: ['ip'] }));
    expect(correlationKeys(alert, rules, [registeredAssetId])).toEqual([{ kind: 'dedup_key', key: 'real|edr-4711', since: null }]);
  });

  it('lists the keys most specific first', () => {
    const alert = alertReceived({
      category: 'malware',
      labels: { [GROUP_KEY_LABEL]: 'g' },
      assets: [{ hostname: 'web-01' }],
      observables: [{ type: 'ip', value: '203.0.113.7' }],
    });
    const rules = [rule('observable', { observableTypes: ['ip'] }), rule('asset_category'), rule('group_key')];
    expect(correlationKeys(alert, rules, []).map((k) => k.kind)).toEqual(KEY_PRIORITY);
  });

  describe('exercises', () => {
    const everything = {
      category: 'malware',
      labels: { [GROUP_KEY_LABEL]: 'g' },
      assets: [{ hostname: 'web-01', ip: '10.0.4.21' }],
      observables: [{ type: 'ip', value: '203.0.113.7' }],
    } satisfies Partial<AlertReceived>;
    const rules = [rule('group_key'), rule('asset_category'), rule('observable', { observableTypes: ['ip'] })];

    it('never share a key with real alerts', () => {
      const real = correlationKeys(alertReceived({ ...everything, exercise: false }), rules, [registeredAssetId]);
      const exercise = correlationKeys(alertReceived({ ...everything, exercise: true }), rules, [registeredAssetId]);
      expect(real).toHaveLength(exercise.length);
      const realKeys = new Set(real.map((k) => k.key));
      expect(exercise.filter((k) => realKeys.has(k.key))).toEqual([]);
    });

    it('key every kind under the exercise scope', () => {
      const keys = correlationKeys(alertReceived({ ...everything, exercise: true }), rules, [registeredAssetId]);
      expect(keys.map((k) => k.kind)).toEqual(expect.arrayContaining([...KEY_PRIORITY]));
      for (const k of keys) expect(k.key).toMatch(/^exercise\|/);
    });
  });

  describe(`the cap of ${MAX_KEYS} keys`, () => {
    const observableTypes: ObservableType[] = ['ip'];
    const rules = [rule('group_key'), rule('asset_category'), rule('observable', { observableTypes })];
    const manyObservables = Array.from({ length: 200 }, (_, i) => ({ type: 'ip' as const, value: `10.0.${Math.floor(i / 256)}.${i % 256}` }));

    it('keeps the dedup, group and asset keys and drops observables beyond it', () => {
      const alert = alertReceived({
        category: 'malware',
        labels: { [GROUP_KEY_LABEL]: 'g' },
        assets: [{ id: 'cmdb-42', hostname: 'web-01', ip: '10.0.4.21' }],
        observables: manyObservables,
      });
      const keys = correlationKeys(alert, rules, [registeredAssetId]);

      expect(keys).toHaveLength(MAX_KEYS);
      expect(ofKind(keys, 'dedup_key')).toHaveLength(1);
      expect(ofKind(keys, 'group_key')).toHaveLength(1);
      expect(ofKind(keys, 'asset_category')).toHaveLength(4);
      // The observables kept are the first ones the alert lists.
      expect(ofKind(keys, 'observable').map((k) => k.key)).toEqual(manyObservables.slice(0, MAX_KEYS - 6).map((o) => `real|ip:${o.value}`));
    });

    it('keeps every key of an alert that stays under it', () => {
      const alert = alertReceived({ observables: manyObservables.slice(0, MAX_KEYS - 1) });
      expect(correlationKeys(alert, rules, [])).toHaveLength(MAX_KEYS);
    });
  });
});

describe(boundedKey.name, () => {
  const cjk = (n: number, from = 0x4e00) => String.fromCodePoint(...Array.from({ length: n }, (_, i) => from + ((i * 7919) % 0x5000)));

  it(`keeps keys of up to ${MAX_KEY_BYTES} bytes as they are`, () => {
    expect(boundedKey('real|edr-4711')).toBe('real|edr-4711');
    expect(boundedKey('x'.repeat(MAX_KEY_BYTES))).toBe('x'.repeat(MAX_KEY_BYTES));
    expect(boundedKey(cjk(85))).toBe(cjk(85)); // 255 bytes
  });

  it('turns a longer key into its first characters and the SHA-256 of the whole, small enough for any index', () => {
    const long = `real|url:${cjk(2048)}`;
    const bounded = boundedKey(long);
    expect(bounded).toMatch(new RegExp(`^${Array.from(long).slice(0, KEY_PREFIX_CHARACTERS).join('')}#sha256:[0-9a-f]{64}$`, 'u'));
    expect(Buffer.byteLength(bounded)).toBeLessThanOrEqual(KEY_PREFIX_CHARACTERS * 4 + 8 + 64);
    expect(boundedKey(long)).toBe(bounded); // the same key, the same bound
    // Keys that differ only after the prefix stay apart.
    expect(boundedKey(`${long}a`)).not.toBe(bounded);
    expect(boundedKey(`${cjk(100)}${'y'.repeat(200)}`)).not.toBe(boundedKey(`${cjk(100)}${'z'.repeat(200)}`));
  });

  it('counts characters, not UTF-16 units, in the prefix (as PostgreSQL does)', () => {
    const emoji = '\u{1f600}'.repeat(100);
    expect(boundedKey(emoji).split('#sha256:')[0]).toBe('\u{1f600}'.repeat(KEY_PREFIX_CHARACTERS));
  });

  it('bounds the keys an alert at intake\'s limits is correlated by', () => {
    const keys = correlationKeys(
      alertReceived({
        labels: { [GROUP_KEY_LABEL]: cjk(2000) },
        category: 'malware',
        assets: [{ hostname: cjk(253), id: cjk(200) }],
        observables: [{ type: 'url', value: cjk(2048) }],
      }),
      [rule('group_key'), rule('asset_category'), rule('observable', { observableTypes: ['url'] })],
      [],
    );
    expect(keys.map((k) => k.kind).sort()).toEqual(['asset_category', 'asset_category', 'dedup_key', 'group_key', 'observable']);
    for (const key of keys) expect(Buffer.byteLength(key.key)).toBeLessThanOrEqual(KEY_PREFIX_CHARACTERS * 4 + 8 + 64);
  });
});

describe(referencedIncident.name, () => {
  it.each<[string, Record<string, string>, string | undefined]>([
    ['vigil_incident', { vigil_incident: incidentId }, incidentId],
    ['vigil.incident', { 'vigil.incident': incidentId }, incidentId],
    ['an upper-case id, lower-cased', { vigil_incident: incidentId.toUpperCase() }, incidentId],
    ['an id with spaces around it, trimmed', { 'vigil.incident': ` ${incidentId} ` }, incidentId],
    ['vigil_incident first when both are set', { vigil_incident: incidentId, 'vigil.incident': registeredAssetId }, incidentId],
    ['vigil.incident when vigil_incident is not a UUID', { vigil_incident: 'INC-42', 'vigil.incident': incidentId }, incidentId],
    ['nothing from a value that is not a UUID', { vigil_incident: 'INC-42' }, undefined],
    ['nothing from a UUID inside a longer value', { vigil_incident: `incident ${incidentId}` }, undefined],
    ['nothing from a UUID without its dashes', { vigil_incident: incidentId.replaceAll('-', '') }, undefined],
    ['nothing from an empty value', { vigil_incident: '' }, undefined],
    ['nothing from another label', { incident: incidentId, vigil_incident_id: incidentId }, undefined],
    ['nothing without labels', {}, undefined],
  ])('reads %s', (_, labels, expected) => {
    expect(referencedIncident({ labels })).toBe(expected);
  });
});
