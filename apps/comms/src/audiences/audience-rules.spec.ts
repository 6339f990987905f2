import type { AudienceRule, IncidentSnapshot } from '@vigil/contracts';
import { hears } from './audience-rules';

const incident = (over: Partial<IncidentSnapshot>) => ({ severity: 'SEV2', category: 'phishing', exercise: false, restricted: false, ...over }) as IncidentSnapshot;
const rule = (over: Partial<AudienceRule> = {}): AudienceRule => ({ minSeverity: 'SEV2', categories: null, includeExercises: false, includeRestricted: false, ...over });

describe(hears.name, () => {
  it('hears incidents at or above its least severity', () => {
    expect(hears(rule(), incident({ severity: 'SEV1' }))).toBe(true);
    expect(hears(rule(), incident({ severity: 'SEV2' }))).toBe(true);
    expect(hears(rule(), incident({ severity: 'SEV3' }))).toBe(false);
  });

  it('hears only its categories when it names some', () => {
    expect(hears(rule({ categories: ['ransomware'] }), incident({ category: 'phishing' }))).toBe(false);
    expect(hears(rule({ categories: ['ransomware'] }), incident({ category: 'ransomware' }))).toBe(true);
  });

  it('leaves out exercises and restricted incidents unless told otherwise', () => {
    expect(hears(rule(), incident({ exercise: true }))).toBe(false);
    expect(hears(rule({ includeExercises: true }), incident({ exercise: true }))).toBe(true);
    expect(hears(rule(), incident({ restricted: true }))).toBe(false);
    expect(hears(rule({ includeRestricted: true }), incident({ restricted: true }))).toBe(true);
  });
});
