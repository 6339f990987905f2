import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { PlaybookDefinition, PlaybookDefinitionInput } from '@vigil/contracts';
import { blockers, checkPlaybook, choosePlaybook, diffSteps, findCycle, formatPlaybook, parsePlaybook, phaseReached, slaMinutes, type PlaybookSubject } from './playbook-rules';
import { renderShippedPlaybooks, SHIPPED_BEGIN, SHIPPED_END } from './playbook-docs';
import { loadShippedPlaybooks } from './shipped-playbooks';

const SLA = { SEV1: 10, SEV2: 20, SEV3: 30, SEV4: 40 };
const step = (key: string, extra: Record<string, unknown> = {}) => ({ key, phase: 'triaged', title: `Step ${key}`, role: 'security_analyst', sla: SLA, ...extra });
const playbook = (steps: unknown[], extra: Partial<PlaybookDefinitionInput> = {}) => ({ key: 'test', name: 'Test', steps, ...extra });

describe('playbook validation', () => {
  it('accepts a valid playbook and fills in the defaults', () => {
    const result = checkPlaybook(playbook([step('a'), step('b', { dependsOn: ['a'], gates: ['a'] })]));
    expect(result.ok).toBe(true);
    if (result.ok) expect(result.playbook.steps[0]).toMatchObject({ mandatory: false, dependsOn: [], gates: [], instructions: '' });
  });

  it('names a cycle through dependsOn and gates in order', () => {
    const result = checkPlaybook(playbook([step('a', { dependsOn: ['c'] }), step('b', { dependsOn: ['a'] }), step('c', { gates: ['b'] })]));
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.errors).toContainEqual({ pointer: '/steps/0/dependsOn', detail: 'dependency cycle: a → c → b → a' });
  });

  it('names an unknown role, a dependency and a gate on a missing step, and a duplicate key', () => {
    const result = checkPlaybook(playbook([step('a', { role: 'janitor' }), step('b', { dependsOn: ['nope'], gates: ['gone'] }), step('a')]));
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors).toEqual(
      expect.arrayContaining([
        { pointer: '/steps/2/key', detail: 'duplicate step key a (also step 0)' },
        expect.objectContaining({ pointer: '/steps/0/role', detail: expect.stringContaining('unknown role janitor') }),
        { pointer: '/steps/1/dependsOn/0', detail: 'step b depends on nope, which is not a step of this playbook' },
        { pointer: '/steps/1/gates/0', detail: 'step b is gated on gone, which is not a step of this playbook' },
      ]),
    );
  });

  it('finds a cycle even when a key is duplicated', () => {
    const result = checkPlaybook(playbook([step('a', { dependsOn: ['b'] }), step('b', { dependsOn: ['a'] }), step('a')]));
    expect(!result.ok && result.errors).toContainEqual({ pointer: '/steps/0/dependsOn', detail: 'dependency cycle: a → b → a' });
  });

  it('refuses a step that waits for itself, and schema errors point at the field', () => {
    const self = checkPlaybook(playbook([step('a', { dependsOn: ['a'] })]));
    expect(!self.ok && self.errors).toContainEqual({ pointer: '/steps/0/dependsOn/0', detail: 'step a cannot wait for itself' });
    const bad = checkPlaybook(playbook([step('a', { phase: 'closed', sla: { SEV1: 0, SEV2: 1, SEV3: 1, SEV4: 1 } })]));
    expect(!bad.ok && bad.errors.map((e) => e.pointer)).toEqual(expect.arrayContaining(['/steps/0/phase', '/steps/0/sla/SEV1']));
  });

  it('finds no cycle in a diamond', () => {
    expect(findCycle([
      { key: 'a', dependsOn: [], gates: [] },
      { key: 'b', dependsOn: ['a'], gates: [] },
      { key: 'c', dependsOn: ['a'], gates: [] },
      { key: 'd', dependsOn: ['b', 'c'], gates: ['a'] },
    ])).toBeNull();
  });

  it('says when the text is not YAML or JSON', () => {
    expect(parsePlaybook('key: [unclosed', 'yaml')).toMatchObject({ ok: false, detail: expect.stringMatching(/^Not YAML/) });
    expect(parsePlaybook('{"key":', 'json')).toMatchObject({ ok: false, detail: expect.stringMatching(/^Not JSON/) });
  });

  it.each(['yaml', 'json'] as const)('round-trips through %s', (format) => {
    const parsed = checkPlaybook(playbook([step('a', { action: { kind: 'isolate_host', connector: 'edr' }, instructions: '# Do it\n\n- {{not evaluated}}' })], { recoveryWatchDays: 7 }));
    if (!parsed.ok) throw new Error(parsed.detail);
    const again = parsePlaybook(formatPlaybook(parsed.playbook, format), format);
    expect(again).toEqual({ ok: true, playbook: parsed.playbook });
  });
});

