import { IncidentPhase, IncidentSeverity, ResponderRole } from '@vigil/contracts';
import { DEFAULT_PLAYBOOK } from './default-playbook';

const { steps } = DEFAULT_PLAYBOOK;
const stepCases = steps.map((s) => [s.key, s] as const);
const lifecycle = IncidentPhase.options;

describe('DEFAULT_PLAYBOOK', () => {
  it('has a versioned name', () => {
    expect(DEFAULT_PLAYBOOK.name).toMatch(/^default-v\d+$/);
  });

  it.each<IncidentPhase>(['triaged', 'contained', 'eradicated', 'recovered', 'post_incident'])('has at least one step for %s', (phase) => {
    expect(steps.filter((s) => s.phase === phase).length).toBeGreaterThanOrEqual(1);
  });

  it('has no step for a phase that needs no work (detected, or a terminal phase)', () => {
    for (const step of steps) expect(['detected', 'closed', 'false_positive', 'merged']).not.toContain(step.phase);
  });

  it('lists its steps in lifecycle order', () => {
    const order = steps.map((s) => lifecycle.indexOf(s.phase));
    expect(order).toEqual([...order].sort((a, b) => a - b));
  });

  it('gives every step a unique key', () => {
    expect(new Set(steps.map((s) => s.key)).size).toBe(steps.length);
  });

  it.each(stepCases)('gives %s a valid phase, a team role and a title', (_, step) => {
    expect(IncidentPhase.safeParse(step.phase).success).toBe(true);
    expect(ResponderRole.safeParse(step.role).success).toBe(true);
    expect(step.title.trim().length).toBeGreaterThan(0);
    expect(step.key).toMatch(/^[a-z][a-z0-9-]*$/);
  });

  it.each(stepCases)('gives %s a positive whole number of minutes for every severity', (_, step) => {
    expect(Object.keys(step.dueMinutes).sort()).toEqual([...IncidentSeverity.options].sort());
    for (const severity of IncidentSeverity.options) {
      expect(Number.isInteger(step.dueMinutes[severity])).toBe(true);
      expect(step.dueMinutes[severity]).toBeGreaterThan(0);
    }
  });

  it.each(stepCases)('never gives %s a looser target for a more severe incident', (_, step) => {
    const { SEV1, SEV2, SEV3, SEV4 } = step.dueMinutes;
    expect(SEV1).toBeLessThanOrEqual(SEV4);
    expect([SEV1, SEV2, SEV3, SEV4]).toEqual([SEV1, SEV2, SEV3, SEV4].sort((a, b) => a - b));
  });

  it('is default-v1 with the steps docs/architecture.md lists, in that order', () => {
    expect(DEFAULT_PLAYBOOK.name).toBe('default-v1');
    expect(steps.map((s) => s.key)).toEqual(['analyse', 'contain', 'inform', 'eradicate', 'recover', 'review']);
  });
});
