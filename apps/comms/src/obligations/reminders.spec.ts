import { nextCheck, remindersAlreadyDue } from './reminders';

const HOUR = 3_600_000;
const leads = [24 * HOUR, 4 * HOUR, HOUR];
const deadline = new Date('2026-11-27T09:00:00Z');
const before = (hours: number) => new Date(deadline.getTime() - hours * HOUR);

describe('deadline reminders', () => {
  it('checks a new clock first at its 24-hour reminder, then at 4 hours, 1 hour, and the deadline itself', () => {
    expect([0, 1, 2, 3].map((sent) => nextCheck(deadline, sent, leads))).toEqual([before(24), before(4), before(1), deadline]);
  });

  it('does not send, late, the reminders whose time had passed when the clock started', () => {
    expect(remindersAlreadyDue(deadline, before(72), leads)).toBe(0);
    expect(remindersAlreadyDue(deadline, before(3), leads)).toBe(2); // the next is the 1-hour one
    expect(remindersAlreadyDue(deadline, new Date(deadline.getTime() + HOUR), leads)).toBe(3); // already late: straight to the deadline
  });

  it('never checks a clock without a deadline', () => {
    expect(nextCheck(null, 0, leads)).toBeNull();
    expect(remindersAlreadyDue(null, deadline, leads)).toBe(0);
  });
});
