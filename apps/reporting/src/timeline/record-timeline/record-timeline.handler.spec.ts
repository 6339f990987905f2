// @nestjs/common 12 ships only as ES modules, which the unit project does not transform; the
// handler only needs @Injectable from it.
jest.mock('@nestjs/common', () => ({ Injectable: () => () => undefined }));

import { ActionApprovedV1, ActionExecutedV1, ActionFailedV1, ActionRequestedV1, ActionReviewedV1, ActionUndoneV1 } from '@vigil/contracts';
import {
  AlertReceivedV1,
  AlertRepeatedV1,
  DecisionRecordedV1,
  EscalationExhaustedV1,
  EscalationStartedV1,
  EscalationStepExecutedV1,
  EscalationStoppedV1,
  IncidentAcknowledgedV1,
  IncidentAlertAttachedV1,
  IncidentOpenedV1,
  IncidentPhaseChangedV1,
  MessageSentV1,
  IncidentRestrictionChangedV1,
  NotificationDeliveredV1,
  NotificationFailedV1,
  ObligationMissedV1,
  PageDeliveredV1,
  PageFailedV1,
  PageRequestedV1,
  StatusUpdateMissedV1,
  ReviewActionItemAddedV1,
  ReviewOpenedV1,
  ReviewStateChangedV1,
  TaskCancelledV1,
  TaskSlaBreachedV1,
  TaskCompletedV1,
  TaskCreatedV1,
  createEvent,
  type CloudEvent,
  type EventDefinition,
  type IncidentSnapshot,
} from '@vigil/contracts';
import type { EntityManager } from 'typeorm';
import { RecordTimelineHandler, describe as describeEvent } from './record-timeline.handler';

const incidentId = '3f1c2b4a-5d6e-4f70-8a9b-0c1d2e3f4a5b';
const alertId = '7a8b9c0d-1e2f-4a3b-9c4d-5e6f7a8b9c0d';
const escalationId = '5d6e7f80-1a2b-4c3d-8e4f-5a6b7c8d9e0f';
const policyId = '0b6f3c52-8f0e-4d44-9d7a-2d8c7f1e9a10';
const pageId = '6f1c1f9e-3a57-4c38-9a43-0c3b7e2f4c11';
const personId = '9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a';
/** The time of the event itself, deliberately unlike every timestamp in the data. */
const eventTime = new Date('2026-11-24T09:00:00.000Z');

const incident: IncidentSnapshot = {
  incidentId,
  title: 'Credential dumping on web-01',
  severity: 'SEV2',
  category: 'unauthorized_access',
  phase: 'contained',
  exercise: false,
  alertCount: 3,
  version: 4,
  timestamps: {
    occurredAt: '2026-11-24T06:40:00.000Z',
    detectedAt: '2026-11-24T06:41:00.000Z',
    declaredAt: '2026-11-24T06:41:05.000Z',
    acknowledgedAt: '2026-11-24T06:45:00.000Z',
    containedAt: '2026-11-24T07:30:00.000Z',
    eradicatedAt: null,
    recoveredAt: null,
    closedAt: null,
  },
};
const alert = { alertId, dedupKey: 'edr-4711', title: 'lsass access', source: 'edr:crowdstrike', receivedAt: '2026-11-24T06:41:00.000Z' };
const notification = {
  notificationId: 'c2d3e4f5-a6b7-4c8d-9e0f-1a2b3c4d5e6f',
  incidentId,
  channel: 'webhook',
  audience: 'ir-team',
  attempts: 3,
  at: '2026-11-24T06:42:00.000Z',
  lastError: null,
};

const actionRef = { actionId: 'c9d0e1f2-a3b4-4c5d-8e6f-7a8b9c0d1e2f', incidentId, kind: 'isolate_host' as const, target: { type: 'host' as const, value: 'dc-01' } };

const eventOf = <E extends EventDefinition>(definition: E, data: unknown): CloudEvent =>
  createEvent(definition, { source: '/vigil/test', subject: incidentId, data: data as never, time: eventTime, id: `evt-${definition.type}` });

