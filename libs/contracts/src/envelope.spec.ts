import { AlertAcknowledgedV1, AlertReceivedV1, AlertRepeatedV1, AlertResolvedV1 } from './events/alerts';
import { EventCatalog, type EventType } from './events/catalog';
import {
  DecisionRecordedV1,
  MessageApprovedV1,
  MessageAwaitingApprovalV1,
  MessageRejectedV1,
  MessageSentV1,
  NotificationDeliveredV1,
  NotificationFailedV1,
  ObligationApproachingV1,
  ObligationChangedV1,
  ObligationMissedV1,
  ObligationOpenedV1,
  ObligationSubmittedV1,
  StatusUpdateDueV1,
  StatusUpdateMissedV1,
  type ObligationSnapshot,
} from './events/comms';
import type { EventData } from './events/define-event';
import {
  IncidentAcknowledgedV1,
  IncidentAlertAttachedV1,
  IncidentAlertDetachedV1,
  IncidentAssignedV1,
  IncidentClassifiedV1,
  IncidentClockCorrectedV1,
  IncidentLinkedV1,
  IncidentMergedV1,
  IncidentNoteAddedV1,
  IncidentOpenedV1,
  IncidentPhaseChangedV1,
  IncidentRestrictionChangedV1,
  type IncidentSnapshot,
} from './events/incidents';
import {
  EscalationExhaustedV1,
  EscalationStartedV1,
  EscalationStepExecutedV1,
  EscalationStoppedV1,
  PageDeliveredV1,
  PageFailedV1,
  PageRequestedV1,
} from './events/escalations';
import { ReviewActionItemAddedV1, ReviewOpenedV1, ReviewStateChangedV1 } from './events/reviews';
import { TaskCancelledV1, TaskCompletedV1, TaskCreatedV1 } from './events/tasks';
import { CloudEventHeaders, ContractViolation, createEvent, decodeEvent, isEvent, toKafkaHeaders, UnknownEventType, type CloudEvent } from './envelope';

const incidentId = '3f1c2b4a-5d6e-4f70-8a9b-0c1d2e3f4a5b';
const alertId = '7a8b9c0d-1e2f-4a3b-9c4d-5e6f7a8b9c0d';
const escalationId = '5d6e7f80-1a2b-4c3d-8e4f-5a6b7c8d9e0f';
const policyId = '0b6f3c52-8f0e-4d44-9d7a-2d8c7f1e9a10';
const pageId = '6f1c1f9e-3a57-4c38-9a43-0c3b7e2f4c11';
const personId = '9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a';

const incident: IncidentSnapshot = {
  incidentId,
  title: 'Credential dumping detected on web-01',
  severity: 'SEV2',
  category: 'unauthorized_access',
  phase: 'triaged',
  exercise: false,
  alertCount: 1,
  version: 2,
  timestamps: {
    occurredAt: '2026-11-24T06:40:00Z',
    detectedAt: '2026-11-24T06:41:00Z',
    declaredAt: '2026-11-24T06:41:05Z',
    acknowledgedAt: '2026-11-24T06:45:00Z',
    containedAt: null,
    eradicatedAt: null,
    recoveredAt: null,
    closedAt: null,
  },
};

const alertRef = {
  alertId,
  dedupKey: 'edr-4711',
  title: 'Credential dumping detected on web-01',
  source: 'edr:crowdstrike',
  receivedAt: '2026-11-24T06:41:00Z',
};

const notification = {
  notificationId: 'c2d3e4f5-a6b7-4c8d-9e0f-1a2b3c4d5e6f',
  incidentId,
  channel: 'webhook',
  audience: 'ir-team',
  attempts: 2,
  at: '2026-11-24T06:42:00Z',
  lastError: null,
};

const message = {
  messageId: 'd3e4f5a6-b7c8-4d9e-8f0a-1b2c3d4e5f6a',
  incidentId,
  audience: 'customers' as const,
  purpose: 'initial_notice' as const,
  textSha256: 'a'.repeat(64),
};

