import { isExternalAudience, type AudienceKey, type MessagePurpose, type SaveTemplate } from '@vigil/contracts';

/**
 * Templates Vigil ships, per purpose and audience. The IR team, management and legal get the facts; employees and outside audiences
 * get careful wording that never repeats the alert's title (an internal, attacker-influenced
 * text) and says only what the organisation has decided to say (message.note).
 */
const DATE = '"%Y-%m-%d %H:%M UTC"';
const EXERCISE = '{% if incident.exercise %}[EXERCISE] {% endif %}';
const NOTE = '{% if message.note %}\n{{ message.note }}\n{% endif %}';

const internal: Record<MessagePurpose, SaveTemplate> = {
  initial_notice: {
    subject: `${EXERCISE}{{ incident.severity }} {{ incident.category }} incident: {{ incident.title | truncate: 120 }}`,
    body: `A {{ incident.severity }} incident was declared at {{ incident.declaredAt | date: ${DATE} }}.
Title: {{ incident.title }}
Category: {{ incident.category }} · phase: {{ incident.phase }} · alerts: {{ incident.alertCount }}
Owner: {{ incident.owner | default: "not assigned yet" }}
${NOTE}
Incident {{ incident.id }}`,
  },
  status_update: {
    subject: `${EXERCISE}Update: {{ incident.severity }} {{ incident.title | truncate: 120 }}`,
    body: `Status of incident {{ incident.id }} ({{ incident.severity }}, {{ incident.category }}): phase {{ incident.phase }}.
{{ message.note | default: "No change since the last update." }}
Acknowledged: {{ incident.acknowledgedAt | date: ${DATE} | default: "not yet" }}
Contained: {{ incident.containedAt | date: ${DATE} | default: "not yet" }}
Recovered: {{ incident.recoveredAt | date: ${DATE} | default: "not yet" }}`,
  },
  resolution: {
    subject: `${EXERCISE}Resolved: {{ incident.severity }} {{ incident.title | truncate: 120 }}`,
    body: `Incident {{ incident.id }} is {{ incident.phase }}.
Detected {{ incident.detectedAt | date: ${DATE} }}, contained {{ incident.containedAt | date: ${DATE} | default: "—" }}, recovered {{ incident.recoveredAt | date: ${DATE} | default: "—" }}.
${NOTE}
A post-incident review follows.`,
  },
  regulator_notice: {
    subject: `${EXERCISE}Draft {{ obligation.regulation }} notice: {{ incident.title | truncate: 100 }}`,
    body: `Draft for {{ obligation.recipient }} ({{ obligation.citation }}), due {{ obligation.deadline | date: ${DATE} | default: "without undue delay" }}.
{% for item in obligation.checklist %}
{{ forloop.index }}. {{ item.label }}: {{ item.value | default: "[to be completed]" }}{% endfor %}
${NOTE}`,
  },
};

const external: Record<MessagePurpose, SaveTemplate> = {
  initial_notice: {
    subject: `${EXERCISE}Security notice from {{ organisation.name }}`,
    body: `We are investigating a security incident that we detected on {{ incident.detectedAt | date: "%B %-d, %Y" }}. We have started our response and are working to contain it.
${NOTE}
We will keep you informed as we learn more. If you have questions, contact {{ organisation.contact }}.

{{ organisation.name }}`,
  },
  status_update: {
    subject: `${EXERCISE}Update on the security incident at {{ organisation.name }}`,
    body: `This is an update on the security incident we told you about.
{{ message.note | default: "Our investigation continues; we have nothing new to report yet." }}

Questions: {{ organisation.contact }}
{{ organisation.name }}`,
  },
  resolution: {
    subject: `${EXERCISE}The security incident at {{ organisation.name }} is resolved`,
    body: `The security incident we told you about has been resolved.
${NOTE}
Thank you for your patience. Questions: {{ organisation.contact }}
{{ organisation.name }}`,
  },
  regulator_notice: {
    subject: `${EXERCISE}{{ obligation.regulation }} notification from {{ organisation.name }}: {{ obligation.title }}`,
    body: `To: {{ obligation.recipient }}
Legal basis: {{ obligation.citation }}
From: {{ organisation.name }} (contact: {{ organisation.contact }}{% if organisation.dpoContact %}; data protection officer: {{ organisation.dpoContact }}{% endif %})
Our reference: {{ incident.id }}
Trigger (awareness, classification or determination): {{ obligation.startedAt | date: ${DATE} }}
Deadline: {{ obligation.deadline | date: ${DATE} | default: "without undue delay" }}
{% for item in obligation.checklist %}
{{ forloop.index }}. {{ item.label }}
{{ item.value | default: "[to be completed]" }}
{% endfor %}${NOTE}
{{ organisation.name }}`,
  },
};

/** Wording that differs for one audience. */
const byAudience: Partial<Record<AudienceKey, Partial<Record<MessagePurpose, SaveTemplate>>>> = {
  media: {
    initial_notice: {
      subject: `${EXERCISE}Statement from {{ organisation.name }} on a security incident`,
      body: `{{ organisation.name }} is responding to a security incident detected on {{ incident.detectedAt | date: "%B %-d, %Y" }}. We are working with security experts to investigate and contain it{% if incident.informationImpact == "privacy" %}, and we will notify anyone whose information was affected as the law requires{% endif %}.
${NOTE}
Media enquiries: {{ organisation.contact }}`,
    },
  },
  law_enforcement: {
    initial_notice: {
      subject: `${EXERCISE}Report of a cybersecurity incident at {{ organisation.name }}`,
      body: `{{ organisation.name }} reports a {{ incident.category }} incident.
Activity first observed: {{ incident.occurredAt | date: ${DATE} }}
Detected: {{ incident.detectedAt | date: ${DATE} }}
Our reference: {{ incident.id }}
${NOTE}
Point of contact: {{ organisation.contact }}`,
    },
  },
  employees: {
    initial_notice: {
      subject: `${EXERCISE}Security incident: what you need to know`,
      body: `Our security team is responding to an incident detected on {{ incident.detectedAt | date: "%B %-d, %Y" }}.
${NOTE}
Please do not discuss it outside the company, and report anything unusual to {{ organisation.contact }}.`,
    },
  },
};

export function defaultTemplate(audience: AudienceKey, purpose: MessagePurpose): SaveTemplate {
  // Employees are inside, but a message to all of them travels as far as one to customers.
  const careful = isExternalAudience(audience) || audience === 'employees';
  return byAudience[audience]?.[purpose] ?? (careful ? external : internal)[purpose];
}
