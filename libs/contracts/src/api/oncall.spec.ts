import { z } from 'zod';
import { isBeyondSchema } from '../beyond-schema';
import { CreateOverride, EscalationPolicyInput, RecurrenceRule, TimeZone } from './oncall';

describe('RecurrenceRule', () => {
  const pattern = new RegExp((z.toJSONSchema(RecurrenceRule, { io: 'input' }) as { pattern: string }).pattern);

  it('takes an RRULE in any case, with or without RRULE:, and gives it in one spelling', () => {
    expect(RecurrenceRule.parse(' rrule:freq=weekly;byday=mo ')).toBe('FREQ=WEEKLY;BYDAY=MO');
    expect(RecurrenceRule.parse('FREQ=DAILY;INTERVAL=2')).toBe('FREQ=DAILY;INTERVAL=2');
  });

  // The API documents carry the pattern; validation is the same regular expression, so they agree.
  it('documents exactly what it takes', () => {
    const values = [
      'FREQ=WEEKLY;BYDAY=MO', 'freq=hourly', 'RRULE:FREQ=YEARLY;BYMONTH=1', '\ufeffFREQ=DAILY\u3000', 'FREQ=MINUTELY', 'FREQ=DAILY;DTSTART=20260101T000000Z',
      'FREQ=DAILY;dtstart=1', 'FREQ=DAILY;DTSTARTX=1', 'FREQ=DAİLY', 'FREQ=DAıLY', 'x', '', 'FREQ=DAILY;', 'RRULE: FREQ=DAILY', '\u001cFREQ=DAILY',
    ];
    for (const value of values) expect([value, pattern.test(value)]).toEqual([value, RecurrenceRule.safeParse(value).success]);
    expect(pattern.test('FREQ=DAILY;DTSTART=20260101T000000Z')).toBe(false);
    expect(pattern.test('FREQ=DAILY;DTSTARTX=1')).toBe(true);
  });
});

describe('rules beyond what JSON Schema can state', () => {
  it('mark an unknown time zone and the order of two fields, so that the API answers 422', () => {
    expect(TimeZone.safeParse('Europe/Berlin').success).toBe(true);
    expect(TimeZone.safeParse('Mars/Olympus_Mons').error!.issues.every(isBeyondSchema)).toBe(true);
    const override = CreateOverride.safeParse({ personId: '3f1c2b4a-5d6e-4f70-8a9b-0c1d2e3f4a5b', start: '2026-04-11T09:00:00Z', end: '2026-04-10T17:00:00Z' });
    expect(override.error!.issues.map((i) => [i.path.join('.'), isBeyondSchema(i)])).toEqual([['end', true]]);
    const policy = EscalationPolicyInput.safeParse({ name: 'p', steps: [{ targets: [], waitMinutes: 0.00001 }], repeat: { times: 1, fromStep: 2 } });
    expect(policy.error!.issues.map((i) => [i.path.join('.'), isBeyondSchema(i)])).toEqual([
      ['steps.0.waitMinutes', true],
      ['repeat.fromStep', true],
    ]);
  });

  it('leave what a schema does say as it is (400)', () => {
    expect(TimeZone.safeParse('').error!.issues.every(isBeyondSchema)).toBe(false);
  });
});