describe('playbook selection', () => {
  const shipped = loadShippedPlaybooks();
  const subject = (s: Partial<PlaybookSubject>): PlaybookSubject => ({ category: 'other', severity: 'SEV3', assetCriticality: null, exercise: false, ...s });

  it.each([
    ['ransomware', 'ransomware'],
    ['phishing', 'phishing'],
    ['data_breach', 'data-breach'],
    ['denial_of_service', 'ddos'],
    ['unauthorized_access', 'unauthorised-access'],
    ['insider', 'insider-threat'],
    ['malware', 'default'],
    ['other', 'default'],
  ] as const)('gives a %s incident the %s playbook', (category, key) => {
    expect(choosePlaybook(shipped, subject({ category }))?.key).toBe(key);
  });

  it('prefers the most specific match, then priority, and honours severity, criticality and exercise', () => {
    const base = { name: 'x', description: '', default: false, recoveryWatchDays: null, steps: [], priority: 0 };
    const list: PlaybookDefinition[] = [
      { ...base, key: 'fallback', default: true, conditions: {} },
      { ...base, key: 'ransom', conditions: { categories: ['ransomware'] } },
      { ...base, key: 'ransom-critical', conditions: { categories: ['ransomware'], assetCriticalities: ['critical'] } },
      { ...base, key: 'sev1-drill', conditions: { severities: ['SEV1'], exercise: true } },
      { ...base, key: 'ransom-b', priority: 5, conditions: { categories: ['ransomware'] } },
    ];
    expect(choosePlaybook(list, subject({ category: 'ransomware' }))?.key).toBe('ransom-b');
    expect(choosePlaybook(list, subject({ category: 'ransomware', assetCriticality: 'critical' }))?.key).toBe('ransom-critical');
    expect(choosePlaybook(list, subject({ severity: 'SEV1', exercise: true }))?.key).toBe('sev1-drill');
    expect(choosePlaybook(list, subject({ severity: 'SEV1', exercise: false }))?.key).toBe('fallback');
    expect(choosePlaybook(list.slice(1), subject({}))).toBeNull();
  });
});

describe('tasks: blocking, phases and SLAs', () => {
  const status = new Map([['a', 'done'], ['b', 'skipped'], ['c', 'open'], ['d', 'in_progress']]);
  it('blocks on open dependencies, on gates not done (skipped does not open a gate), and on a phase not reached', () => {
    expect(blockers({ phase: 'triaged', dependsOn: ['a', 'b'], gates: ['a'] }, status, 'triaged')).toEqual([]);
    expect(blockers({ phase: 'triaged', dependsOn: ['c', 'd'], gates: ['b'] }, status, 'triaged')).toEqual(['c', 'd', 'b']);
    expect(blockers({ phase: 'eradicated', dependsOn: [], gates: [] }, status, 'contained')).toEqual(['phase:eradicated']);
  });
  it('opens a phase\'s tasks when the incident reaches it or a later phase', () => {
    expect(phaseReached('detected', 'triaged')).toBe(true);
    expect(phaseReached('contained', 'contained')).toBe(true);
    expect(phaseReached('recovered', 'contained')).toBe(true);
    expect(phaseReached('contained', 'recovered')).toBe(false);
    expect(phaseReached('false_positive', 'recovered')).toBe(false);
  });
  it('gives recovery steps the RTO where set', () => {
    expect(slaMinutes({ phase: 'recovered', sla: SLA }, 'SEV2', 90)).toBe(90);
    expect(slaMinutes({ phase: 'recovered', sla: SLA }, 'SEV2', null)).toBe(20);
    expect(slaMinutes({ phase: 'contained', sla: SLA }, 'SEV2', 90)).toBe(20);
  });
  it('shows the steps a version move adds and drops', () => {
    expect(diffSteps(['a', 'b', 'c'], ['a', 'c', 'd'])).toEqual({ added: ['d'], dropped: ['b'], kept: ['a', 'c'] });
  });
});

describe('shipped playbooks', () => {
  const shipped = loadShippedPlaybooks();
  it('ship the default and one per common case', () => {
    expect(shipped.map((p) => p.key).sort()).toEqual(['data-breach', 'ddos', 'default', 'insider-threat', 'phishing', 'ransomware', 'unauthorised-access']);
  });
  it.each(shipped.map((p) => [p.key, p] as const))('%s covers every NIST phase, in order, with a mandatory step', (_, p) => {
    const phases = p.steps.map((s) => ['triaged', 'contained', 'eradicated', 'recovered', 'post_incident'].indexOf(s.phase));
    expect(new Set(phases)).toEqual(new Set([0, 1, 2, 3, 4]));
    expect(phases).toEqual([...phases].sort((a, b) => a - b));
    expect(p.steps.some((s) => s.mandatory)).toBe(true);
  });
  it('ransomware: preserving evidence gates eradication', () => {
    const ransomware = shipped.find((p) => p.key === 'ransomware')!;
    expect(ransomware.steps.find((s) => s.key === 'eradicate-malware')?.gates).toContain('preserve-evidence');
  });
});

describe('docs/playbooks.md', () => {
  it('lists the shipped playbooks as the YAML files define them', () => {
    const path = join(__dirname, '..', '..', '..', '..', '..', 'docs', 'playbooks.md');
    const doc = readFileSync(path, 'utf8');
    const start = doc.indexOf(SHIPPED_BEGIN);
    const end = doc.indexOf(SHIPPED_END);
    expect(start).toBeGreaterThan(-1);
    const rendered = renderShippedPlaybooks(loadShippedPlaybooks());
    // VIGIL_WRITE_SAMPLES=1 rewrites the list after a change to the YAML files.
    if (process.env.VIGIL_WRITE_SAMPLES === '1') writeFileSync(path, doc.slice(0, start) + rendered + doc.slice(end + SHIPPED_END.length));
    expect(readFileSync(path, 'utf8').slice(start, start + rendered.length)).toBe(rendered);
  });
});