const obligation: ObligationSnapshot = {
  obligationId: 'e4f5a6b7-c8d9-4e0f-9a1b-2c3d4e5f6a7b',
  incidentId,
  rule: 'gdpr-art33',
  stage: 'notification',
  regulation: 'GDPR',
  title: 'Notify the supervisory authority of a personal data breach',
  citation: 'Regulation (EU) 2016/679, Art. 33(1)',
  audience: 'regulators',
  status: 'open',
  startedAt: '2026-11-24T09:00:00Z',
  deadline: '2026-11-27T09:00:00Z',
  deadlineKind: 'statutory',
};

const cadence = { incidentId, audience: 'management' as const, severity: 'SEV1' as const, intervalSeconds: 1800, lastUpdateAt: null, dueAt: '2026-11-24T07:11:05Z' };

/** One valid data sample per event type of the catalog. */
const samples: { [T in EventType]: EventData<(typeof EventCatalog)[T]> } = {
  [IncidentRestrictionChangedV1.type]: { incident: { ...incident, restricted: true }, restricted: true, actor: 'u-irene', reason: 'insider threat' },
  [AlertReceivedV1.type]: {
    alertId,
    dedupKey: 'edr-4711',
    title: 'Credential dumping detected on web-01',
    source: 'edr:crowdstrike',
    severity: 'high',
    category: 'unauthorized_access',
    occurredAt: '2026-11-24T06:40:00Z',
    receivedAt: '2026-11-24T06:41:00Z',
    description: 'lsass memory read by an unsigned binary',
    labels: { rule: 'lsass-access' },
    assets: [{ hostname: 'web-01', ip: '10.0.4.21' }],
    observables: [{ type: 'hash', value: 'd41d8cd98f00b204e9800998ecf8427e' }],
    exercise: false,
  },
  [AlertRepeatedV1.type]: { alertId, dedupKey: 'edr-4711', occurrences: 3, lastSeenAt: '2026-11-24T06:45:00Z', severity: 'high', exercise: false },
  [AlertAcknowledgedV1.type]: { alertId, dedupKey: 'edr-4711', acknowledgedAt: '2026-11-24T06:46:00Z', exercise: false },
  [AlertResolvedV1.type]: { alertId, dedupKey: 'edr-4711', resolvedAt: '2026-11-24T06:50:00Z', exercise: false },
  [IncidentOpenedV1.type]: { incident: { ...incident, phase: 'detected', version: 1 }, alert: alertRef },
  [IncidentAlertAttachedV1.type]: { incident: { ...incident, alertCount: 2 }, alert: alertRef },
  [IncidentAcknowledgedV1.type]: { incident, actor: 'alice@soc.example', reason: null },
  [IncidentPhaseChangedV1.type]: { incident, from: 'detected', to: 'triaged', actor: 'bob@soc.example', reason: 'scoped' },
  [IncidentAlertDetachedV1.type]: { incident, alert: alertRef, movedTo: 'a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d', actor: 'bob@soc.example', reason: 'other host' },
  [IncidentMergedV1.type]: {
    incident: { ...incident, alertCount: 4 },
    mergedIncidentIds: ['a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d'],
    alertsMoved: 3,
    actor: 'alice@soc.example',
    reason: 'same campaign',
  },
  [IncidentClassifiedV1.type]: {
    incident: {
      ...incident,
      classification: { functionalImpact: 'high', informationImpact: 'integrity', recoverability: 'extended', assetCriticality: 'high', classifiedBy: 'alice@soc.example' },
    },
    previous: { category: 'other', severity: 'SEV3', functionalImpact: 'low', informationImpact: 'none', recoverability: 'regular' },
    actor: 'alice@soc.example',
    reason: 'encryption confirmed',
  },
  [IncidentAssignedV1.type]: { incident: { ...incident, owner: 'irene@soc.example', responders: ['bob@soc.example'] }, owner: 'irene@soc.example', responders: ['bob@soc.example'], actor: 'irene@soc.example' },
  [IncidentNoteAddedV1.type]: { incident, noteId: 'b2c3d4e5-f6a7-4b8c-9d0e-1f2a3b4c5d6e', author: 'bob@soc.example', body: 'memory image taken' },
  [IncidentLinkedV1.type]: { incident, linkedIncidentId: 'a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d', relation: 'related', actor: 'bob@soc.example' },
  [IncidentClockCorrectedV1.type]: {
    incident,
    field: 'occurredAt',
    from: '2026-11-24T06:40:00Z',
    to: '2026-11-24T05:10:00Z',
    actor: 'alice@soc.example',
    reason: 'first beacon in proxy logs',
  },
  [TaskCreatedV1.type]: {
    taskId: 'e1f2a3b4-c5d6-4e7f-8a9b-0c1d2e3f4a5b',
    incidentId,
    playbook: 'default-v1',
    phase: 'contained',
    title: 'Contain: isolate affected hosts',
    role: 'system_administrator',
    status: 'open',
    dueAt: '2026-11-24T07:41:05Z',
    createdAt: '2026-11-24T06:41:06Z',
  },
  [TaskCancelledV1.type]: {
    taskId: 'e1f2a3b4-c5d6-4e7f-8a9b-0c1d2e3f4a5b',
    incidentId,
    title: 'Contain: isolate affected hosts',
    cancelledAt: '2026-11-24T07:02:00Z',
    reason: `incident merged into ${alertId} by alice: same intrusion`,
    actor: 'alice',
    mergedInto: alertId,
  },
  [TaskCompletedV1.type]: {
    taskId: 'e1f2a3b4-c5d6-4e7f-8a9b-0c1d2e3f4a5b',
    incidentId,
    title: 'Detection: alert on lsass reads by unsigned binaries',
    completedAt: '2026-12-01T10:00:00Z',
    actor: 'u-alice',
    note: 'rule deployed to every EDR policy',
    actionItemId: '0b1c2d3e-4f5a-4b6c-8d7e-9f0a1b2c3d4e',
  },
  [ReviewOpenedV1.type]: { review: { reviewId: 'f0e1d2c3-b4a5-4968-8776-a5b4c3d2e1f0', incidentId, state: 'draft', exercise: false, version: 1 }, openedAt: '2026-11-26T09:00:00Z' },
  [ReviewStateChangedV1.type]: {
    review: { reviewId: 'f0e1d2c3-b4a5-4968-8776-a5b4c3d2e1f0', incidentId, state: 'completed', exercise: false, version: 5 },
    from: 'in_review',
    to: 'completed',
    actor: 'u-irene',
    reason: null,
  },
  [ReviewActionItemAddedV1.type]: {
    actionItem: {
      actionItemId: '0b1c2d3e-4f5a-4b6c-8d7e-9f0a1b2c3d4e',
      incidentId,
      origin: 'review',
      reviewId: 'f0e1d2c3-b4a5-4968-8776-a5b4c3d2e1f0',
      exerciseId: null,
      title: 'Alert on lsass reads by unsigned binaries',
      type: 'detection',
      owner: 'u-alice',
      dueAt: '2026-12-10T17:00:00Z',
      playbookVersionId: null,
      exercise: false,
    },
    actor: 'u-irene',
  },
  [NotificationDeliveredV1.type]: notification,
  [NotificationFailedV1.type]: { ...notification, attempts: 8, lastError: 'HTTP 502' },
  [EscalationStartedV1.type]: {
    escalationId,
    incidentId,
    policyId,
    policyName: 'SEV1/SEV2',
    policyVersion: 3,
    trigger: { kind: 'incident-opened', reason: 'incident opened and not acknowledged' },
    severity: 'SEV2',
    exercise: false,
    startedAt: '2026-11-24T06:41:06Z',
  },
  [EscalationStepExecutedV1.type]: {
    escalationId,
    incidentId,
    step: { number: 1, cycle: 0, key: '0.1' },
    targets: [{ type: 'schedule', scheduleId: policyId }],
    paged: [{ pageId, personId, name: 'Alice Analyst' }],
    unresolved: [],
    executedAt: '2026-11-24T06:41:07Z',
    nextStepDueAt: '2026-11-24T06:46:07Z',
  },
  [PageRequestedV1.type]: {
    pageId,
    escalationId,
    incidentId,
    step: { number: 1, cycle: 0, key: '0.1' },
    person: { personId, name: 'Alice Analyst', timeZone: 'Europe/Berlin', contactMethods: [{ kind: 'email', address: 'alice@soc.example' }] },
    incident: { title: 'Credential dumping detected on web-01', severity: 'SEV2', category: 'unauthorized_access', exercise: false, restricted: false, link: `https://vigil.example/v1/incidents/${incidentId}` },
    acknowledge: { url: `https://vigil.example/v1/incidents/${incidentId}/acknowledge`, escalationUrl: `https://vigil.example/v1/escalations/${escalationId}/acknowledge`, instructions: 'POST with If-Match' },
    reason: 'incident opened and not acknowledged',
    requestedAt: '2026-11-24T06:41:07Z',
  },
  [EscalationStoppedV1.type]: { escalationId, incidentId, reason: 'acknowledged', detail: null, actor: 'u-alice', at: '2026-11-24T06:44:00Z', lastStep: { number: 1, cycle: 0, key: '0.1' } },
  [EscalationExhaustedV1.type]: { escalationId, incidentId, policyId, policyName: 'SEV1/SEV2', stepsExecuted: 3, at: '2026-11-24T07:30:00Z' },
  [PageDeliveredV1.type]: { pageId, escalationId, incidentId, personId, notificationId: notification.notificationId, channel: 'email', attempts: 1, at: '2026-11-24T06:41:09Z', lastError: null },
  [PageFailedV1.type]: { pageId, escalationId, incidentId, personId, notificationId: null, channel: null, attempts: 0, at: '2026-11-24T06:41:09Z', lastError: 'no contact method comms can deliver to' },
  [MessageAwaitingApprovalV1.type]: { ...message, draftedBy: 'u-carol', approverRoles: ['legal', 'ir_manager'], at: '2026-11-24T08:00:00Z' },
  [MessageApprovedV1.type]: { ...message, approvedBy: 'u-leo', comment: null, at: '2026-11-24T08:10:00Z' },
  [MessageRejectedV1.type]: { ...message, rejectedBy: 'u-leo', reason: 'not yet', at: '2026-11-24T08:10:00Z' },
  [MessageSentV1.type]: {
    ...message,
    outcome: 'sent',
    draftedBy: 'u-carol',
    approvedBy: 'u-leo',
    channels: [{ name: 'customer-mail', kind: 'email', recipients: ['all-customers@example.com'], delivered: true }],
    automatic: false,
    at: '2026-11-24T08:11:00Z',
  },
  [DecisionRecordedV1.type]: {
    decisionId: 'f5a6b7c8-d9e0-4f1a-8b2c-3d4e5f6a7b8c',
    incidentId,
    kind: 'personal_data_breach',
    effectiveAt: '2026-11-24T09:00:00Z',
    awareAt: '2026-11-24T09:00:00Z',
    decidedBy: 'u-leo',
    reason: 'CRM export held customer e-mail addresses',
    implied: false,
    recordedAt: '2026-11-24T09:05:00Z',
  },
  [ObligationOpenedV1.type]: { obligation, decisionId: 'f5a6b7c8-d9e0-4f1a-8b2c-3d4e5f6a7b8c' },
  [ObligationApproachingV1.type]: { obligation, timeLeftSeconds: 3600, at: '2026-11-27T08:00:00Z' },
  [ObligationMissedV1.type]: { obligation: { ...obligation, status: 'late' }, at: '2026-11-27T09:00:01Z', severity: 'SEV1' },
  [ObligationSubmittedV1.type]: { obligation: { ...obligation, status: 'submitted' }, submittedAt: '2026-11-26T10:00:00Z', submittedBy: 'u-leo', reference: 'CNIL-1', lateReason: null },
  [ObligationChangedV1.type]: { obligation: { ...obligation, status: 'paused' }, change: 'paused', actor: 'u-leo', reason: 'law-enforcement request', at: '2026-11-25T10:00:00Z' },
  [StatusUpdateDueV1.type]: { ...cadence, at: '2026-11-24T07:11:05Z' },
  [StatusUpdateMissedV1.type]: { ...cadence, graceSeconds: 600, at: '2026-11-24T07:21:05Z' },
};

