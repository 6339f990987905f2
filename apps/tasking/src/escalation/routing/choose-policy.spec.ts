import type { EscalationRouting } from '@vigil/contracts';
import { choosePolicy } from './choose-policy';

const P = (n: number) => `00000000-0000-4000-8000-00000000000${n}`;
const routing: EscalationRouting = {
  rules: [
    { name: 'exercises', match: { exercise: true }, policyId: P(1) },
    { name: 'critical assets', match: { assetCriticalities: ['critical'] }, policyId: P(2) },
    { name: 'SEV1 ransomware', match: { severities: ['SEV1'], categories: ['ransomware'] }, policyId: P(3) },
    { match: { severities: ['SEV1', 'SEV2'] }, policyId: P(4) },
  ],
  defaultPolicyId: P(5),
};
const facts = { severity: 'SEV3' as const, category: 'malware' as const, assetCriticality: null, exercise: false };

describe(choosePolicy.name, () => {
  it.each([
    ['an exercise goes to the exercise policy whatever else holds', { ...facts, exercise: true, severity: 'SEV1' as const }, P(1), 'exercises'],
    ['a critical asset', { ...facts, assetCriticality: 'critical' as const }, P(2), 'critical assets'],
    ['every criterion of a rule must hold', { ...facts, severity: 'SEV1' as const, category: 'phishing' as const }, P(4), 'rule 4'],
    ['both criteria hold', { ...facts, severity: 'SEV1' as const, category: 'ransomware' as const }, P(3), 'SEV1 ransomware'],
    ['nothing matches: the default', facts, P(5), 'default'],
    ['an unregistered asset never matches a criticality rule', { ...facts, assetCriticality: null }, P(5), 'default'],
  ])('%s', (_, f, policyId, rule) => {
    expect(choosePolicy(routing, f)).toEqual({ policyId, rule });
  });

  it('chooses nothing without routing or a default', () => {
    expect(choosePolicy(null, facts)).toBeNull();
    expect(choosePolicy({ rules: [], defaultPolicyId: null }, facts)).toBeNull();
  });
});
