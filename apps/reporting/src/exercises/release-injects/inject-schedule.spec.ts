import type { Scenario } from '@vigil/contracts';
import { ManualClock } from '../exercise-clock';
import { loadScenarios } from '../scenarios/scenario-library';
import { dueInjects, injectRequest, scheduleInjects } from './inject-schedule';

const ransomware = loadScenarios().get('ransomware')!;
const start = new Date('2026-11-24T09:00:00Z');

describe(scheduleInjects.name, () => {
  it('puts every inject at T + its minutes, in timeline order', () => {
    const schedule = scheduleInjects(ransomware, start);
    expect(schedule.map((i) => [i.key, i.dueAt.toISOString()])).toEqual([
      ['edr-mass-rename', '2026-11-24T09:00:00.000Z'],
      ['service-desk-calls', '2026-11-24T09:04:00.000Z'],
      ['edr-second-server', '2026-11-24T09:10:00.000Z'],
      ['rdp-gateway-logins', '2026-11-24T09:15:00.000Z'],
      ['extortion-mail', '2026-11-24T09:25:00.000Z'],
      ['backup-status', '2026-11-24T09:45:00.000Z'],
    ]);
    expect(schedule.map((i) => i.ordinal)).toEqual([0, 1, 2, 3, 4, 5]);
  });
});

describe(`${dueInjects.name}, on an injectable clock`, () => {
  const pending = scheduleInjects(ransomware, start).map((i) => ({ ...i, status: 'pending' }));

  it('releases each inject when the clock reaches its time, not before', () => {
    const clock = new ManualClock(start);
    expect(dueInjects(pending, clock.now()).map((i) => i.key)).toEqual(['edr-mass-rename']);
    clock.advance(3.99);
    expect(dueInjects(pending, clock.now()).map((i) => i.key)).toEqual(['edr-mass-rename']);
    clock.advance(0.01);
    expect(dueInjects(pending, clock.now()).map((i) => i.key)).toEqual(['edr-mass-rename', 'service-desk-calls']);
    clock.set(new Date('2026-11-24T10:00:00Z'));
    expect(dueInjects(pending, clock.now())).toHaveLength(6);
  });

  it('never releases one twice', () => {
    const sent = pending.map((i) => (i.key === 'edr-mass-rename' ? { ...i, status: 'sent' } : i));
    expect(dueInjects(sent, new Date('2026-11-24T09:05:00Z')).map((i) => i.key)).toEqual(['service-desk-calls']);
  });
});

describe(injectRequest.name, () => {
  const inject = (key: string) => ransomware.modules.flatMap((m) => m.injects).find((i) => i.key === key)!;
  const now = new Date('2026-11-24T09:00:00Z');

  it('posts an alert in the canonical format, marked as an exercise, with the exercise\'s own dedup key', () => {
    const req = injectRequest(inject('edr-mass-rename'), { exerciseId: 'x1', incidentId: null, now })!;
    expect(req.path).toBe('/v1/alerts');
    expect(req.body).toMatchObject({
      title: 'Mass file renames with the .lockbit extension on fs-01',
      severity: 'critical',
      category: 'ransomware',
      exercise: true,
      dedupKey: 'exercise:x1:edr-mass-rename',
      occurredAt: '2026-11-24T08:57:00.000Z',
      labels: { vigil_exercise: 'x1', vigil_inject: 'edr-mass-rename' },
    });
    expect(req.body).not.toHaveProperty('occurredMinutesBefore');
  });

  it('names the exercise incident once there is one, so later alerts join it', () => {
    const req = injectRequest(inject('edr-second-server'), { exerciseId: 'x1', incidentId: 'i-1', now })!;
    expect((req.body.labels as Record<string, string>).vigil_incident).toBe('i-1');
  });

  it('posts a report in the report format, seen now, marked as an exercise', () => {
    const phishing = loadScenarios().get('phishing-credential-theft') as Scenario;
    const req = injectRequest(phishing.modules[0].injects[0], { exerciseId: 'x2', incidentId: null, now })!;
    expect(req).toMatchObject({ path: '/v1/reports', body: { exercise: true, seenAt: now.toISOString(), reporter: { name: 'Dana Whitfield' } } });
  });

  it('posts nothing for a message to participants', () => {
    expect(injectRequest(inject('service-desk-calls'), { exerciseId: 'x1', incidentId: null, now })).toBeUndefined();
  });
});