const catalogTypes = Object.keys(EventCatalog) as EventType[];

/** Runs `fn` and returns the ContractViolation it throws (fails the test if it throws anything else). */
function violationOf(fn: () => unknown): ContractViolation {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ContractViolation);
    return error as ContractViolation;
  }
  throw new Error('expected a ContractViolation, but nothing was thrown');
}

function validRecord(type: EventType = AlertReceivedV1.type) {
  const event = createEvent(EventCatalog[type], { source: '/vigil/test', subject: 'subject-1', data: samples[type] as never });
  return { event, headers: toKafkaHeaders(event), value: Buffer.from(JSON.stringify(event.data)) };
}

describe(createEvent.name, () => {
  it('fills in the CloudEvents attributes around valid data', () => {
    const time = new Date('2026-11-24T06:41:00.000Z');
    const event = createEvent(AlertReceivedV1, {
      source: '/vigil/intake',
      subject: 'edr-4711',
      data: samples[AlertReceivedV1.type],
      id: 'evt-1',
      time,
    });
    expect(event).toEqual({
      specversion: '1.0',
      id: 'evt-1',
      type: 'vigil.alert.received.v1',
      source: '/vigil/intake',
      time: '2026-11-24T06:41:00.000Z',
      subject: 'edr-4711',
      datacontenttype: 'application/json',
      data: samples[AlertReceivedV1.type],
    });
  });

  it('gives every event a fresh id and the current time when none is given', () => {
    const before = Date.now();
    const a = createEvent(AlertReceivedV1, { source: 's', subject: 'x', data: samples[AlertReceivedV1.type] });
    const b = createEvent(AlertReceivedV1, { source: 's', subject: 'x', data: samples[AlertReceivedV1.type] });
    expect(a.id).not.toEqual(b.id);
    expect(Date.parse(a.time)).toBeGreaterThanOrEqual(before);
    expect(Date.parse(a.time)).toBeLessThanOrEqual(Date.now());
  });

  it('rejects invalid data on the producing side, naming every bad field', () => {
    const data = { ...samples[AlertReceivedV1.type], severity: 'apocalyptic', alertId: 'not-a-uuid' };
    const violation = violationOf(() => createEvent(AlertReceivedV1, { source: 's', subject: 'x', data: data as never }));
    expect(violation.message).toContain('data of vigil.alert.received.v1 is invalid');
    expect(violation.issues).toHaveLength(2);
    expect(violation.issues).toEqual(
      expect.arrayContaining([expect.stringMatching(/^severity: /), expect.stringMatching(/^alertId: /)]),
    );
  });

  it('names nested fields by their dotted path', () => {
    const data = { ...samples[IncidentOpenedV1.type], incident: { ...incident, timestamps: { ...incident.timestamps, detectedAt: 'yesterday' } } };
    const violation = violationOf(() => createEvent(IncidentOpenedV1, { source: 's', subject: 'x', data }));
    expect(violation.issues).toEqual([expect.stringMatching(/^incident\.timestamps\.detectedAt: /)]);
  });
});

