import type { ExerciseView, Scenario } from '@vigil/contracts';
import { evaluateExercise } from '../../exercises/evaluate/evaluate-exercise';
import type { AuditDigest, IncidentRecord } from '../incident-report/incident-record';

/**
 * A ransomware incident as reporting would hold it, for the sample reports in docs/samples (kept in
 * step with the code by samples.spec.ts). Invented names and addresses from documentation ranges.
 */
const id = '5b3e8f1a-2c4d-4e6f-8a9b-0c1d2e3f4a5b';
const t = (hhmmss: string, day = '24') => `2026-11-${day}T${hhmmss}.000Z`;
let seq = 0;
const line = (at: string, service: string, type: string, summary: string) => ({ at, type, source: `/vigil/${service}`, summary, eventId: `evt-${String(++seq).padStart(3, '0')}` });

const timeline = [
  line(t('06:41:10'), 'intake', 'vigil.alert.received.v1', 'Alert received from edr:crowdstrike (critical): Mass file renames with the .lockbit extension on fs-01'),
  line(t('06:41:11'), 'triage', 'vigil.incident.opened.v1', 'Incident opened as SEV1 ransomware: Mass file renames with the .lockbit extension on fs-01'),
  line(t('06:41:12'), 'tasking', 'vigil.task.created.v1', 'Task for security_analyst (triaged): Analyse the alerts, scope the incident and rule out a false positive'),
  line(t('06:41:12'), 'tasking', 'vigil.task.created.v1', 'Task for system_administrator (contained): Contain: isolate affected hosts, block malicious addresses, disable compromised accounts'),
  line(t('06:41:13'), 'comms', 'vigil.notification.delivered.v1', 'Notification to ir_team via webhook delivered after 1 attempt(s)'),
  line(t('06:44:02'), 'triage', 'vigil.incident.acknowledged.v1', 'Acknowledged by u-alice'),
  line(t('06:47:30'), 'intake', 'vigil.alert.received.v1', 'Alert received from edr:crowdstrike (critical): Shadow copies deleted on fs-02 (vssadmin delete shadows /all)'),
  line(t('06:47:31'), 'triage', 'vigil.incident.alert-attached.v1', 'Alert attached by asset category (2 in all): Shadow copies deleted on fs-02 (vssadmin delete shadows /all)'),
  line(t('06:52:40'), 'triage', 'vigil.incident.classified.v1', 'Classified SEV1 ransomware (functional high, information privacy, recoverability supplemented), was SEV1 ransomware, by u-alice (HR share holds personal data; backups intact)'),
  line(t('06:53:05'), 'triage', 'vigil.incident.assigned.v1', 'Assigned: owner u-irene, responders u-alice, u-sam, by u-irene'),
  line(t('06:55:00'), 'triage', 'vigil.incident.phase-changed.v1', 'Phase detected → triaged by u-alice'),
  line(t('07:31:45'), 'triage', 'vigil.incident.phase-changed.v1', 'Phase triaged → contained by u-sam (fs-01 and fs-02 isolated, svc-backup disabled)'),
  line(t('07:32:10'), 'tasking', 'vigil.task.completed.v1', 'Task done by u-sam: Contain: isolate affected hosts, block malicious addresses, disable compromised accounts (both file servers isolated)'),
  line(t('09:10:00'), 'comms', 'vigil.notification.delivered.v1', 'Notification to management via webhook delivered after 1 attempt(s)'),
  line(t('15:20:00'), 'triage', 'vigil.incident.phase-changed.v1', 'Phase contained → eradicated by u-sam'),
  line(t('21:05:00'), 'triage', 'vigil.incident.phase-changed.v1', 'Phase eradicated → recovered by u-sam (shares restored from last night\'s backup)'),
  line(t('10:00:00', '26'), 'triage', 'vigil.incident.phase-changed.v1', 'Phase recovered → post_incident by u-irene'),
  line(t('10:00:00', '26'), 'reporting', 'vigil.review.opened.v1', 'Post-incident review opened (draft)'),
  line(t('14:12:00', '26'), 'reporting', 'vigil.review.action-item-added.v1', 'Action item (control) for u-sam, due 2026-12-10 17:00 UTC: Remove the RDP gateway from the internet; put it behind the VPN with MFA'),
  line(t('14:13:30', '26'), 'reporting', 'vigil.review.action-item-added.v1', 'Action item (detection) for u-alice, due 2026-12-03 17:00 UTC: Alert on logins of service accounts from outside the data centre'),
  line(t('14:14:10', '26'), 'reporting', 'vigil.review.action-item-added.v1', 'Action item (playbook change) for u-irene, due 2026-12-17 17:00 UTC: Ransomware playbook: start the GDPR clock at containment, not at recovery'),
  line(t('16:40:00', '26'), 'reporting', 'vigil.review.state-changed.v1', 'Post-incident review put in review by u-alice'),
  line(t('09:30:00', '27'), 'reporting', 'vigil.review.state-changed.v1', 'Post-incident review completed by u-irene'),
  line(t('09:31:00', '27'), 'triage', 'vigil.incident.phase-changed.v1', 'Phase post_incident → closed by u-irene'),
];

