import type { VigilRole } from '@vigil/contracts';

/**
 * The one permission table: what each role may do, in every service. Routes name the permission
 * they need (`@Permit('incidents.acknowledge')`); a route that names none answers 403 to everyone
 * (default deny). docs/access.md shows this table; a test keeps the two in step.
 *
 * `management` reads everything and changes nothing; `auditor` reads everything and the audit
 * trail; `admin` configures (integrations, rules, assets) but does not work incidents.
 */
const READ_INCIDENTS: VigilRole[] = [
  'ir_manager',
  'security_analyst',
  'system_administrator',
  'communications',
  'legal',
  'management',
  'auditor',
];
const RESPONDERS: VigilRole[] = ['ir_manager', 'security_analyst', 'system_administrator'];
const ANALYSTS: VigilRole[] = ['ir_manager', 'security_analyst'];
const READ_CONFIGURATION: VigilRole[] = ['ir_manager', 'security_analyst', 'management', 'auditor', 'admin'];

export const PERMISSIONS = {
  // Incidents and what hangs off them (alerts, tasks, notifications, timeline).
  'incidents.read': { roles: READ_INCIDENTS, what: 'read incidents, their alerts, history, notes, links, tasks, escalations, notifications, messages, regulatory clocks, timeline and post-incident review' },
  'incidents.acknowledge': { roles: RESPONDERS, what: 'acknowledge an incident (which stops its escalations) or a page' },
  'incidents.transition': { roles: RESPONDERS, what: 'move an incident through its lifecycle' },
  'incidents.classify': { roles: ANALYSTS, what: 'classify an incident (NIST SP 800-61) and override its severity' },
  'incidents.assign': { roles: ANALYSTS, what: 'set an incident\'s owner and responders' },
  'incidents.annotate': {
    roles: ['ir_manager', 'security_analyst', 'system_administrator', 'communications', 'legal'] as VigilRole[],
    what: 'add notes and links to an incident',
  },
  'incidents.correct-clock': { roles: ANALYSTS, what: 'correct an incident\'s clock (with a reason)' },
  'incidents.merge': { roles: ANALYSTS, what: 'merge incidents and move alerts between them' },
  'incidents.restrict': { roles: ['ir_manager'] as VigilRole[], what: 'mark an incident restricted (need to know) or lift it' },
  'tasks.complete': {
    roles: ['ir_manager', 'security_analyst', 'system_administrator', 'communications', 'legal'] as VigilRole[],
    what: 'mark a task of an incident done (a review action item\'s task closes the action item)',
  },
  // Lessons learned: post-incident reviews and their action items.
  'reviews.write': { roles: ANALYSTS, what: 'write a post-incident review, mark key moments, add action items, put it in review or send it back' },
  'reviews.complete': { roles: ['ir_manager'] as VigilRole[], what: 'complete a post-incident review (the incident may then be closed)' },
  // Exercises.
  'exercises.read': { roles: READ_INCIDENTS, what: 'read the scenario library, exercises and their after-action reports' },
  'exercises.run': { roles: ['ir_manager'] as VigilRole[], what: 'start an exercise from a scenario, release injects early, end it' },
  'exercises.evaluate': { roles: ['ir_manager'] as VigilRole[], what: 'record observations, rate capabilities (HSEEP P/S/M/U) and add improvement plan items' },
  'alerts.read': { roles: READ_INCIDENTS, what: 'read alerts and where triage placed them' },
  'alerts.read-raw': { roles: ['ir_manager', 'auditor'] as VigilRole[], what: "read an alert's raw payload as intake received it (intake cannot tell its incident, so only roles that see every incident)" },
  'alerts.promote': { roles: ANALYSTS, what: 'promote a held alert to an incident' },
  // Configuration.
  'assets.read': { roles: [...READ_CONFIGURATION, 'system_administrator'] as VigilRole[], what: 'read the asset register' },
  'assets.write': { roles: ['admin'] as VigilRole[], what: 'register, change and import assets' },
  'triage-rules.read': { roles: READ_CONFIGURATION, what: 'read correlation and suppression rules and the severity matrix' },
  'triage-rules.write': { roles: ['admin'] as VigilRole[], what: 'change correlation rules, create and revoke suppression rules' },
  'integrations.read': { roles: ['admin', 'auditor'] as VigilRole[], what: 'list intake integrations (never their keys)' },
  'integrations.write': { roles: ['admin'] as VigilRole[], what: 'create and revoke intake integrations and their keys' },
  // The response team: roster, on-call schedules and escalation policies (tasking).
  'oncall.read': { roles: [...READ_INCIDENTS, 'admin'] as VigilRole[], what: 'read the roster, teams, on-call schedules (who is on call, coverage, previews) and escalation policies' },
  'oncall.write': {
    roles: ['ir_manager', 'admin'] as VigilRole[],
    what: 'change the roster, teams, schedules, overrides, escalation policies and their rules; import them from PagerDuty or Grafana OnCall',
  },
  // Communications: channels, audiences, templates, messages to audiences, regulatory clocks.
  'channels.read': { roles: ['ir_manager', 'communications', 'auditor', 'admin'] as VigilRole[], what: 'list notification channels (never their secrets)' },
  'channels.write': { roles: ['admin'] as VigilRole[], what: 'create, change and remove notification channels and their secrets' },
  'audiences.read': { roles: [...READ_INCIDENTS, 'admin'] as VigilRole[], what: 'read audiences: their channels, recipients, rules and status-update cadence' },
  'audiences.write': { roles: ['admin'] as VigilRole[], what: 'change audiences: channels, recipients, rules, approval and cadence' },
  'templates.read': { roles: ['ir_manager', 'communications', 'legal', 'auditor', 'admin'] as VigilRole[], what: 'read message templates and preview them against an incident' },
  'templates.write': { roles: ['communications', 'admin'] as VigilRole[], what: 'save and reset message templates' },
  'messages.draft': { roles: ['ir_manager', 'communications'] as VigilRole[], what: 'draft messages to audiences and regulatory notices (inside audiences are sent at once)' },
  'messages.approve': { roles: ['ir_manager', 'legal'] as VigilRole[], what: 'approve or reject messages to audiences that need approval (restricted incidents: legal only)' },
  'obligations.decide': { roles: ['ir_manager', 'legal'] as VigilRole[], what: 'record decisions that start regulatory clocks; submit, pause, resume and waive them' },
  // Figures and the record.
  'metrics.read': { roles: READ_INCIDENTS, what: 'read MTTx figures and KPIs' },
  'reports.read': { roles: READ_INCIDENTS, what: 'download incident reports and periodic reports (Markdown, PDF)' },
  'audit.read': { roles: ['auditor'] as VigilRole[], what: 'read, verify and export the audit trail' },
} as const satisfies Record<string, { roles: readonly VigilRole[]; what: string }>;

export type Permission = keyof typeof PERMISSIONS;

export function isPermission(value: string): value is Permission {
  return Object.prototype.hasOwnProperty.call(PERMISSIONS, value);
}

/** Whether any of the roles grants the permission. */
export function allows(roles: readonly VigilRole[], permission: Permission): boolean {
  const granted: readonly VigilRole[] = PERMISSIONS[permission].roles;
  return roles.some((r) => granted.includes(r));
}

/** Roles that see every restricted incident (besides its owner and responders). */
export const NEED_TO_KNOW_ROLES: readonly VigilRole[] = ['ir_manager', 'auditor'];
