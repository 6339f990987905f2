import { IncidentAcknowledgedV1, IncidentClassifiedV1, IncidentOpenedV1, TaskCreatedV1, Topics, type CloudEvent } from '@vigil/contracts';
import type { IncidentFacts } from '../incident-facts';
import { defaultTriggers, incidentOpened, severityRaised, TriggerRegistry, type EscalationTrigger } from './trigger-registry';

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