describe('describe (timeline line of an event)', () => {
  it.each<[string, CloudEvent, { at: string; incidentId?: string; alertId?: string }, RegExp]>([
    [
      'an alert received, on the alert only, at its receive time',
      eventOf(AlertReceivedV1, {
        alertId,
        dedupKey: 'edr-4711',
        title: 'lsass access',
        source: 'edr:crowdstrike',
        severity: 'high',
        occurredAt: '2026-11-24T06:40:00.000Z',
        receivedAt: '2026-11-24T06:41:00.000Z',
        labels: {},
        assets: [],
        observables: [],
        exercise: false,
      }),
      { at: '2026-11-24T06:41:00.000Z', alertId },
      /edr:crowdstrike.*high.*lsass access/,
    ],
    [
      'an incident opened, at its declaration',
      eventOf(IncidentOpenedV1, { incident, alert }),
      { at: '2026-11-24T06:41:05.000Z', incidentId, alertId },
      /SEV2 unauthorized_access: Credential dumping on web-01/,
    ],
    [
      'an alert attached, at the event time',
      eventOf(IncidentAlertAttachedV1, { incident, alert }),
      { at: eventTime.toISOString(), incidentId, alertId },
      /3 in all.*lsass access/,
    ],
    [
      'an acknowledgement, at the acknowledgement time',
      eventOf(IncidentAcknowledgedV1, { incident, actor: 'alice@soc.example', reason: 'paged late' }),
      { at: '2026-11-24T06:45:00.000Z', incidentId },
      /alice@soc\.example \(paged late\)/,
    ],
    [
      'a phase change, at the event time',
      eventOf(IncidentPhaseChangedV1, { incident, from: 'triaged', to: 'contained', actor: 'bob@soc.example', reason: null }),
      { at: eventTime.toISOString(), incidentId },
      /triaged → contained by bob@soc\.example$/,
    ],
    [
      'a task created, at its creation',
      eventOf(TaskCreatedV1, {
        taskId: 'e1f2a3b4-c5d6-4e7f-8a9b-0c1d2e3f4a5b',
        incidentId,
        playbook: 'default-v1',
        phase: 'contained',
        title: 'Isolate web-01',
        role: 'system_administrator',
        status: 'open',
        dueAt: null,
        createdAt: '2026-11-24T06:41:06.000Z',
      }),
      { at: '2026-11-24T06:41:06.000Z', incidentId },
      /system_administrator \(contained\): Isolate web-01/,
    ],
    [
      'a task cancelled, at its cancellation, with why',
      eventOf(TaskCancelledV1, {
        taskId: 'e1f2a3b4-c5d6-4e7f-8a9b-0c1d2e3f4a5b',
        incidentId,
        title: 'Isolate web-01',
        cancelledAt: '2026-11-24T07:02:00.000Z',
        reason: 'incident merged into 5d6e7f80-1a2b-4c3d-8e4f-5a6b7c8d9e0f by alice: same intrusion',
        actor: 'alice',
        mergedInto: '5d6e7f80-1a2b-4c3d-8e4f-5a6b7c8d9e0f',
      }),
      { at: '2026-11-24T07:02:00.000Z', incidentId },
      /^Task cancelled: Isolate web-01 \(incident merged into 5d6e7f80-.* by alice: same intrusion\)$/,
    ],
    [
      'a task past its SLA, at the breach',
      eventOf(TaskSlaBreachedV1, {
        taskId: 'e1f2a3b4-c5d6-4e7f-8a9b-0c1d2e3f4a5b',
        incidentId,
        title: 'Isolate web-01',
        phase: 'contained',
        role: 'system_administrator',
        assignee: null,
        severity: 'SEV1',
        mandatory: true,
        dueAt: '2026-11-24T07:00:00.000Z',
        breachedAt: '2026-11-24T07:00:05.000Z',
        exercise: false,
      }),
      { at: '2026-11-24T07:00:05.000Z', incidentId },
      /^Task SLA breached \(SEV1, contained, due 2026-11-24T07:00:00.000Z\): Isolate web-01$/,
    ],
    [
      'a notification delivered, at its delivery',
      eventOf(NotificationDeliveredV1, notification),
      { at: '2026-11-24T06:42:00.000Z', incidentId },
      /ir-team via webhook delivered after 3 attempt\(s\)$/,
    ],
    [
      'a notification failed, at its last attempt, with the error',
      eventOf(NotificationFailedV1, { ...notification, attempts: 8, lastError: 'HTTP 502' }),
      { at: '2026-11-24T06:42:00.000Z', incidentId },
      /ir-team via webhook failed after 8 attempt\(s\): HTTP 502$/,
    ],
    [
      'an escalation started, at its start, with the policy version and why',
      eventOf(EscalationStartedV1, { escalationId, incidentId, policyId, policyName: 'SEV1/SEV2', policyVersion: 3, trigger: { kind: 'incident-opened', reason: 'SEV2 incident opened and not acknowledged' }, severity: 'SEV2', exercise: false, startedAt: '2026-11-24T06:41:06.000Z' }),
      { at: '2026-11-24T06:41:06.000Z', incidentId },
      /^Escalation started with SEV1\/SEV2 \(version 3\): SEV2 incident opened and not acknowledged$/,
    ],
    [
      'an escalation step, with who it paged, what named nobody, and when the next one runs',
      eventOf(EscalationStepExecutedV1, {
        escalationId,
        incidentId,
        step: { number: 2, cycle: 1, key: '1.2' },
        targets: [],
        paged: [{ pageId, personId, name: 'Bob Secondary' }],
        unresolved: [{ target: { type: 'role', role: 'legal' }, reason: 'nobody on the roster has the role legal' }],
        executedAt: '2026-11-24T06:46:07.000Z',
        nextStepDueAt: '2026-11-24T06:56:07.000Z',
      }),
      { at: '2026-11-24T06:46:07.000Z', incidentId },
      /^Escalation step 2 \(repeat 1\): paged Bob Secondary; nobody on the roster has the role legal; next at 2026-11-24T06:56:07.000Z unless acknowledged$/,
    ],
    [
      'a page requested, naming the person but none of their contact details',
      eventOf(PageRequestedV1, {
        pageId,
        escalationId,
        incidentId,
        step: { number: 1, cycle: 0, key: '0.1' },
        person: { personId, name: 'Alice Analyst', timeZone: 'UTC', contactMethods: [{ kind: 'phone', number: '+4915112345678' }] },
        incident: { title: 't', severity: 'SEV2', category: 'malware', exercise: false, restricted: false, link: 'l' },
        acknowledge: { url: 'u', escalationUrl: 'e', instructions: 'i' },
        reason: 'r',
        requestedAt: '2026-11-24T06:41:07.000Z',
      }),
      { at: '2026-11-24T06:41:07.000Z', incidentId },
      /^Page to Alice Analyst requested \(step 1\)$/,
    ],
    [
      'a page delivered, by channel',
      eventOf(PageDeliveredV1, { pageId, escalationId, incidentId, personId, notificationId: notification.notificationId, channel: 'email', attempts: 1, at: '2026-11-24T06:41:09.000Z', lastError: null }),
      { at: '2026-11-24T06:41:09.000Z', incidentId },
      /^Page delivered via email after 1 attempt\(s\)$/,
    ],
    [
      'a page that could not go anywhere',
      eventOf(PageFailedV1, { pageId, escalationId, incidentId, personId, notificationId: null, channel: null, attempts: 0, at: '2026-11-24T06:41:09.000Z', lastError: 'no contact method comms can deliver to (has: phone)' }),
      { at: '2026-11-24T06:41:09.000Z', incidentId },
      /^Page failed after 0 attempt\(s\): no contact method comms can deliver to \(has: phone\)$/,
    ],
    [
      'an escalation stopped by an acknowledgement, with who and after which step',
      eventOf(EscalationStoppedV1, { escalationId, incidentId, reason: 'acknowledged', detail: null, actor: 'u-alice', at: '2026-11-24T06:50:00.000Z', lastStep: { number: 2, cycle: 0, key: '0.2' } }),
      { at: '2026-11-24T06:50:00.000Z', incidentId },
      /^Escalation stopped after step 2: acknowledged by u-alice$/,
    ],
    [
      'an escalation that ran out',
      eventOf(EscalationExhaustedV1, { escalationId, incidentId, policyId, policyName: 'SEV1/SEV2', stepsExecuted: 7, at: '2026-11-24T08:00:00.000Z' }),
      { at: '2026-11-24T08:00:00.000Z', incidentId },
      /^Escalation ran out: SEV1\/SEV2 ran 7 step\(s\) and nobody acknowledged$/,
    ],
    [
      'a message sent, with where and its hash',
      eventOf(MessageSentV1, {
        messageId: 'd3e4f5a6-b7c8-4d9e-8f0a-1b2c3d4e5f6a',
        incidentId,
        audience: 'customers',
        purpose: 'initial_notice',
        textSha256: 'ab'.repeat(32),
        outcome: 'partially_sent',
        draftedBy: 'u-carol',
        approvedBy: 'u-leo',
        channels: [
          { name: 'customer-mail', kind: 'email', recipients: ['all@example.com'], delivered: true },
          { name: 'status-page', kind: 'webhook', recipients: ['webhook:status-page'], delivered: false },
        ],
        automatic: false,
        at: '2026-11-24T08:11:00.000Z',
      }),
      { at: '2026-11-24T08:11:00.000Z', incidentId },
      /^Message to customers \(initial notice\) partially sent via customer-mail, status-page \(failed\); text SHA-256 abababababab…$/,
    ],
    [
      'a decision, at when it was recorded',
      eventOf(DecisionRecordedV1, {
        decisionId: 'f5a6b7c8-d9e0-4f1a-8b2c-3d4e5f6a7b8c',
        incidentId,
        kind: 'personal_data_breach',
        effectiveAt: '2026-11-24T07:00:00.000Z',
        awareAt: '2026-11-24T07:00:00.000Z',
        decidedBy: 'u-leo',
        reason: 'CRM export confirmed',
        implied: false,
        recordedAt: '2026-11-24T08:00:00.000Z',
      }),
      { at: '2026-11-24T08:00:00.000Z', incidentId },
      /^Decision: personal data breach, effective 2026-11-24T07:00:00.000Z, by u-leo \(CRM export confirmed\)$/,
    ],
    [
      'a regulatory deadline missed',
      eventOf(ObligationMissedV1, {
        obligation: {
          obligationId: 'e4f5a6b7-c8d9-4e0f-9a1b-2c3d4e5f6a7b',
          incidentId,
          rule: 'gdpr-art33',
          stage: 'notification',
          regulation: 'GDPR',
          title: 'GDPR: Notification to the supervisory authority',
          citation: 'Regulation (EU) 2016/679 (GDPR), Art. 33(1) and (3)',
          audience: 'regulators',
          status: 'late',
          startedAt: '2026-11-21T07:00:00.000Z',
          deadline: '2026-11-24T07:00:00.000Z',
          deadlineKind: 'statutory',
        },
        at: '2026-11-24T07:00:01.000Z',
        severity: 'SEV1',
      }),
      { at: '2026-11-24T07:00:01.000Z', incidentId },
      /^Regulatory deadline missed: GDPR: Notification to the supervisory authority was due 2026-11-24T07:00:00.000Z$/,
    ],
    [
      'a status update missed',
      eventOf(StatusUpdateMissedV1, {
        incidentId,
        audience: 'management',
        severity: 'SEV1',
        intervalSeconds: 1800,
        lastUpdateAt: null,
        dueAt: '2026-11-24T07:11:05.000Z',
        graceSeconds: 600,
        at: '2026-11-24T07:21:05.000Z',
      }),
      { at: '2026-11-24T07:21:05.000Z', incidentId },
      /^Status update to management missed: due 2026-11-24T07:11:05.000Z, none sent within 10 min$/,
    ],
    [
      'a response action requested, with the approvals it needs',
      eventOf(ActionRequestedV1, {
        ...actionRef,
        taskId: null,
        connector: { connectorId: 'a7b8c9d0-e1f2-4a3b-8c4d-5e6f7a8b9c0d', name: 'EDR' },
        reason: 'beaconing',
        criticality: 'critical',
        approvalsRequired: 2,
        approverRoles: ['ir_manager'],
        expiresAt: '2026-11-24T08:00:00.000Z',
        requestedBy: 'u-alice',
        requestedAt: '2026-11-24T07:00:00.000Z',
        breakGlass: null,
        undoOf: null,
      }),
      { at: '2026-11-24T07:00:00.000Z', incidentId },
      /^Action isolate host on dc-01 via EDR: requested by u-alice, 2 approval\(s\) needed$/,
    ],
    [
      'a response action approved',
      eventOf(ActionApprovedV1, { ...actionRef, approver: 'u-irene', roles: ['ir_manager'], approvals: 1, approvalsRequired: 2, approvedAt: '2026-11-24T07:05:00.000Z' }),
      { at: '2026-11-24T07:05:00.000Z', incidentId },
      /approved by u-irene \(1 of 2\)/,
    ],
    [
      'a response action carried out',
      eventOf(ActionExecutedV1, { ...actionRef, statusCode: 200, attempts: 1, breakGlass: true, undoOf: null, executedAt: '2026-11-24T07:06:00.000Z' }),
      { at: '2026-11-24T07:06:00.000Z', incidentId },
      /carried out \(HTTP 200, 1 attempt\(s\)\), break-glass$/,
    ],
    [
      'a response action expired',
      eventOf(ActionFailedV1, { ...actionRef, outcome: 'expired', error: 'not approved within 60 minutes', attempts: 0, at: '2026-11-24T08:01:00.000Z' }),
      { at: '2026-11-24T08:01:00.000Z', incidentId },
      /expired: not approved within 60 minutes/,
    ],
    [
      'a response action rejected, saying by whom once',
      eventOf(ActionFailedV1, { ...actionRef, outcome: 'rejected', error: 'rejected by u-ian: block the C2 address instead', attempts: 0, at: '2026-11-24T08:02:00.000Z' }),
      { at: '2026-11-24T08:02:00.000Z', incidentId },
      /on [^ ]+ rejected by u-ian: block the C2 address instead$/,
    ],
    [
      'a response action interrupted mid-send',
      eventOf(ActionFailedV1, { ...actionRef, outcome: 'interrupted', error: 'still sending 960 s after it started', attempts: 0, at: '2026-11-24T08:03:00.000Z' }),
      { at: '2026-11-24T08:03:00.000Z', incidentId },
      /interrupted: still sending 960 s after it started$/,
    ],
    [
      'a response action undone',
      eventOf(ActionUndoneV1, { ...actionRef, undoActionId: 'b8c9d0e1-f2a3-4b4c-9d5e-6f7a8b9c0d1e', undoKind: 'unisolate_host', actor: 'u-alice', undoneAt: '2026-11-24T09:00:00.000Z' }),
      { at: '2026-11-24T09:00:00.000Z', incidentId },
      /undone \(unisolate host\) by u-alice/,
    ],
    [
      'a break-glass action reviewed',
      eventOf(ActionReviewedV1, { ...actionRef, reviewer: 'u-audrey', note: 'justified', reviewedAt: '2026-11-25T09:00:00.000Z' }),
      { at: '2026-11-25T09:00:00.000Z', incidentId },
      /reviewed by u-audrey: justified/,
    ],
  ])('describes %s', (_, event, expected, summary) => {
    const line = describeEvent(event);
    expect(line).toBeDefined();
    expect({ at: line!.at, incidentId: line!.incidentId, alertId: line!.alertId }).toEqual({
      at: expected.at,
      incidentId: expected.incidentId,
      alertId: expected.alertId,
    });
    expect(line!.summary).toMatch(summary);
  });

  it('falls back to the event time for an acknowledgement without a clock entry', () => {
    const event = eventOf(IncidentAcknowledgedV1, { incident: { ...incident, timestamps: { ...incident.timestamps, acknowledgedAt: null } }, actor: 'alice', reason: null });
    expect(describeEvent(event)).toEqual({ at: eventTime.toISOString(), incidentId, summary: 'Acknowledged by alice' });
  });

  it.each(['vigil.review.scheduled.v1', 'vigil.alert.received.v2', 'com.example.other'])('has no line for the unknown type %s', (type) => {
    const event = { ...eventOf(NotificationDeliveredV1, notification), type };
    expect(describeEvent(event)).toBeUndefined();
  });
});

