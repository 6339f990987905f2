import { GrafanaOnCallImport, PagerDutyImport, ScheduleDefinition } from '@vigil/contracts';
import { ScheduleEngine } from '../schedules/engine/schedule-engine';
import { planFromGrafanaOnCall } from './grafana-oncall';
import type { ImportPlan, PlannedSchedule } from './import-plan';
import { planFromPagerDuty } from './pagerduty';

/** A planned schedule with external ids standing in for person ids, run by the engine. */
function engineOf(s: PlannedSchedule): ScheduleEngine {
  const definition = ScheduleDefinition.parse({ layers: s.layers.map((l) => ({ ...l, rotation: { ...l.rotation, participants: l.rotation.participants.map((t) => (t.length === 1 ? uuidOf(t[0]) : t.map(uuidOf))) } })) });
  return new ScheduleEngine([{ revision: 1, effectiveFrom: 0, definition }]);
}
const ids = new Map<string, string>();
function uuidOf(external: string): string {
  if (!ids.has(external)) ids.set(external, `00000000-0000-4000-8000-${String(ids.size + 1).padStart(12, '0')}`);
  return ids.get(external)!;
}
const who = (engine: ScheduleEngine, at: string) => engine.onCallAt(Date.parse(at)).people;

// Shaped as PagerDuty's REST API v2 documents GET /users, GET /schedules/{id} and GET /escalation_policies/{id}.
const pagerDuty = {
  users: {
    users: [
      { id: 'PXPGF42', type: 'user', summary: 'Earline Greenholt', name: 'Earline Greenholt', email: '125.greenholt.earline@graham.name', time_zone: 'America/Lima', role: 'admin' },
      { id: 'PAM4FGS', type: 'user', summary: 'Kelvin Goodwin', name: 'Kelvin Goodwin', email: 'kelvin@example.com', time_zone: 'America/New_York', role: 'user' },
    ],
    limit: 25,
    offset: 0,
    more: false,
  },
  schedules: [
    {
      schedule: {
        id: 'PI7DH85',
        type: 'schedule',
        summary: 'Daily Engineering Rotation',
        self: 'https://api.pagerduty.com/schedules/PI7DH85',
        html_url: 'https://subdomain.pagerduty.com/schedules/PI7DH85',
        name: 'Daily Engineering Rotation',
        time_zone: 'America/New_York',
        description: 'Rotation schedule for engineering',
        schedule_layers: [
          {
            id: 'PG68P1M',
            name: 'Layer 1',
            start: '2015-11-06T20:00:00-05:00',
            end: null,
            rotation_virtual_start: '2015-11-06T20:00:00-05:00',
            rotation_turn_length_seconds: 86400,
            users: [
              { user: { id: 'PXPGF42', type: 'user_reference', summary: 'Earline Greenholt' } },
              { user: { id: 'PAM4FGS', type: 'user_reference', summary: 'Kelvin Goodwin' } },
            ],
            restrictions: [],
          },
          {
            id: 'PG68P1N',
            name: 'Business hours',
            start: '2015-11-06T20:00:00-05:00',
            end: null,
            rotation_virtual_start: '2015-11-09T09:00:00-05:00',
            rotation_turn_length_seconds: 604800,
            users: [{ user: { id: 'PAM4FGS', type: 'user_reference', summary: 'Kelvin Goodwin' } }],
            restrictions: [{ type: 'weekly_restriction', start_time_of_day: '09:00:00', duration_seconds: 28800, start_day_of_week: 1 }],
          },
        ],
        users: [{ id: 'PXPGF42', type: 'user_reference', summary: 'Earline Greenholt' }],
      },
    },
  ],
  escalation_policies: [
    {
      escalation_policy: {
        id: 'PANZZEQ',
        type: 'escalation_policy',
        summary: 'Engineering Escalation Policy',
        name: 'Engineering Escalation Policy',
        escalation_rules: [
          { id: 'PANZZEQ', escalation_delay_in_minutes: 30, targets: [{ id: 'PI7DH85', summary: 'Daily Engineering Rotation', type: 'schedule_reference' }] },
          { id: 'PANZZER', escalation_delay_in_minutes: 15, targets: [{ id: 'PAM4FGS', summary: 'Kelvin Goodwin', type: 'user_reference' }, { id: 'PTEAM01', type: 'team_reference' }] },
        ],
        services: [],
        num_loops: 2,
        teams: [],
        description: 'My Escalation Policy description',
      },
    },
  ],
};