export const SAMPLE_NOW = new Date('2026-11-27T10:00:00Z');

export const sampleIncidentRecord: IncidentRecord = {
  incident: {
    incidentId: id,
    title: 'Mass file renames with the .lockbit extension on fs-01',
    severity: 'SEV1',
    category: 'ransomware',
    phase: 'closed',
    exercise: false,
    alertCount: 2,
    owner: 'u-irene',
    responders: ['u-alice', 'u-sam'],
    mergedInto: null,
    classification: { functionalImpact: 'high', informationImpact: 'privacy', recoverability: 'supplemented', assetCriticality: 'critical', classifiedBy: 'u-alice' },
    timestamps: {
      occurredAt: t('06:38:00'),
      detectedAt: t('06:41:10'),
      declaredAt: t('06:41:11'),
      acknowledgedAt: t('06:44:02'),
      containedAt: t('07:31:45'),
      eradicatedAt: t('15:20:00'),
      recoveredAt: t('21:05:00'),
      closedAt: t('09:31:00', '27'),
    },
  },
  alerts: [
    {
      alertId: '1f2e3d4c-5b6a-4978-8695-a4b3c2d1e0f9',
      title: 'Mass file renames with the .lockbit extension on fs-01',
      source: 'edr:crowdstrike',
      severity: 'critical',
      category: 'ransomware',
      occurredAt: t('06:38:00'),
      receivedAt: t('06:41:10'),
      assets: [{ hostname: 'fs-01', ip: '10.20.0.15' }],
      observables: [
        { type: 'hash', value: '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08' },
        { type: 'user', value: 'svc-backup' },
      ],
    },
    {
      alertId: '2a3b4c5d-6e7f-4a8b-9c0d-1e2f3a4b5c6d',
      title: 'Shadow copies deleted on fs-02 (vssadmin delete shadows /all)',
      source: 'edr:crowdstrike',
      severity: 'critical',
      category: 'ransomware',
      occurredAt: t('06:46:55'),
      receivedAt: t('06:47:30'),
      assets: [{ hostname: 'fs-02', ip: '10.20.0.16' }],
      observables: [{ type: 'user', value: 'svc-backup' }],
    },
  ],
  timeline,
  tasks: [
    { title: 'Analyse the alerts, scope the incident and rule out a false positive', role: 'security_analyst', phase: 'triaged', status: 'done', dueAt: t('06:56:11'), createdAt: t('06:41:12'), assignee: null, completedAt: t('06:54:30'), completedBy: 'u-alice', cancelReason: null },
    { title: 'Contain: isolate affected hosts, block malicious addresses, disable compromised accounts', role: 'system_administrator', phase: 'contained', status: 'done', dueAt: t('07:41:11'), createdAt: t('06:41:12'), assignee: null, completedAt: t('07:32:10'), completedBy: 'u-sam', cancelReason: null },
    { title: 'Inform management and stakeholders; assess regulatory notification duties', role: 'communications', phase: 'contained', status: 'done', dueAt: t('08:41:11'), createdAt: t('06:41:12'), assignee: null, completedAt: t('09:12:00'), completedBy: 'u-carol', cancelReason: null },
    { title: 'Control: Remove the RDP gateway from the internet; put it behind the VPN with MFA', role: 'system_administrator', phase: 'post_incident', status: 'open', dueAt: '2026-12-10T17:00:00.000Z', createdAt: t('14:12:01', '26'), assignee: 'u-sam', completedAt: null, completedBy: null, cancelReason: null },
  ],
  review: {
    reviewId: '7c6b5a49-3827-4e16-9f05-e4d3c2b1a098',
    incidentId: id,
    state: 'completed',
    version: 6,
    exercise: false,
    openedAt: t('10:00:00', '26'),
    updatedAt: t('09:30:00', '27'),
    completedAt: t('09:30:00', '27'),
    completedBy: 'u-irene',
    summary: 'An attacker logged in to the RDP gateway as svc-backup with a password reused from a breached site, and encrypted the Finance and HR shares on fs-01 and fs-02. Both servers were isolated within 51 minutes of detection and the shares restored from the previous night\'s offline backups.',
    impact: 'Finance and HR shares unavailable for 14 hours; 3,900 files of the HR share (staff personal data) encrypted, none shown to have left the network.',
    rootCause: 'The RDP gateway was reachable from the internet with password-only logins, and svc-backup had interactive logon rights it did not need.',
    contributingFactors: ['svc-backup\'s password had not been rotated since 2023', 'No alert on service-account logins from outside the data centre'],
    whatWorked: ['EDR detected the mass rename within three minutes', 'Offline backups were intact and restorable'],
    whatDidNot: ['The regulator\'s clock was only considered at recovery', 'Management heard of it from Finance before the IR team told them'],
    keyMoments: [
      { eventId: 'evt-001', label: 'First alert' },
      { eventId: 'evt-012', label: 'Contained' },
    ],
    timeline: [],
    actionItems: [
      {
        actionItemId: '0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d', incidentId: id, origin: 'review', reviewId: '7c6b5a49-3827-4e16-9f05-e4d3c2b1a098', exerciseId: null,
        title: 'Remove the RDP gateway from the internet; put it behind the VPN with MFA', type: 'control', owner: 'u-sam', dueAt: '2026-12-10T17:00:00.000Z',
        playbookVersionId: null, exercise: false, description: null, status: 'open', overdue: false, taskId: 'f1e2d3c4-b5a6-4978-8695-a4b3c2d1e0ff', createdAt: t('14:12:00', '26'), createdBy: 'u-alice', completedAt: null, completedBy: null,
      },
      {
        actionItemId: '1b2c3d4e-5f6a-4b7c-8d9e-0f1a2b3c4d5e', incidentId: id, origin: 'review', reviewId: '7c6b5a49-3827-4e16-9f05-e4d3c2b1a098', exerciseId: null,
        title: 'Alert on logins of service accounts from outside the data centre', type: 'detection', owner: 'u-alice', dueAt: '2026-12-03T17:00:00.000Z',
        playbookVersionId: null, exercise: false, description: null, status: 'done', overdue: false, taskId: 'e2d3c4b5-a6f7-4089-9a1b-2c3d4e5f6a7b', createdAt: t('14:13:30', '26'), createdBy: 'u-alice', completedAt: t('08:15:00', '27'), completedBy: 'u-alice',
      },
      {
        actionItemId: '2c3d4e5f-6a7b-4c8d-9e0f-1a2b3c4d5e6f', incidentId: id, origin: 'review', reviewId: '7c6b5a49-3827-4e16-9f05-e4d3c2b1a098', exerciseId: null,
        title: 'Ransomware playbook: start the GDPR clock at containment, not at recovery', type: 'playbook_change', owner: 'u-irene', dueAt: '2026-12-17T17:00:00.000Z',
        playbookVersionId: 'ransomware@3', exercise: false, description: null, status: 'open', overdue: false, taskId: 'd3c4b5a6-f7e8-4d9c-8b1a-3c4d5e6f7a8b', createdAt: t('14:14:10', '26'), createdBy: 'u-alice', completedAt: null, completedBy: null,
      },
    ],
  },
  audit: {
    service: 'reporting',
    records: 9,
    firstSeq: 1204,
    lastSeq: 1288,
    lastHash: '4f2a9c1e7b3d5a8f0c6e2b9d4a7f1c3e5b8d0a2f4c6e8a1b3d5f7c9e0b2d4f6a',
    digest: '9b1d3f5a7c9e1b3d5f7a9c1e3b5d7f9a1c3e5b7d9f1a3c5e7b9d1f3a5c7e9b1d',
    chainHead: { seq: 1301, hash: 'c8e0a2b4d6f8a0c2e4b6d8f0a2c4e6b8d0f2a4c6e8b0d2f4a6c8e0b2d4f6a8c0' },
  } satisfies AuditDigest,
};

