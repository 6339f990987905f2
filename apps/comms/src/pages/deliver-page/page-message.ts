import type { EventData, PageRequestedV1 } from '@vigil/contracts';

/** What a page says, in words: what happened, how bad, where to read it and how to acknowledge it. Plain text, no templates. */
export function pageMessage(page: EventData<typeof PageRequestedV1>): { subject: string; text: string } {
  const prefix = page.incident.exercise ? '[EXERCISE] ' : '';
  const subject = `${prefix}[Vigil] ${page.incident.severity} ${page.incident.category.replace(/_/g, ' ')}: ${page.incident.title}`;
  const text = [
    `${prefix}${page.person.name}, you are paged: ${page.incident.severity} ${page.incident.category.replace(/_/g, ' ')} — ${page.incident.title}`,
    `Why: ${page.reason} (escalation step ${page.step.number}${page.step.cycle > 0 ? `, repeat ${page.step.cycle}` : ''}).`,
    `Incident: ${page.incident.link}`,
    `Acknowledge: POST ${page.acknowledge.url}`,
    `Acknowledge this page only: POST ${page.acknowledge.escalationUrl}`,
    page.acknowledge.instructions,
  ].join('\n');
  return { subject, text };
}