describe('import from PagerDuty', () => {
  let plan: ImportPlan;
  beforeAll(() => {
    plan = planFromPagerDuty(PagerDutyImport.parse(pagerDuty));
  });

  it('reads the documented API shapes (wrapped or bare, paged lists)', () => {
    expect(plan.people.map((p) => [p.externalId, p.email, p.timeZone])).toEqual([
      ['PXPGF42', '125.greenholt.earline@graham.name', 'America/Lima'],
      ['PAM4FGS', 'kelvin@example.com', 'America/New_York'],
    ]);
    expect(plan.schedules.map((s) => [s.externalId, s.name, s.timeZone])).toEqual([['PI7DH85', 'Daily Engineering Rotation', 'America/New_York']]);
  });

  it('turns layers into rotations in the schedule\'s zone, the later layer taking precedence, restrictions into coverage windows', () => {
    const [daily, business] = plan.schedules[0].layers;
    expect(daily).toMatchObject({ precedence: 1, rotation: { start: '2015-11-06T20:00:00', timeZone: 'America/New_York', handoff: 'FREQ=DAILY;INTERVAL=1', dst: 'wall_clock', participants: [['PXPGF42'], ['PAM4FGS']] }, from: '2015-11-07T01:00:00.000Z' });
    expect(business).toMatchObject({ precedence: 2, rotation: { handoff: 'FREQ=WEEKLY;INTERVAL=1', coverage: [{ day: 'MO', start: '09:00', durationMinutes: 480 }] } });
    const engine = engineOf(plan.schedules[0]);
    // Days alternate at 20:00 New York time; Monday 09:00-17:00 Kelvin's business-hours layer covers it.
    expect(who(engine, '2015-11-07T12:00:00-05:00')).toEqual([uuidOf('PXPGF42')]);
    expect(who(engine, '2015-11-08T12:00:00-05:00')).toEqual([uuidOf('PAM4FGS')]);
    expect(who(engine, '2015-11-09T12:00:00-05:00')).toEqual([uuidOf('PAM4FGS')]); // Monday, business hours
    expect(who(engine, '2015-11-09T18:00:00-05:00')).toEqual([uuidOf('PXPGF42')]); // Monday evening: layer 1
  });

  it('turns escalation rules into steps, loops into repeats, and says what it left out', () => {
    expect(plan.policies).toEqual([
      {
        externalId: 'PANZZEQ',
        name: 'Engineering Escalation Policy',
        description: 'My Escalation Policy description',
        steps: [
          { targets: [{ type: 'schedule', externalId: 'PI7DH85' }], waitMinutes: 30 },
          { targets: [{ type: 'person', externalId: 'PAM4FGS' }], waitMinutes: 15 },
        ],
        repeat: { times: 2, fromStep: 1 },
      },
    ]);
    expect(plan.warnings).toEqual([expect.stringMatching(/rule 2: target team_reference PTEAM01 is not a user or schedule; left out/)]);
  });

  it('gives the first layer precedence for exports that list the highest layer first', () => {
    const reversed = planFromPagerDuty(PagerDutyImport.parse({ ...pagerDuty, layersHighestFirst: true }));
    expect(reversed.schedules[0].layers.map((l) => [l.name, l.precedence])).toEqual([
      ['Layer 1', 2],
      ['Business hours', 1],
    ]);
  });
});