/** A ransomware exercise of the library, ended at T+75, its containment late and its notice never approved. */
export function sampleExercise(scenario: Scenario): { view: ExerciseView; audit: AuditDigest } {
  const startedAt = new Date('2026-11-19T09:00:00Z');
  const at = (minutes: number) => new Date(startedAt.getTime() + minutes * 60_000).toISOString();
  const endedAt = new Date(at(75));
  const evaluation = evaluateExercise(scenario, {
    startedAt,
    endedAt,
    now: endedAt,
    clock: { declaredAt: at(0.1), acknowledgedAt: at(3.5), containedAt: at(68), eradicatedAt: null, recoveredAt: null, closedAt: null },
    phasesEntered: { detected: at(0.1), triaged: at(12) },
    firstEvents: new Map([['vigil.notification.delivered.v1', at(0.2)]]),
    observations: new Map([['regulator-clock', { at: at(41), note: 'DPO rang the authority\'s hotline', by: 'u-irene' }]]),
    ratings: new Map([
      ['detection', { rating: 'P' as const, strengths: ['First alert acknowledged in three and a half minutes'], areasForImprovement: [], note: null, ratedBy: 'u-irene' }],
      ['containment', { rating: 'M' as const, strengths: [], areasForImprovement: ['Isolation waited 40 minutes for the file server owner'], note: null, ratedBy: 'u-irene' }],
      ['communications', { rating: 'S' as const, strengths: ['Regulator clock started on time'], areasForImprovement: ['No draft customer notice existed'], note: null, ratedBy: 'u-irene' }],
    ]),
  });
  const minutes = new Map(scenario.modules.flatMap((m) => m.injects.map((i) => [i.key, i.atMinutes] as const)));
  const view: ExerciseView = {
    exerciseId: '8d7c6b5a-4938-4271-9e0f-a1b2c3d4e5f6',
    scenario: scenario.key,
    title: 'Q4 ransomware tabletop',
    state: 'ended',
    startedAt: startedAt.toISOString(),
    startedBy: 'u-irene',
    endedAt: endedAt.toISOString(),
    endedBy: 'u-irene',
    incidentId: '9e8d7c6b-5a49-4382-8716-0f1e2d3c4b5a',
    attack: scenario.attack,
    injects: scenario.modules.flatMap((m) =>
      m.injects.map((i) => ({
        key: i.key,
        module: m.key,
        kind: i.kind,
        atMinutes: i.atMinutes,
        dueAt: at(i.atMinutes),
        status: 'sent' as const,
        releasedAt: at(minutes.get(i.key)!),
        alertId: null,
        error: null,
      })),
    ),
    expectedActions: evaluation.expectedActions,
    capabilities: evaluation.capabilities,
    score: evaluation.score,
    improvementPlan: [
      {
        actionItemId: '3d4e5f6a-7b8c-4d9e-8f0a-2b3c4d5e6f7a', incidentId: '9e8d7c6b-5a49-4382-8716-0f1e2d3c4b5a', origin: 'exercise', reviewId: null, exerciseId: '8d7c6b5a-4938-4271-9e0f-a1b2c3d4e5f6',
        title: 'Agree with file server owners that the IR team may isolate without asking', type: 'control', owner: 'u-irene', dueAt: '2026-12-15T17:00:00.000Z',
        playbookVersionId: null, exercise: true, description: null, status: 'open', overdue: false, taskId: null, createdAt: at(90), createdBy: 'u-irene', completedAt: null, completedBy: null, capability: 'containment',
      },
      {
        actionItemId: '4e5f6a7b-8c9d-4e0f-9a1b-3c4d5e6f7a8b', incidentId: '9e8d7c6b-5a49-4382-8716-0f1e2d3c4b5a', origin: 'exercise', reviewId: null, exerciseId: '8d7c6b5a-4938-4271-9e0f-a1b2c3d4e5f6',
        title: 'Keep a pre-approved customer notice for a personal-data breach', type: 'playbook_change', owner: 'u-leo', dueAt: '2027-01-15T17:00:00.000Z',
        playbookVersionId: null, exercise: true, description: null, status: 'open', overdue: false, taskId: null, createdAt: at(92), createdBy: 'u-irene', completedAt: null, completedBy: null, capability: 'communications',
      },
    ],
  };
  return { view, audit: { service: 'reporting', records: 14, firstSeq: 2210, lastSeq: 2260, lastHash: null, digest: '2e4a6c8e0b2d4f6a8c0e2b4d6f8a0c2e4b6d8f0a2c4e6b8d0f2a4c6e8b0d2f4a', chainHead: { seq: 2262, hash: 'a1c3e5b7d9f1a3c5e7b9d1f3a5c7e9b1d3f5a7c9e1b3d5f7a9c1e3b5d7f9a1c3' } } };
}
