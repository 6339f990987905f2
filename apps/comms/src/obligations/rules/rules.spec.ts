import { DateTime } from 'luxon';
import { usBusinessDaysAfter } from './business-days';
import { OBLIGATION_RULES } from './index';
import type { DeadlineContext } from './rule';
import { usStateRule } from './us';

const at = (iso: string) => new Date(iso);
const ctx = (over: Partial<DeadlineContext> = {}): DeadlineContext => ({
  effectiveAt: at('2026-11-24T09:15:00Z'),
  awareAt: at('2026-11-24T09:15:00Z'),
  affectedIndividuals: null,
  submitted: {},
  undueDelayTargetHours: 72,
  ...over,
});
const stage = (rule: string, name: string) => OBLIGATION_RULES[rule].stages.find((s) => s.stage === name)!;
const eastern = (d: Date | null) => DateTime.fromJSDate(d!, { zone: 'America/New_York' }).toFormat("cccc yyyy-LL-dd HH:mm");

describe('GDPR art. 33', () => {
  it('is due 72 hours after the recorded awareness', () => {
    expect(stage('gdpr-art33', 'notification').deadline(ctx()).at).toEqual(at('2026-11-27T09:15:00Z'));
  });

  it('is implied by information impact "privacy" and by nothing else', () => {
    const implied = OBLIGATION_RULES['gdpr-art33'].impliedBy!;
    const incident = (informationImpact: 'privacy' | 'integrity') =>
      ({ classification: { informationImpact } }) as Parameters<typeof implied.test>[0];
    expect(implied.test(incident('privacy'))).toBe(true);
    expect(implied.test(incident('integrity'))).toBe(false);
  });
});

describe('GDPR art. 34', () => {
  it('has no statutory deadline, only the internal target for "without undue delay"', () => {
    const d = stage('gdpr-art34', 'communication').deadline(ctx({ undueDelayTargetHours: 48 }));
    expect(d).toMatchObject({ kind: 'target', at: at('2026-11-26T09:15:00Z') });
  });
});

describe('SEC Form 8-K Item 1.05', () => {
  const filing = stage('sec-8k-1.05', 'filing');

  it('lands on the fourth business day, skipping the observed Independence Day after a Thursday determination', () => {
    // Thursday 2 July 2026; Friday 3 July is the federal holiday (4 July is a Saturday).
    const d = filing.deadline(ctx({ effectiveAt: at('2026-07-02T15:00:00Z') }));
    expect(eastern(d.at)).toBe('Thursday 2026-07-09 17:30');
  });

  it('skips Thanksgiving when determined the Wednesday before', () => {
    expect(eastern(usBusinessDaysAfter(at('2026-11-25T20:00:00Z'), 4))).toBe('Wednesday 2026-12-02 17:30');
  });

  it('counts the day in New York, not in UTC (a determination late on a Thursday evening Eastern)', () => {
    // 01:30 UTC on Friday 3 July is still Thursday 2 July in New York.
    expect(eastern(usBusinessDaysAfter(at('2026-07-03T01:30:00Z'), 4))).toBe('Thursday 2026-07-09 17:30');
  });

  it('counts from a weekend determination as day zero', () => {
    expect(eastern(usBusinessDaysAfter(at('2026-01-17T16:00:00Z'), 4))).toBe('Friday 2026-01-23 17:30'); // MLK day Monday 19 January skipped
  });

  it('may be paused only on the legal basis Item 1.05(c) names', () => {
    expect(OBLIGATION_RULES['sec-8k-1.05'].pause).toMatch(/Attorney General/);
  });
});