// Shaped as Grafana OnCall's public API documents its list endpoints (paged: count, next, results).
const page = <T>(results: T[]) => ({ count: results.length, next: null, previous: null, results, current_page_number: 1, page_size: 50, total_pages: 1 });
const grafana = {
  users: page([
    { id: 'U4DNY931HHJS5', grafana_id: 456, email: 'public-api-demo-user-1@grafana.com', slack: [], username: 'alex', role: 'admin', timezone: 'Europe/Berlin', teams: [] },
    { id: 'U9XM1G7KTE3KW', grafana_id: 457, email: 'bob@grafana.com', username: 'bob', role: 'user', timezone: 'UTC', teams: [] },
  ]),
  schedules: page([
    { id: 'S3Z477AHDXTMF', name: 'Demo schedule Calendar', type: 'calendar', team_id: null, time_zone: 'Europe/Berlin', on_call_now: ['U4DNY931HHJS5'], shifts: ['OH3V5FYQEYJ6M', 'O9WTH7CKM3KZW', 'OVRRDE5TJ1K8B'] },
    { id: 'SBM7DV7BKFUYU', name: 'Demo schedule iCal', type: 'ical', team_id: null, ical_url_primary: 'https://example.com/meow_calendar.ics', on_call_now: [] },
  ]),
  on_call_shifts: page([
    {
      id: 'OH3V5FYQEYJ6M',
      name: 'Weekly rotation',
      type: 'rolling_users',
      team_id: null,
      time_zone: null,
      level: 0,
      start: '2026-03-02T09:00:00',
      duration: 604800,
      frequency: 'weekly',
      interval: 1,
      week_start: 'MO',
      rolling_users: [['U4DNY931HHJS5'], ['U9XM1G7KTE3KW']],
      start_rotation_from_user_index: 0,
    },
    {
      id: 'O9WTH7CKM3KZW',
      name: 'Demo recurrent event',
      type: 'recurrent_event',
      team_id: null,
      time_zone: null,
      level: 1,
      start: '2026-03-02T16:00:00',
      duration: 10800,
      frequency: 'weekly',
      interval: 1,
      week_start: 'SU',
      by_day: ['MO', 'WE', 'FR'],
      by_month: null,
      by_monthday: null,
      users: ['U9XM1G7KTE3KW'],
    },
    { id: 'OVRRDE5TJ1K8B', name: 'cover', type: 'override', team_id: null, time_zone: null, start: '2099-03-04T08:00:00', duration: 3600, users: ['U4DNY931HHJS5'] },
  ]),
  escalation_chains: page([{ id: 'FWDL7M6N6I9HE', name: 'example-chain', team_id: null }]),
  escalation_policies: page([
    { id: 'E3GA6SJETWWJS', escalation_chain_id: 'FWDL7M6N6I9HE', position: 0, type: 'notify_on_call_from_schedule', notify_on_call_from_schedule: 'S3Z477AHDXTMF', important: false },
    { id: 'E5JJTU52M5YM4', escalation_chain_id: 'FWDL7M6N6I9HE', position: 1, type: 'wait', duration: 300 },
    { id: 'E7UPZ4SK91JNP', escalation_chain_id: 'FWDL7M6N6I9HE', position: 2, type: 'notify_persons', persons_to_notify: ['U9XM1G7KTE3KW'] },
    { id: 'E8XWJ3K2M1Q9P', escalation_chain_id: 'FWDL7M6N6I9HE', position: 3, type: 'wait', duration: 900 },
    { id: 'E2NTRLZ4GB8QK', escalation_chain_id: 'FWDL7M6N6I9HE', position: 4, type: 'trigger_webhook', action_to_trigger: 'KGEFG74LU1D8L' },
    { id: 'E1QWERTYUIOPA', escalation_chain_id: 'FWDL7M6N6I9HE', position: 5, type: 'repeat_escalation' },
  ]),
};

describe('import from Grafana OnCall', () => {
  let plan: ImportPlan;
  beforeAll(() => {
    plan = planFromGrafanaOnCall(GrafanaOnCallImport.parse(grafana));
  });

  it('turns a calendar schedule\'s shifts into layers by level, and override shifts into overrides', () => {
    expect(plan.schedules.map((s) => s.externalId)).toEqual(['S3Z477AHDXTMF']);
    const [s] = plan.schedules;
    expect(s.layers.map((l) => [l.name, l.precedence, l.rotation.handoff, l.rotation.coverage ?? null])).toEqual([
      ['Weekly rotation', 1, 'FREQ=WEEKLY;INTERVAL=1;WKST=MO', null],
      ['Demo recurrent event', 2, 'FREQ=WEEKLY;INTERVAL=1;WKST=SU', [{ day: 'MO', start: '16:00', durationMinutes: 180 }, { day: 'WE', start: '16:00', durationMinutes: 180 }, { day: 'FR', start: '16:00', durationMinutes: 180 }]],
    ]);
    expect(s.overrides).toEqual([{ externalPersonId: 'U4DNY931HHJS5', start: '2099-03-04T07:00:00.000Z', end: '2099-03-04T08:00:00.000Z' }]);
    const engine = engineOf(s);
    expect(who(engine, '2026-03-03T12:00:00+01:00')).toEqual([uuidOf('U4DNY931HHJS5')]); // alex's week
    expect(who(engine, '2026-03-04T17:00:00+01:00')).toEqual([uuidOf('U9XM1G7KTE3KW')]); // Wednesday 16-19: the recurrent event's level wins
    expect(who(engine, '2026-03-10T12:00:00+01:00')).toEqual([uuidOf('U9XM1G7KTE3KW')]); // bob's week
  });

  it('turns a chain into steps (waits onto the step before, repeat into a repeat) and says what it left out', () => {
    expect(plan.policies).toEqual([
      {
        externalId: 'FWDL7M6N6I9HE',
        name: 'example-chain',
        description: null,
        steps: [
          { targets: [{ type: 'schedule', externalId: 'S3Z477AHDXTMF' }], waitMinutes: 5 },
          { targets: [{ type: 'person', externalId: 'U9XM1G7KTE3KW' }], waitMinutes: 15 },
        ],
        repeat: { times: 5, fromStep: 1 },
      },
    ]);
    expect(plan.warnings).toEqual([
      expect.stringMatching(/Demo schedule iCal: an iCal schedule/),
      expect.stringMatching(/example-chain, step 5: trigger_webhook has no Vigil counterpart/),
    ]);
  });
});
