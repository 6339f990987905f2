// A regulatory clock is looked at at each reminder lead before its deadline (longest first), then
// at the deadline itself.

/** The next time a clock needs looking at: its next reminder, else its deadline. */
export function nextCheck(deadline: Date | null, remindersSent: number, leadsMs: readonly number[]): Date | null {
  if (!deadline) return null;
  const lead = leadsMs[remindersSent];
  return lead === undefined ? deadline : new Date(deadline.getTime() - lead);
}

/** Reminders whose time has already passed when a clock starts are not sent late. */
export function remindersAlreadyDue(deadline: Date | null, now: Date, leadsMs: readonly number[]): number {
  if (!deadline) return 0;
  return leadsMs.filter((lead) => now.getTime() >= deadline.getTime() - lead).length;
}