describe('DORA art. 19', () => {
  const initial = stage('dora-art19', 'initial');

  it('is due 4 hours after classification as major when that comes first', () => {
    const d = initial.deadline(ctx({ awareAt: at('2026-11-24T08:00:00Z'), effectiveAt: at('2026-11-24T10:00:00Z') }));
    expect(d.at).toEqual(at('2026-11-24T14:00:00Z'));
    expect(d.basis).toMatch(/4 hours after classification/);
  });

  it('is due 24 hours after awareness when classification came late', () => {
    const d = initial.deadline(ctx({ awareAt: at('2026-11-24T08:00:00Z'), effectiveAt: at('2026-11-25T06:00:00Z') }));
    expect(d.at).toEqual(at('2026-11-25T08:00:00Z'));
    expect(d.basis).toMatch(/24 hours after becoming aware/);
  });

  it('waits for the initial notification before the intermediate report has a deadline, then allows 72 hours', () => {
    expect(stage('dora-art19', 'intermediate').deadline(ctx()).at).toBeNull();
    expect(stage('dora-art19', 'intermediate').deadline(ctx({ submitted: { initial: at('2026-11-24T12:00:00Z') } })).at).toEqual(at('2026-11-27T12:00:00Z'));
  });

  it('gives the final report one calendar month after the intermediate report', () => {
    expect(stage('dora-art19', 'final_report').deadline(ctx({ submitted: { intermediate: at('2026-01-31T10:00:00Z') } })).at).toEqual(at('2026-02-28T10:00:00Z'));
  });
});

describe('NIS2 art. 23', () => {
  it('wants an early warning in 24 h and a notification in 72 h of awareness, and a final report a month after the notification', () => {
    const c = ctx({ awareAt: at('2026-11-24T09:00:00Z') });
    expect(stage('nis2-art23', 'early_warning').deadline(c).at).toEqual(at('2026-11-25T09:00:00Z'));
    expect(stage('nis2-art23', 'notification').deadline(c).at).toEqual(at('2026-11-27T09:00:00Z'));
    expect(stage('nis2-art23', 'final_report').deadline({ ...c, submitted: { notification: at('2026-11-26T09:00:00Z') } }).at).toEqual(at('2026-12-26T09:00:00Z'));
  });
});

describe('HIPAA', () => {
  it('wants individuals told within 60 days of discovery, and HHS by the end of February for a small breach', () => {
    expect(stage('hipaa-breach', 'individuals').deadline(ctx()).at).toEqual(at('2027-01-23T09:15:00Z'));
    expect(stage('hipaa-breach', 'hhs').deadline(ctx({ affectedIndividuals: 40 })).at).toEqual(at('2027-03-02T00:00:00Z'));
    expect(stage('hipaa-breach', 'media').appliesWhen!(ctx({ affectedIndividuals: 40 }))).toBe(false);
    expect(stage('hipaa-breach', 'media').appliesWhen!(ctx({ affectedIndividuals: 501 }))).toBe(true);
  });
});

describe(usStateRule.name, () => {
  it('adds a state in a few lines, applying only to its residents', () => {
    // A made-up state: the helper's shape, not any state's law.
    const example = usStateRule({ state: 'ZZ', name: 'Example State', citation: 'Example Code § 1', sourceUrl: 'https://example.org/code/1', individualsDays: 45 });
    expect(example.id).toBe('us-zz');
    expect(example.appliesTo!({ jurisdictions: ['US-ZZ'] })).toBe(true);
    expect(example.appliesTo!({ jurisdictions: ['US-TX', 'DE'] })).toBe(false);
    expect(example.stages[0].deadline(ctx()).at).toEqual(at('2027-01-08T09:15:00Z'));
    expect(example.stages).toHaveLength(1);
    expect(example.pause).toBeNull();
  });

  it('texas: the attorney general within 30 days when 250 or more residents are affected', () => {
    const ag = stage('us-tx', 'attorney_general');
    expect(ag.deadline(ctx()).at).toEqual(at('2026-12-24T09:15:00Z'));
    expect(ag.appliesWhen!(ctx({ affectedIndividuals: 100 }))).toBe(false);
  });
});

describe('every rule', () => {
  it.each(Object.values(OBLIGATION_RULES).map((r) => [r.id, r] as const))('%s names its legal source and a checklist for each stage', (_id, rule) => {
    expect(rule.citation.length).toBeGreaterThan(10);
    expect(rule.sourceUrl).toMatch(/^https:\/\//);
    for (const s of rule.stages) expect(s.checklist.length).toBeGreaterThan(0);
  });
});