describe(RecordTimelineHandler.name, () => {
  function fakeManager() {
    const queries: Array<[string, unknown[]]> = [];
    const manager = { query: async (sql: string, params: unknown[]) => void queries.push([sql, params]) };
    return { manager: manager as unknown as EntityManager, queries };
  }
  const write = (event: CloudEvent) => ({ ...describeEvent(event)!, eventId: event.id, type: event.type, source: event.source });
  const repeat = (n: number, lastSeenAt: string) =>
    createEvent(AlertRepeatedV1, { source: '/vigil/intake', subject: 'k', id: `evt-repeat-${n}`, data: { alertId, dedupKey: 'k', occurrences: n + 1, lastSeenAt, severity: 'low', exercise: false } });

  it('records an alert not yet on an incident under the alert, without a link', async () => {
    const { manager, queries } = fakeManager();
    const event = eventOf(AlertReceivedV1, {
      alertId, dedupKey: 'k', title: 't', source: 's', severity: 'low',
      occurredAt: '2026-11-24T06:40:00.000Z', receivedAt: '2026-11-24T06:41:00.000Z',
      labels: {}, assets: [], observables: [], exercise: false,
    });
    await new RecordTimelineHandler().record(manager, [write(event)]);
    expect(queries).toEqual([[expect.stringContaining('INSERT INTO reporting.timeline_entries'), [[event.id], [null], [alertId], ['2026-11-24T06:41:00.000Z'], [AlertReceivedV1.type], ['/vigil/test'], [expect.stringContaining('t')]]]]);
  });

  it('records an incident line under the incident and links its alert to it', async () => {
    const { manager, queries } = fakeManager();
    await new RecordTimelineHandler().record(manager, [write(eventOf(IncidentOpenedV1, { incident, alert }))]);
    expect(queries).toHaveLength(2);
    expect(queries[0][1].slice(1, 3)).toEqual([[incidentId], [null]]);
    expect(queries[1]).toEqual([expect.stringContaining('incident_alert_links'), [[alertId], [incidentId]]]);
  });

  it('writes a run of lines in one statement, and the newest link of each alert once', async () => {
    const { manager, queries } = fakeManager();
    const other = { ...incident, incidentId: '0e1d2c3b-4a59-4687-9765-a4b3c2d1e0f9' };
    const lines = [eventOf(IncidentOpenedV1, { incident, alert }), { ...eventOf(IncidentAlertAttachedV1, { incident: other, alert, movedFrom: incidentId, actor: 'u-alice' }), id: 'evt-moved' }].map(write);
    await new RecordTimelineHandler().record(manager, lines);
    expect(queries).toHaveLength(2);
    expect(queries[0][1][0]).toEqual([lines[0].eventId, 'evt-moved']);
    expect(queries[1][1]).toEqual([[alertId], [other.incidentId]]);
  });

  it('folds the repeats of an alert in a run into one counted entry, first and last seen, newest summary', async () => {
    const { manager, queries } = fakeManager();
    const repeats = [repeat(1, '2026-11-24T06:42:00.000Z'), repeat(2, '2026-11-24T06:43:00.000Z'), repeat(3, '2026-11-24T06:44:00.000Z')];
    await new RecordTimelineHandler().record(manager, repeats.map(write));
    expect(queries).toHaveLength(1);
    const [sql, params] = queries[0];
    expect(sql).toMatch(/ON CONFLICT \(collapse_key\) WHERE collapse_key IS NOT NULL DO UPDATE SET\s+count = t.count \+ EXCLUDED.count/);
    expect(params).toEqual([
      ['evt-repeat-1'],
      [null],
      [alertId],
      ['2026-11-24T06:42:00.000Z'],
      [AlertRepeatedV1.type],
      ['/vigil/intake'],
      ['Alert seen again (4 occurrences)'],
      [`repeated:${alertId}`],
      [3],
      ['2026-11-24T06:44:00.000Z'],
    ]);
  });

  it('folds the attachments triage reports for repeats into one entry per alert and incident, but not moves or correlations', () => {
    const byKey = describeEvent(eventOf(IncidentAlertAttachedV1, { incident, alert, correlatedBy: 'dedup_key' }))!;
    expect(byKey.collapseKey).toBe(`attached:${incidentId}:${alertId}`);
    expect(describeEvent(eventOf(IncidentAlertAttachedV1, { incident, alert, movedFrom: incidentId, actor: 'u-alice' }))!.collapseKey).toBeUndefined();
    expect(describeEvent(eventOf(IncidentAlertAttachedV1, { incident, alert, correlatedBy: 'asset_category' }))!.collapseKey).toBeUndefined();
  });

  it('has a registration for every event it can describe, and each writes its run at once', () => {
    const registrations = new RecordTimelineHandler().registrations();
    expect(registrations.every((r) => r.kind === 'run')).toBe(true);
    expect(new Set(registrations.map((r) => r.type)).size).toBe(registrations.length);
  });
});