describe('toKafkaHeaders and decodeEvent', () => {
  it('has a valid sample for every catalog event', () => {
    expect(Object.keys(samples).sort()).toEqual([...catalogTypes].sort());
  });

  it('puts each attribute in its ce_* header and the content type in content-type', () => {
    const { event, headers } = validRecord();
    expect(headers).toEqual({
      ce_specversion: '1.0',
      ce_id: event.id,
      ce_type: event.type,
      ce_source: '/vigil/test',
      ce_time: event.time,
      ce_subject: 'subject-1',
      'content-type': 'application/json',
    });
  });

  it.each(catalogTypes)('round-trips %s through headers and a JSON value', (type) => {
    const { event, headers, value } = validRecord(type);
    const decoded = decodeEvent(headers, value);
    expect(decoded).toEqual(event);
    expect(isEvent(decoded, EventCatalog[type])).toBe(true);
  });

  it.each(catalogTypes)('round-trips %s with headers given as a Map and the value as a string', (type) => {
    const { event, headers, value } = validRecord(type);
    expect(decodeEvent(new Map(Object.entries(headers)), value.toString('utf8'))).toEqual(event);
  });
});

describe(decodeEvent.name, () => {
  const required = ['specversion', 'id', 'type', 'source', 'time', 'subject'] as const;

  it.each(required.map((k) => CloudEventHeaders[k]))('rejects a record without the %s header, naming it', (header) => {
    const { headers, value } = validRecord();
    delete (headers as Record<string, string>)[header];
    const violation = violationOf(() => decodeEvent(headers, value));
    expect(violation.message).toContain('not a CloudEvent');
    expect(violation.issues).toEqual([`header ${header} is missing`]);
  });

  it('names every missing header at once', () => {
    const { value } = validRecord();
    const violation = violationOf(() => decodeEvent({ ce_specversion: '1.0', ce_type: AlertReceivedV1.type }, value));
    expect(violation.issues).toEqual([
      'header ce_id is missing',
      'header ce_source is missing',
      'header ce_time is missing',
      'header ce_subject is missing',
    ]);
  });

  it('treats an empty header as missing', () => {
    const { headers, value } = validRecord();
    const violation = violationOf(() => decodeEvent({ ...headers, ce_id: '' }, value));
    expect(violation.issues).toEqual(['header ce_id is missing']);
  });

  it.each(['0.3', '1.1', '2.0', '1'])('rejects specversion %s', (specversion) => {
    const { headers, value } = validRecord();
    const violation = violationOf(() => decodeEvent({ ...headers, ce_specversion: specversion }, value));
    expect(violation.message).toBe(`unsupported CloudEvents specversion ${specversion}`);
  });

  it.each(['vigil.alert.received.v2', 'vigil.alert.deleted.v1', 'com.example.other'])('rejects the unknown type %s', (type) => {
    const { headers, value } = validRecord();
    const violation = violationOf(() => decodeEvent({ ...headers, ce_type: type }, value));
    expect(violation.message).toBe(`unknown event type ${type}`);
    // Told apart from a broken message, so that a consumer can skip it instead of dead-lettering.
    expect(violation).toBeInstanceOf(UnknownEventType);
    expect(violation).toMatchObject({ type });
  });

  it('does not call a broken message of a known type an unknown type', () => {
    const { headers } = validRecord();
    expect(violationOf(() => decodeEvent(headers, 'not json'))).not.toBeInstanceOf(UnknownEventType);
  });

  it.each([
    ['a truncated document', '{"alertId": "7a8b'],
    ['plain text', 'hello'],
    ['an empty value', ''],
    ['a null value', null],
  ])('rejects %s as not JSON', (_, value) => {
    const { headers } = validRecord();
    const violation = violationOf(() => decodeEvent(headers, value));
    expect(violation.message).toContain('data of vigil.alert.received.v1 is not JSON');
    expect(violation.issues).toHaveLength(1);
  });

  it('rejects data that breaks the schema and names the field path', () => {
    const { headers } = validRecord();
    const data = { ...samples[AlertReceivedV1.type], assets: [{ hostname: 'web-01' }, { ip: '999.1.1.1' }] };
    const violation = violationOf(() => decodeEvent(headers, JSON.stringify(data)));
    expect(violation.message).toContain('data of vigil.alert.received.v1 is invalid');
    expect(violation.issues).toEqual([expect.stringMatching(/^assets\.1\.ip: /)]);
  });

  it('rejects data that lacks a required field, naming it', () => {
    const { headers } = validRecord(TaskCreatedV1.type);
    const { role: _role, ...data } = samples[TaskCreatedV1.type];
    const violation = violationOf(() => decodeEvent(headers, JSON.stringify(data)));
    expect(violation.issues).toEqual([expect.stringMatching(/^role: /)]);
  });

  it('reports an invalid document root as (root)', () => {
    const { headers } = validRecord();
    const violation = violationOf(() => decodeEvent(headers, '[]'));
    expect(violation.issues).toEqual([expect.stringMatching(/^\(root\): /)]);
  });

  it('decodes the type from the header, not from anything in the value', () => {
    const { headers } = validRecord(TaskCreatedV1.type);
    const decoded: CloudEvent = decodeEvent(headers, JSON.stringify({ ...samples[TaskCreatedV1.type], type: 'vigil.alert.received.v1' }));
    expect(decoded.type).toBe(TaskCreatedV1.type);
    expect(decoded.data).not.toHaveProperty('type');
  });
});

describe(`${decodeEvent.name}, types named like object properties`, () => {
  it.each(['constructor', '__proto__', 'toString', 'hasOwnProperty'])('treats ce_type %s as an unknown type', (type) => {
    const headers = { ce_specversion: '1.0', ce_id: 'x', ce_type: type, ce_source: '/t', ce_time: new Date().toISOString(), ce_subject: 's' };
    expect(() => decodeEvent(headers, '{}')).toThrow(ContractViolation);
    expect(() => decodeEvent(headers, '{}')).toThrow(/unknown event type/);
  });
});
