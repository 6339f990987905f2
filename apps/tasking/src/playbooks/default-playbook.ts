import type { IncidentPhase, IncidentSeverity, ResponderRole } from '@vigil/contracts';

export interface PlaybookStep {
  key: string;
  phase: IncidentPhase;
  title: string;
  role: ResponderRole;
  /** Target time from declaration to done, by severity, in minutes. */
  dueMinutes: Record<IncidentSeverity, number>;
}

export interface Playbook {
  name: string;
  steps: readonly PlaybookStep[];
}

const hours = (sev1: number, sev2: number, sev3: number, sev4: number) => ({
  SEV1: sev1 * 60,
  SEV2: sev2 * 60,
  SEV3: sev3 * 60,
  SEV4: sev4 * 60,
});

/**
 * The playbook every incident gets until per-category playbooks exist: one task per remaining
 * phase of NIST SP 800-61, each owned by a team role, each with a severity-dependent target.
 */
export const DEFAULT_PLAYBOOK: Playbook = {
  name: 'default-v1',
  steps: [
    {
      key: 'analyse',
      phase: 'triaged',
      title: 'Analyse the alerts, scope the incident and rule out a false positive',
      role: 'security_analyst',
      dueMinutes: { SEV1: 15, SEV2: 30, SEV3: 120, SEV4: 480 },
    },
    {
      key: 'contain',
      phase: 'contained',
      title: 'Contain: isolate affected hosts, block malicious addresses, disable compromised accounts',
      role: 'system_administrator',
      dueMinutes: hours(1, 4, 24, 72),
    },
    {
      key: 'inform',
      phase: 'contained',
      title: 'Inform management and stakeholders; assess regulatory notification duties',
      role: 'communications',
      dueMinutes: hours(2, 8, 24, 72),
    },
    {
      key: 'eradicate',
      phase: 'eradicated',
      title: 'Eradicate: remove malware and persistence, fix the exploited weakness',
      role: 'system_administrator',
      dueMinutes: hours(24, 48, 120, 240),
    },
    {
      key: 'recover',
      phase: 'recovered',
      title: 'Recover: restore systems from clean sources and watch for recurrence',
      role: 'system_administrator',
      dueMinutes: hours(48, 96, 240, 480),
    },
    {
      key: 'review',
      phase: 'post_incident',
      title: 'Hold the post-incident review: root cause, what worked, what did not, action items',
      role: 'ir_manager',
      dueMinutes: hours(24 * 7, 24 * 14, 24 * 30, 24 * 30),
    },
  ],
};
