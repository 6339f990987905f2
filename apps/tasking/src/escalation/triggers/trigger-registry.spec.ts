import { IncidentAcknowledgedV1, IncidentClassifiedV1, IncidentOpenedV1, IncidentRecurrenceDetectedV1, TaskCreatedV1, TaskSlaBreachedV1, Topics, type CloudEvent } from '@vigil/contracts';
import type { IncidentFacts } from '../incident-facts';
import { defaultTriggers, incidentOpened, recurrenceDetected, severityRaised, taskSlaBreached, TriggerRegistry, type EscalationTrigger } from './trigger-registry';

const now = new Date('2026-11-24T07:00:00Z');
const facts = (over: Partial<IncidentFacts> = {}): IncidentFacts => ({
  incidentId: '3f1c2b4a-5d6e-4f70-8a9b-0c1d2e3f4a5b',
  title: 't',
  severity: 'SEV3',
  category: 'malware',
  phase: 'detected',
  exercise: false,
  restricted: false,
  assetCriticality: null,
  acknowledgedAt: null,
  version: 1,
  ...over,
});
const event = (type: string, time = now): CloudEvent => ({ specversion: '1.0', id: 'e', type, source: '/t', time: time.toISOString(), subject: 's', datacontenttype: 'application/json', data: {} });

describe('escalation triggers', () => {
  it('starts one on an incident opened and not acknowledged', () => {
    expect(incidentOpened.evaluate(event(IncidentOpenedV1.type), { before: null, after: facts(), now })).toEqual({ key: 'incident-opened', reason: 'SEV3 incident opened and not acknowledged', supersedes: false });
    expect(incidentOpened.evaluate(event(IncidentOpenedV1.type), { before: null, after: facts({ acknowledgedAt: now.toISOString() }), now })).toBeNull();
  });

  it('pages nobody about an opening replayed long after (a new consumer group reading history)', () => {
    expect(incidentOpened.evaluate(event(IncidentOpenedV1.type, new Date(now.getTime() - 2 * 3_600_000)), { before: null, after: facts(), now })).toBeNull();
  });

  it('starts one when the severity rises, keyed by the version, superseding what runs', () => {
    const firing = severityRaised.evaluate(event(IncidentClassifiedV1.type), { before: facts(), after: facts({ severity: 'SEV1', version: 4, acknowledgedAt: now.toISOString() }), now });
    expect(firing).toEqual({ key: 'severity-raised:v4', reason: 'severity raised from SEV3 to SEV1', supersedes: true });
  });

  it.each([
    ['lowered', facts({ severity: 'SEV4', version: 2 })],
    ['unchanged', facts({ version: 2 })],
    ['raised on a closed incident', facts({ severity: 'SEV1', phase: 'closed', version: 2 })],
  ])('starts none when the severity is %s', (_, after) => {
    expect(severityRaised.evaluate(event(IncidentAcknowledgedV1.type), { before: facts(), after, now })).toBeNull();
  });

  it('fires for a task past its SLA, acknowledged or not, on the incident the breach names, joining a running breach escalation; none once the incident is over', () => {
    const breach: CloudEvent = {
      ...event(TaskSlaBreachedV1.type),
      data: { taskId: '9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d', incidentId: facts().incidentId, title: 'Isolate the hosts', phase: 'contained', role: 'system_administrator', dueAt: '2026-11-24T06:59:00Z' },
    };
    expect(taskSlaBreached.incidentIdOf!(breach)).toBe(facts().incidentId);
    expect(taskSlaBreached.evaluate(breach, { before: null, after: facts({ acknowledgedAt: now.toISOString() }), now })).toEqual({
      key: 'task-sla-breached:9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d',
      reason: 'task "Isolate the hosts" (contained, system_administrator) passed its SLA (due 2026-11-24T06:59:00Z)',
      supersedes: false,
      joinsRunning: true,
    });
    expect(taskSlaBreached.evaluate(breach, { before: null, after: facts({ phase: 'closed' }), now })).toBeNull();
    expect(defaultTriggers().forEvent(TaskSlaBreachedV1.type)).toEqual([taskSlaBreached]);
  });

  it('pages the owner first on a recurrence during the recovery watch, acknowledged or not, once per recurrence', () => {
    const recurrence = (owner: string | null, count = 1, time = now): CloudEvent => ({
      ...event(IncidentRecurrenceDetectedV1.type, time),
      data: {
        incidentId: facts().incidentId,
        owner,
        alert: { alertId: 'a', dedupKey: 'd', title: 'Beacon from web-01 again', source: 'edr', receivedAt: now.toISOString() },
        matchedAssetIds: ['b1c2d3e4-f5a6-4b7c-8d9e-0f1a2b3c4d5e'],
        matchedObservables: ['ip:203.0.113.7'],
        recurrenceCount: count,
        watchEndsAt: now.toISOString(),
      },
    });
    const recovered = facts({ phase: 'recovered', acknowledgedAt: now.toISOString() });
    expect(recurrenceDetected.evaluate(recurrence('u-irene', 2), { before: recovered, after: recovered, now })).toEqual({
      key: 'recurrence-detected:2',
      reason: 'recurrence during the recovery watch (2): Beacon from web-01 again — matched asset b1c2d3e4-f5a6-4b7c-8d9e-0f1a2b3c4d5e, ip:203.0.113.7',
      supersedes: false,
      pageFirst: 'u-irene',
    });
    // No owner: the policy alone; closed meanwhile or replayed long after: nobody.
    expect(recurrenceDetected.evaluate(recurrence(null), { before: recovered, after: recovered, now })?.pageFirst).toBeUndefined();
    expect(recurrenceDetected.evaluate(recurrence('u-irene'), { before: recovered, after: facts({ phase: 'closed' }), now })).toBeNull();
    expect(recurrenceDetected.evaluate(recurrence('u-irene', 1, new Date(now.getTime() - 2 * 3_600_000)), { before: recovered, after: recovered, now })).toBeNull();
    expect(defaultTriggers().forEvent(IncidentRecurrenceDetectedV1.type).map((t) => t.kind)).toContain('recurrence-detected');
  });

  it('lets a new trigger plug in on another event, and subscribes to its topic', () => {
    const taskTrigger: EscalationTrigger = {
      kind: 'task-created-for-legal',
      eventTypes: [TaskCreatedV1.type],
      evaluate: (e) => ({ key: `task:${e.id}`, reason: 'a task for legal', supersedes: false }),
    };
    const registry = defaultTriggers().register(taskTrigger);
    expect(registry.forEvent(TaskCreatedV1.type)).toEqual([taskTrigger]);
    expect(registry.topics().sort()).toEqual([Topics.incidents, Topics.tasks].sort());
  });

  it('refuses a trigger on an event the catalog does not know, and one registered twice', () => {
    expect(() => new TriggerRegistry().register({ kind: 'x', eventTypes: ['vigil.task.sla-breached.v9'], evaluate: () => null })).toThrow(/not in the event catalog/);
    expect(() => defaultTriggers().register(incidentOpened)).toThrow(/registered twice/);
  });
});
