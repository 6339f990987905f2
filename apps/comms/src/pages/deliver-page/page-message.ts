import type { EventData, PageRequestedV1 } from '@vigil/contracts';

/**
 * What a page says, in words: what happened, how bad, where to read it and how to acknowledge it.
 * The incident's title comes from an alert, so every value is passed through the channel's
 * `escape` (as templates' values are); the links are Vigil's own and stay usable.
 */
export function pageMessage(page: EventData<typeof PageRequestedV1>, escape: (untrusted: string) => string): { subject: string; text: string } {
  const prefix = page.incident.exercise ? '[EXERCISE] ' : '';
  const what = `${page.incident.severity} ${escape(page.incident.category.replace(/_/g, ' '))}`;
  const title = escape(page.incident.title);
  const subject = `${prefix}[Vigil] ${what}: ${title}`;
  const text = [
    `${prefix}${escape(page.person.name)}, you are paged: ${what} — ${title}`,
    `Why: ${escape(page.reason)} (escalation step ${page.step.number}${page.step.cycle > 0 ? `, repeat ${page.step.cycle}` : ''}).`,
    `Incident: ${page.incident.link}`,
    `Acknowledge: POST ${page.acknowledge.url}`,
    `Acknowledge this page only: POST ${page.acknowledge.escalationUrl}`,
    escape(page.acknowledge.instructions),
  ].join('\n');
  return { subject, text };
}