describe('describe (the post-incident half)', () => {
  const review = { reviewId: 'f0e1d2c3-b4a5-4968-8776-a5b4c3d2e1f0', incidentId, state: 'completed' as const, exercise: false, version: 4 };

  it.each<[string, CloudEvent, string, RegExp]>([
    ['a review opened, at its opening', eventOf(ReviewOpenedV1, { review: { ...review, state: 'draft', version: 1 }, openedAt: '2026-11-26T09:00:00.000Z' }), '2026-11-26T09:00:00.000Z', /^Post-incident review opened \(draft\)$/],
    ['a review completed', eventOf(ReviewStateChangedV1, { review, from: 'in_review', to: 'completed', actor: 'u-irene', reason: null }), eventTime.toISOString(), /^Post-incident review completed by u-irene$/],
    ['a review sent back, with why', eventOf(ReviewStateChangedV1, { review: { ...review, state: 'draft' }, from: 'in_review', to: 'draft', actor: 'u-irene', reason: 'impact missing' }), eventTime.toISOString(), /sent back to draft by u-irene \(impact missing\)$/],
    [
      'an action item, with its owner and due time',
      eventOf(ReviewActionItemAddedV1, {
        actionItem: { actionItemId: 'b2c3d4e5-f6a7-4b8c-9d0e-1f2a3b4c5d6e', incidentId, origin: 'review', reviewId: review.reviewId, exerciseId: null, title: 'Close RDP', type: 'playbook_change', owner: 'u-sam', dueAt: '2026-12-01T17:00:00.000Z', playbookVersionId: null, exercise: false },
        actor: 'u-alice',
      }),
      eventTime.toISOString(),
      /^Action item \(playbook change\) for u-sam, due 2026-12-01 17:00 UTC: Close RDP$/,
    ],
    [
      'a task done, by whom, at its completion',
      eventOf(TaskCompletedV1, { taskId: 'e1f2a3b4-c5d6-4e7f-8a9b-0c1d2e3f4a5b', incidentId, title: 'Isolate web-01', completedAt: '2026-11-24T07:10:00.000Z', actor: 'u-sam', note: null, actionItemId: null }),
      '2026-11-24T07:10:00.000Z',
      /^Task done by u-sam: Isolate web-01$/,
    ],
    ['a restriction, with why', eventOf(IncidentRestrictionChangedV1, { incident: { ...incident, restricted: true }, restricted: true, actor: 'u-irene', reason: 'insider threat' }), eventTime.toISOString(), /^Restricted to need to know by u-irene \(insider threat\)$/],
  ])('describes %s', (_, event, at, summary) => {
    const line = describeEvent(event)!;
    expect(line).toMatchObject({ at, incidentId });
    expect(line.summary).toMatch(summary);
  });
});
