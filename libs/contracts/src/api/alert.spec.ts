import { CanonicalAlert } from './alert';

const fullAlert = {
  title: 'Credential dumping detected on web-01',
  source: 'edr:crowdstrike',
  severity: 'high',
  occurredAt: '2026-11-24T06:40:00+01:00',
  dedupKey: 'edr-4711',
  description: 'lsass memory read by an unsigned binary',
  category: 'unauthorized_access',
  labels: { rule: 'lsass-access', tenant: 'acme' },
  assets: [{ hostname: 'web-01', ip: '10.0.4.21' }, { id: 'asset-42' }, { ip: '2001:db8::1' }, { name: 'Payroll DB' }],
  observables: [
    { type: 'hash', value: 'd41d8cd98f00b204e9800998ecf8427e' },
    { type: 'ip', value: '203.0.113.9' },
  ],
  exercise: true,
};

const minimalAlert = { title: 'Port scan', source: 'ids:suricata', severity: 'low' };

/** The paths of the issues CanonicalAlert reports for `input` (empty when it is valid). */
function issuePaths(input: unknown): string[] {
  const result = CanonicalAlert.safeParse(input);
  return result.success ? [] : result.error.issues.map((i) => i.path.join('.'));
}

describe('CanonicalAlert', () => {
  it('accepts a full alert and keeps every field', () => {
    const result = CanonicalAlert.safeParse(fullAlert);
    expect(result.success).toBe(true);
    expect(result.data).toEqual(fullAlert);
  });

  it('accepts an alert with only title, source and severity', () => {
    expect(CanonicalAlert.safeParse(minimalAlert).success).toBe(true);
  });

  it('trims title and source', () => {
    expect(CanonicalAlert.parse({ ...minimalAlert, title: '  Port scan \n', source: ' ids ' })).toMatchObject({ title: 'Port scan', source: 'ids' });
  });

  it('accepts the example it publishes in its own metadata', () => {
    const examples = (CanonicalAlert.meta() as { examples: unknown[] }).examples;
    expect(examples.length).toBeGreaterThan(0);
    for (const example of examples) expect(CanonicalAlert.safeParse(example).success).toBe(true);
  });

  it.each(['critical', 'high', 'medium', 'low', 'info'])('accepts severity %s', (severity) => {
    expect(issuePaths({ ...minimalAlert, severity })).toEqual([]);
  });

  it.each([
    ['an unknown top-level key', { ...minimalAlert, colour: 'red' }, ''],
    ['a misspelt key', { ...minimalAlert, occuredAt: '2026-11-24T06:40:00Z' }, ''],
    ['an unknown key inside an asset', { ...minimalAlert, assets: [{ hostname: 'web-01', rack: 'b4' }] }, 'assets.0'],
    ['an unknown key inside an observable', { ...minimalAlert, observables: [{ type: 'ip', value: '1.2.3.4', tlp: 'red' }] }, 'observables.0'],
  ])('rejects %s', (_, input, path) => {
    const result = CanonicalAlert.safeParse(input);
    expect(result.success).toBe(false);
    expect(result.error!.issues).toEqual([expect.objectContaining({ code: 'unrecognized_keys', path: path ? path.split('.').map((p) => (/^\d+$/.test(p) ? Number(p) : p)) : [] })]);
  });

  it.each(['CRITICAL', 'severe', 'sev1', '', 3])('rejects severity %p', (severity) => {
    expect(issuePaths({ ...minimalAlert, severity })).toEqual(['severity']);
  });

  it.each([
    ['an empty title', ''],
    ['a blank title', '   '],
    ['a title over 500 characters', 'x'.repeat(501)],
  ])('rejects %s', (_, title) => {
    expect(issuePaths({ ...minimalAlert, title })).toEqual(['title']);
  });

  it.each(['10.0.4.256', '10.0.4', 'web-01', '2001:db8::g', '10.0.4.21/24'])('rejects the asset IP %s', (ip) => {
    expect(issuePaths({ ...minimalAlert, assets: [{ hostname: 'web-01' }, { hostname: 'web-02', ip }] })).toEqual(['assets.1.ip']);
  });

  it('rejects an asset with no identifier', () => {
    const result = CanonicalAlert.safeParse({ ...minimalAlert, assets: [{}] });
    expect(result.success).toBe(false);
    expect(result.error!.issues).toEqual([
      expect.objectContaining({ path: ['assets', 0], message: 'an asset needs at least one of id, hostname, ip or name' }),
    ]);
  });

  it.each([{ id: 'a-1' }, { hostname: 'web-01' }, { ip: '10.0.0.1' }, { name: 'Payroll DB' }])('accepts an asset identified only by %o', (asset) => {
    expect(issuePaths({ ...minimalAlert, assets: [asset] })).toEqual([]);
  });

  it('accepts 100 labels and rejects 101', () => {
    const labels = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`label-${i}`, String(i)]));
    expect(issuePaths({ ...minimalAlert, labels: labels(100) })).toEqual([]);
    const result = CanonicalAlert.safeParse({ ...minimalAlert, labels: labels(101) });
    expect(result.success).toBe(false);
    expect(result.error!.issues).toEqual([expect.objectContaining({ path: ['labels'], message: 'at most 100 labels' })]);
  });

  it.each([
    ['an occurredAt without offset', { occurredAt: '2026-11-24T06:40:00' }, 'occurredAt'],
    ['an occurredAt that is a date only', { occurredAt: '2026-11-24' }, 'occurredAt'],
    ['an empty dedup key', { dedupKey: '' }, 'dedupKey'],
    ['a dedup key over 255 characters', { dedupKey: 'k'.repeat(256) }, 'dedupKey'],
    ['an unknown category', { category: 'alien_invasion' }, 'category'],
    ['an observable of unknown type', { observables: [{ type: 'colour', value: 'red' }] }, 'observables.0.type'],
    ['a blank observable value', { observables: [{ type: 'ip', value: '  ' }] }, 'observables.0.value'],
    ['exercise given as a string', { exercise: 'true' }, 'exercise'],
  ])('rejects %s', (_, patch, path) => {
    expect(issuePaths({ ...minimalAlert, ...patch })).toEqual([path]);
  });
});
