import { loadScenarios, parseScenario, scenarioProblems } from './scenario-library';

const library = loadScenarios();
const scenarios = [...library.values()];

describe('the scenario library', () => {
  it('has the five scenarios the seeds name', () => {
    expect([...library.keys()].sort()).toEqual(['customer-data-breach', 'ddos', 'insider-exfiltration', 'phishing-credential-theft', 'ransomware']);
  });

  it.each(scenarios.map((s) => [s.key, s] as const))('%s: modules with injects on a timeline, ATT&CK techniques, timed expected actions', (_, s) => {
    expect(s.modules.length).toBeGreaterThanOrEqual(2);
    expect(s.attack.length).toBeGreaterThanOrEqual(3);
    expect(s.expectedActions.length).toBeGreaterThanOrEqual(4);
    expect(scenarioProblems(s)).toEqual([]);
    const times = s.modules.flatMap((m) => m.injects.map((i) => i.atMinutes));
    expect(times).toEqual([...times].sort((a, b) => a - b)); // modules follow each other in time
    expect(s.modules[0].injects[0].atMinutes).toBe(0); // something happens at T+0
    expect(s.modules.flatMap((m) => m.injects).some((i) => i.kind === 'alert' || i.kind === 'report')).toBe(true);
    expect(s.modules.flatMap((m) => m.injects).some((i) => i.kind === 'message')).toBe(true);
    expect(s.expectedActions.find((a) => a.key === 'acknowledge')?.measure).toEqual({ kind: 'clock', field: 'acknowledgedAt' });
  });

  it('expects the ransomware incident acknowledged by T+5 and contained by T+60', () => {
    const actions = library.get('ransomware')!.expectedActions;
    expect(actions.find((a) => a.key === 'acknowledge')).toMatchObject({ targetMinutes: 5 });
    expect(actions.find((a) => a.key === 'contain')).toMatchObject({ targetMinutes: 60, measure: { kind: 'clock', field: 'containedAt' } });
    expect(actions.map((a) => a.key)).toEqual(expect.arrayContaining(['regulator-clock', 'customer-notice']));
  });
});

describe(parseScenario.name, () => {
  const minimal = `
key: tiny
title: Tiny
summary: A tabletop with one message.
attack: [T1486]
capabilities: [{ key: detection, title: Detection, objective: Acknowledge fast }]
modules:
  - key: one
    title: One
    injects: [{ key: hello, atMinutes: 0, kind: message, from: CEO, to: [ir_manager], text: Hello }]
expectedActions:
  - { key: acknowledge, title: Acknowledge, capability: detection, targetMinutes: 5, measure: { kind: clock, field: acknowledgedAt } }
`;

  it('accepts a minimal scenario', () => {
    expect(parseScenario(minimal, 'tiny.yaml').key).toBe('tiny');
  });

  it.each([
    ['a bad ATT&CK id', minimal.replace('T1486', 'TA0040'), /tiny\.yaml: \/attack\/0 .*ATT&CK technique id/],
    ['an unknown inject kind', minimal.replace('kind: message', 'kind: telegram'), /tiny\.yaml: \/modules\/0\/injects\/0/],
    ['a capability nobody declared', minimal.replace('capability: detection', 'capability: magic'), /names the capability magic, which the scenario does not declare/],
    ['a field nobody knows', minimal.replace('summary:', 'sumary: x\nsummary:'), /tiny\.yaml: .*sumary/],
    ['broken YAML', 'key: [unclosed', /tiny\.yaml: not YAML/],
  ])('refuses %s, naming the file and the problem', (_, text, message) => {
    expect(() => parseScenario(text, 'tiny.yaml')).toThrow(message);
  });
});
