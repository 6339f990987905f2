import { DateTime } from 'luxon';
import { randomUUID } from 'node:crypto';
import { as, consumersCaughtUp, createIntegration, eventually, http, incidentAction, resetEscalationRouting, startReceiver, startService, withDatabase, type RecordedRequest, type ServiceProcess } from './support/harness';
import { startSmtpReceiver } from './support/smtp-receiver';

/**
 * The response team end to end, over the real broker and database with real (short) delays: an
 * incident opens; the primary on call is paged; nobody acknowledges; after each step's wait the
 * next step pages the secondary, then the IR manager; tasking is killed and restarted in the
 * middle; the acknowledgement stops it. Every page reaches the person's webhook and e-mail.
 */
describe('on call and escalation (real Kafka and PostgreSQL, real delays)', () => {
  let intake: ServiceProcess;
  let triage: ServiceProcess;
  let tasking: ServiceProcess;
  let comms: ServiceProcess;
  let reporting: ServiceProcess;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let smtp: Awaited<ReturnType<typeof startSmtpReceiver>>;
  let apiKey: string;
  const run = randomUUID().slice(0, 8);
  const STEP_SECONDS = 6;
  const taskingEnv = () => ({ ONCALL_TRIAGE_URL: triage.url, ONCALL_POLL_MS: '200' });

  beforeAll(async () => {
    [receiver, smtp] = await Promise.all([startReceiver(), startSmtpReceiver()]);
    [intake, triage] = await Promise.all([startService('intake'), startService('triage')]);
    [tasking, comms, reporting] = await Promise.all([
      startService('tasking', taskingEnv()),
      startService('comms', { COMMS_SMTP_URL: smtp.url, COMMS_SMTP_FROM: 'Vigil <vigil@soc.example>', COMMS_RETRY_BASE_MS: '100' }),
      startService('reporting'),
    ]);
    ({ apiKey } = await createIntegration(intake.url, 'canonical'));
  }, 240_000);

  afterAll(async () => {
    await resetEscalationRouting(tasking?.url);
    await Promise.all([intake, triage, tasking, comms, reporting].filter(Boolean).map((s) => s.stop()));
    await receiver?.close();
    await smtp?.close();
  });

  async function create(path: string, body: unknown) {
    const res = await http('POST', `${tasking.url}${path}`, body, await as('irene'));
    if (res.status !== 201) throw new Error(`POST ${path}: ${res.status} ${res.text}`);
    return res.json;
  }

  const person = (name: string, roles: string[], email: boolean) =>
    create('/v1/people', {
      name: `${name} ${run}`,
      timeZone: 'Europe/Berlin',
      roles,
      contactMethods: [
        { kind: 'webhook', url: `${receiver.url}/${run}/${name.toLowerCase()}` },
        ...(email ? [{ kind: 'email', address: `${name.toLowerCase()}-${run}@soc.example` }] : []),
        { kind: 'phone', number: '+4915112345678' },
      ],
    });

  const oneLayer = (personId: string) => ({
    layers: [{ name: 'everyone', precedence: 1, rotation: { start: '2026-01-05T09:00', timeZone: 'Europe/Berlin', handoff: 'FREQ=WEEKLY;BYDAY=MO', participants: [personId] } }],
  });

  /** The pages of one incident to one of this run's people (an incident earlier suites left open may page them too). */
  const pagesTo = (name: string, incidentId: string): Array<RecordedRequest & { json: any }> =>
    receiver.requests
      .filter((r) => r.path === `/${run}/${name}`)
      .map((r) => ({ ...r, json: JSON.parse(r.body) }))
      .filter((r) => r.json?.page?.incidentId === incidentId);

  it('pages the primary, then the secondary, then the IR manager until someone acknowledges; a restart in the middle loses and repeats nothing', async () => {
    const [alice, bob, irene] = await Promise.all([person('Alice', ['security_analyst'], true), person('Bob', ['system_administrator'], false), person('Irene', ['ir_manager'], true)]);
    const primary = await create('/v1/schedules', { name: `Primary ${run}`, timeZone: 'Europe/Berlin', definition: oneLayer(alice.personId) });
    const secondary = await create('/v1/schedules', { name: `Secondary ${run}`, timeZone: 'Europe/Berlin', definition: oneLayer(bob.personId) });
    const wait = STEP_SECONDS / 60;
    const policy = await create('/v1/escalation-policies', {
      name: `Standard ${run}`,
      steps: [
        { targets: [{ type: 'schedule', scheduleId: primary.scheduleId }], waitMinutes: wait },
        { targets: [{ type: 'schedule', scheduleId: secondary.scheduleId }], waitMinutes: wait },
        // Irene by role: only she has it among the people of this run, but earlier suites' people do not exist here.
        { targets: [{ type: 'person', personId: irene.personId }], waitMinutes: wait },
      ],
      repeat: { times: 2, fromStep: 1 },
    });
    // Incidents earlier suites left on the topics are read before this run's routing applies, or one
    // of them (its category malware too) could start an escalation under this run's policy.
    await consumersCaughtUp(['vigil-tasking']);
    const routing = await http('PUT', `${tasking.url}/v1/escalation-routing`, { rules: [{ name: 'this run', match: { categories: ['malware'] }, policyId: policy.policyId }], defaultPolicyId: null }, await as('irene'));
    expect(routing.status).toBe(200);

    // The incident opens.
    const alert = await http('POST', `${intake.url}/v1/alerts`, { title: `Beacon from ws-17 (${run})`, source: 'edr', severity: 'high', category: 'malware' }, { authorization: `Bearer ${apiKey}` });
    expect(alert.status).toBe(202);
    const incidentId: string = await eventually(async () => (await http('GET', `${triage.url}/v1/alerts/${alert.json.alertId}`)).json?.incidentId ?? undefined, 60_000);

    // Step 1 pages the primary on call: webhook and e-mail, with what she needs to act.
    const [first] = await eventually(async () => (pagesTo('alice', incidentId).length ? pagesTo('alice', incidentId) : undefined), 30_000);
    expect(first.json).toMatchObject({
      type: 'vigil.page',
      page: {
        incidentId,
        step: { number: 1, cycle: 0 },
        person: { personId: alice.personId },
        incident: { severity: 'SEV2', category: 'malware', link: `${triage.url}/v1/incidents/${incidentId}` },
        acknowledge: { url: `${triage.url}/v1/incidents/${incidentId}/acknowledge` },
      },
    });

    // Mid-escalation: the policy is edited (step 2 would page Irene instead of the secondary) and
    // tasking dies without a goodbye; neither may change what the running escalation does.
    const edited = await http(
      'PUT',
      `${tasking.url}/v1/escalation-policies/${policy.policyId}`,
      { name: `Standard ${run} v2`, steps: [{ targets: [{ type: 'person', personId: irene.personId }], waitMinutes: wait }], repeat: { times: 0, fromStep: 1 } },
      await as('irene'),
    );
    expect(edited.json.version).toBe(2);
    await tasking.kill();
    tasking = await startService('tasking', taskingEnv());

    // Nobody acknowledges: the secondary after the wait, then the IR manager.
    const [second] = await eventually(async () => (pagesTo('bob', incidentId).length ? pagesTo('bob', incidentId) : undefined), 60_000);
    expect(second.json.page).toMatchObject({ step: { number: 2, cycle: 0 }, person: { personId: bob.personId } });
    const [third] = await eventually(async () => (pagesTo('irene', incidentId).length ? pagesTo('irene', incidentId) : undefined), 60_000);
    expect(third.json.page).toMatchObject({ step: { number: 3, cycle: 0 }, person: { personId: irene.personId } });
    // Each step ran only once the previous step's wait was over (as tasking recorded them).
    const requested = [first, second, third].map((p) => Date.parse(p.json.page.requestedAt));
    expect(requested[1] - requested[0]).toBeGreaterThanOrEqual(STEP_SECONDS * 1000);
    expect(requested[2] - requested[1]).toBeGreaterThanOrEqual(STEP_SECONDS * 1000);

    // Irene acknowledges the incident: the escalation stops at once.
    expect((await incidentAction(`${triage.url}/v1/incidents/${incidentId}`, 'acknowledge', {}, await as('irene'))).status).toBe(200);
    const stopped = await eventually(async () => {
      const [e] = (await http('GET', `${tasking.url}/v1/incidents/${incidentId}/escalations`)).json.items;
      return e?.status === 'acknowledged' ? e : undefined;
    });
    expect(stopped).toMatchObject({ policyId: policy.policyId, policyVersion: 1, stoppedBy: 'u-irene', next: null, trigger: { kind: 'incident-opened' } });
    expect(stopped.steps.map((s: { key: string }) => s.key)).toEqual(['0.1', '0.2', '0.3']);

    // Long enough for two more steps of the repeat: nothing more is paged, and nobody was paged twice.
    await new Promise((r) => setTimeout(r, (2 * STEP_SECONDS + 2) * 1000));
    expect({ alice: pagesTo('alice', incidentId).length, bob: pagesTo('bob', incidentId).length, irene: pagesTo('irene', incidentId).length }).toEqual({ alice: 1, bob: 1, irene: 1 });
    const steps = await withDatabase((db) => db.query(`SELECT step_key FROM tasking.escalation_steps s JOIN tasking.escalations e ON e.id = s.escalation_id WHERE e.incident_id = $1 ORDER BY step_key`, [incidentId]));
    expect(steps.rows.map((r: { step_key: string }) => r.step_key)).toEqual(['0.1', '0.2', '0.3']);

    // The e-mails reached the mail server; Bob has no e-mail method and got the webhook only.
    await eventually(async () => (smtp.mails.filter((m) => m.to.some((t) => t.endsWith(`-${run}@soc.example`))).length === 2 ? true : undefined));
    const mails = smtp.mails.filter((m) => m.to.some((t) => t.endsWith(`-${run}@soc.example`)));
    expect(mails.map((m) => m.to[0]).sort()).toEqual([`alice-${run}@soc.example`, `irene-${run}@soc.example`]);
    expect(mails[0].data).toContain(`Subject: [Vigil] SEV2 malware: Beacon from ws-17 (${run})`);
    const body = mails[0].data.replace(/=\r?\n/g, ''); // quoted-printable soft line breaks
    expect(body).toContain(`Acknowledge: POST ${triage.url}/v1/incidents/${incidentId}/acknowledge`);

    // Comms recorded every page delivery (phone numbers wait for a provider and are not tried).
    const notifications = await eventually(async () => {
      const items = (await http('GET', `${comms.url}/v1/incidents/${incidentId}/notifications`)).json.items.filter((n: { audience: string }) => n.audience.startsWith('person:'));
      return items.length === 5 && items.every((n: { status: string }) => n.status === 'delivered') ? items : undefined;
    });
    expect(notifications.map((n: { channel: string }) => n.channel).sort()).toEqual(['email', 'email', 'webhook', 'webhook', 'webhook']);

    // Every step is on the incident's timeline, with the pages and the stop.
    const timeline = await eventually(async () => {
      const entries: Array<{ type: string; summary: string }> = (await http('GET', `${reporting.url}/v1/incidents/${incidentId}/timeline`)).json?.entries ?? [];
      return entries.some((e) => e.type === 'vigil.escalation.stopped.v1') && entries.filter((e) => e.type === 'vigil.page.delivered.v1').length === 5 ? entries : undefined;
    }, 30_000);
    const escalation = timeline.filter((e) => e.type.startsWith('vigil.escalation.')).map((e) => e.summary);
    expect(escalation).toEqual([
      expect.stringMatching(new RegExp(`^Escalation started with Standard ${run} \\(version 1\\): SEV2 incident opened and not acknowledged$`)),
      expect.stringMatching(new RegExp(`^Escalation step 1: paged Alice ${run}; next at .+ unless acknowledged$`)),
      expect.stringMatching(new RegExp(`^Escalation step 2: paged Bob ${run}; next at`)),
      expect.stringMatching(new RegExp(`^Escalation step 3: paged Irene ${run}; next at`)),
      'Escalation stopped after step 3: acknowledged by u-irene',
    ]);
  }, 300_000);

  it('answers who is on call at any instant, previews and applies a change without rewriting history, finds a planted gap, and serves calendar feeds', async () => {
    const irene = await as('irene');
    const [p1, p2, p3] = await Promise.all([person('Pat', [], false), person('Quinn', [], false), person('Robin', [], false)]);
    // Responders read the roster and schedules; only IR managers and admins change them.
    expect((await http('GET', `${tasking.url}/v1/people`, undefined, await as('alice'))).status).toBe(200);
    expect((await http('POST', `${tasking.url}/v1/people`, { name: 'x' }, await as('alice'))).status).toBe(403);
    expect((await http('GET', `${tasking.url}/v1/people`, undefined, await as('nobody'))).status).toBe(403);
    const adminMade = await http('POST', `${tasking.url}/v1/people`, { name: `Admin-made ${run}` }, await as('adam'));
    expect(adminMade.status).toBe(201);
    // Removed from the roster: gone by id (a second removal too), kept for history in the list of removed people.
    const removedId = adminMade.json.personId;
    expect((await http('DELETE', `${tasking.url}/v1/people/${removedId}`, undefined, irene)).json).toMatchObject({ personId: removedId, active: false });
    const gone = await http('GET', `${tasking.url}/v1/people/${removedId}`, undefined, irene);
    expect([gone.status, gone.json.detail]).toEqual([404, `Person ${removedId} was removed from the roster; GET /v1/people?active=false lists removed people.`]);
    expect((await http('DELETE', `${tasking.url}/v1/people/${removedId}`, undefined, irene)).status).toBe(404);
    const removed = (await http('GET', `${tasking.url}/v1/people?active=false`, undefined, irene)).json.items;
    expect(removed.map((p: { personId: string }) => p.personId)).toContain(removedId);

    // A weekly rotation handing over on Mondays at 09:00 Berlin time, anchored in January.
    const zone = 'Europe/Berlin';
    const anchor = DateTime.fromISO('2026-01-05T09:00', { zone });
    const weekly = (participants: string[]) => ({ layers: [{ name: 'weekly', precedence: 1, rotation: { start: '2026-01-05T09:00', timeZone: zone, handoff: 'FREQ=WEEKLY;BYDAY=MO', participants } }] });
    const schedule = await create('/v1/schedules', { name: `Weekly ${run}`, timeZone: zone, definition: weekly([p1.personId, p2.personId]) });
    const expected = (t: DateTime, people: string[]) => people[Math.floor(t.diff(anchor, 'weeks').weeks) % people.length];
    const wednesday = DateTime.now().setZone(zone).plus({ weeks: 1 }).set({ weekday: 3, hour: 12, minute: 0, second: 0, millisecond: 0 });
    const onCall = async (t: DateTime) => (await http('GET', `${tasking.url}/v1/schedules/${schedule.scheduleId}/on-call?at=${encodeURIComponent(t.toISO()!)}`, undefined, await as('alice'))).json;
    for (const t of [wednesday, wednesday.plus({ weeks: 1 })]) {
      const answer = await onCall(t);
      expect(answer).toMatchObject({ revision: 1, people: [{ personId: expected(t, [p1.personId, p2.personId]) }], source: { kind: 'layer', layer: 'weekly' } });
      expect(DateTime.fromISO(answer.shiftStart).setZone(zone).toFormat('ccc HH:mm')).toBe('Mon 09:00');
    }
    // Before the schedule existed nobody was on call on it: history is what was, not what is now.
    expect(await onCall(anchor.plus({ days: 1 }))).toMatchObject({ revision: null, people: [] });

    // Preview adding a third person from two weeks on: the windows that change, and nothing stored.
    const effectiveFrom = wednesday.plus({ weeks: 1 }).set({ weekday: 1, hour: 9 });
    const preview = await http('POST', `${tasking.url}/v1/schedules/${schedule.scheduleId}/revisions:preview`, { definition: weekly([p1.personId, p2.personId, p3.personId]), effectiveFrom: effectiveFrom.toISO(), weeks: 6 }, irene);
    expect(preview.status).toBe(200);
    expect(preview.json.changes.length).toBeGreaterThan(0);
    for (const change of preview.json.changes) {
      expect(Date.parse(change.start)).toBeGreaterThanOrEqual(effectiveFrom.toMillis());
      const t = DateTime.fromISO(change.start).setZone(zone);
      expect(change.before.map((p: { personId: string }) => p.personId)).toEqual([expected(t, [p1.personId, p2.personId])]);
      expect(change.after.map((p: { personId: string }) => p.personId)).toEqual([expected(t, [p1.personId, p2.personId, p3.personId])]);
    }
    expect((await http('GET', `${tasking.url}/v1/schedules/${schedule.scheduleId}/revisions`, undefined, irene)).json.items).toHaveLength(1);

    // A change may not take effect in the past, nor name a rotation the engine would misread.
    const past = await http('POST', `${tasking.url}/v1/schedules/${schedule.scheduleId}/revisions`, { definition: weekly([p3.personId]), effectiveFrom: '2026-01-01T00:00:00Z' }, irene);
    expect(past.status).toBe(422);
    expect(past.json.errors).toEqual([{ pointer: '/effectiveFrom', detail: 'must be now or later: history is not rewritten' }]);
    const counted = weekly([p3.personId]);
    (counted.layers[0].rotation as { handoff: string }).handoff = 'FREQ=WEEKLY;COUNT=3';
    const bad = await http('POST', `${tasking.url}/v1/schedules/${schedule.scheduleId}/revisions`, { definition: counted }, irene);
    expect(bad.json.errors).toEqual([{ pointer: '/definition/layers/0/rotation/handoff', detail: expect.stringMatching(/COUNT and UNTIL/) }]);

    // Applied: the future follows the preview, this week stays as it was.
    const revised = await http('POST', `${tasking.url}/v1/schedules/${schedule.scheduleId}/revisions`, { definition: weekly([p1.personId, p2.personId, p3.personId]), effectiveFrom: effectiveFrom.toISO(), reason: 'Robin joins' }, irene);
    expect(revised.json).toMatchObject({ revision: 2, reason: 'Robin joins', createdBy: 'u-irene' });
    const [change] = preview.json.changes;
    expect((await onCall(DateTime.fromISO(change.start).plus({ hours: 1 }))).people.map((p: { personId: string }) => p.personId)).toEqual(change.after.map((p: { personId: string }) => p.personId));
    expect((await onCall(wednesday)).people[0].personId).toBe(expected(wednesday, [p1.personId, p2.personId]));

    // An override: Robin covers Wednesday afternoon; cancelled, the rotation is back.
    const override = await http('POST', `${tasking.url}/v1/schedules/${schedule.scheduleId}/overrides`, { personId: p3.personId, start: wednesday.minus({ hours: 1 }).toISO(), end: wednesday.plus({ hours: 4 }).toISO(), reason: 'swap' }, irene);
    expect(override.status).toBe(201);
    expect(await onCall(wednesday)).toMatchObject({ people: [{ personId: p3.personId }], source: { kind: 'override', overrideId: override.json.overrideId } });
    expect((await http('DELETE', `${tasking.url}/v1/schedules/${schedule.scheduleId}/overrides/${override.json.overrideId}`, undefined, irene)).status).toBe(200);
    expect((await onCall(wednesday)).source.kind).toBe('layer');

    // The coverage check finds the gap planted in a business-hours-only schedule.
    const dayOnly = await create('/v1/schedules', {
      name: `Business hours ${run}`,
      timeZone: zone,
      definition: { layers: [{ name: 'day', precedence: 1, rotation: { start: '2026-01-05T09:00', timeZone: zone, handoff: 'FREQ=DAILY', participants: [p1.personId], coverage: [{ start: '09:00', durationMinutes: 480 }] } }] },
    });
    const day = wednesday.set({ hour: 0 });
    const coverage = (await http('GET', `${tasking.url}/v1/schedules/${dayOnly.scheduleId}/coverage?from=${encodeURIComponent(day.toISO()!)}&to=${encodeURIComponent(day.plus({ days: 1 }).toISO()!)}`, undefined, await as('alice'))).json;
    expect(coverage.gaps.map((g: { start: string; end: string }) => [DateTime.fromISO(g.start).setZone(zone).toFormat('HH:mm'), DateTime.fromISO(g.end).setZone(zone).toFormat('HH:mm')])).toEqual([
      ['00:00', '09:00'],
      ['17:00', '00:00'],
    ]);
    expect(coverage.coveredPercent).toBeCloseTo(33.33, 1);

    // Calendar feeds: a person's feed token, for their own feed and schedules' feeds only.
    const feed = `${tasking.url}/v1/schedules/${schedule.scheduleId}/calendar.ics`;
    expect((await http('GET', feed, undefined, { authorization: '' })).status).toBe(401);
    expect((await http('POST', `${tasking.url}/v1/people/${p1.personId}/feed-token`, undefined, await as('alice'))).status).toBe(403); // not Alice's own
    const token = await http('POST', `${tasking.url}/v1/people/${p1.personId}/feed-token`, undefined, irene);
    expect(token.status).toBe(201);
    const own = await http('GET', token.json.personFeed, undefined, { authorization: '' });
    expect(own.status).toBe(200);
    expect(own.headers.get('content-type')).toMatch(/^text\/calendar/);
    expect(own.text).toContain('BEGIN:VEVENT');
    expect(own.text).toContain(`SUMMARY:On call: Weekly ${run}`);
    const scheduleFeed = await http('GET', `${feed}?token=${token.json.token}`, undefined, { authorization: '' });
    expect(scheduleFeed.text).toContain(`Pat ${run} on call (Weekly ${run})`);
    expect((await http('GET', `${tasking.url}/v1/people/${p2.personId}/calendar.ics?token=${token.json.token}`, undefined, { authorization: '' })).status).toBe(404);
    expect((await http('GET', `${feed}?token=${'x'.repeat(43)}`, undefined, { authorization: '' })).status).toBe(401);
  }, 120_000);

  it('imports a PagerDuty schedule and escalation policy in one step (a dry run first)', async () => {
    const irene = await as('irene');
    const payload = {
      users: { users: [{ id: `PU${run}`, name: `Earline ${run}`, email: `earline-${run}@example.com`, time_zone: 'America/Lima' }] },
      schedules: [
        {
          schedule: {
            id: `PS${run}`,
            type: 'schedule',
            name: `PD rotation ${run}`,
            time_zone: 'America/New_York',
            schedule_layers: [
              { id: 'PL1', name: 'Layer 1', start: '2026-01-01T00:00:00-05:00', end: null, rotation_virtual_start: '2026-01-05T09:00:00-05:00', rotation_turn_length_seconds: 604800, users: [{ user: { id: `PU${run}`, type: 'user_reference', summary: `Earline ${run}` } }], restrictions: [] },
            ],
          },
        },
      ],
      escalation_policies: [
        { escalation_policy: { id: `PE${run}`, type: 'escalation_policy', name: `PD policy ${run}`, num_loops: 1, escalation_rules: [{ escalation_delay_in_minutes: 30, targets: [{ id: `PS${run}`, type: 'schedule_reference' }] }] } },
      ],
    };
    const dry = await http('POST', `${tasking.url}/v1/oncall-imports/pagerduty?dryRun=true`, payload, irene);
    expect(dry.status).toBe(200);
    expect(dry.json).toMatchObject({ dryRun: true, people: [{ externalId: `PU${run}`, created: true }], schedules: [{ name: `PD rotation ${run}` }], policies: [{ name: `PD policy ${run}` }] });
    const names = async () => (await http('GET', `${tasking.url}/v1/schedules`, undefined, irene)).json.items.map((s: { name: string }) => s.name);
    expect(await names()).not.toContain(`PD rotation ${run}`);

    const done = await http('POST', `${tasking.url}/v1/oncall-imports/pagerduty`, payload, irene);
    expect(done.json).toMatchObject({ dryRun: false, schedules: [{ revision: 1 }], policies: [{ version: 1 }] });
    const onCall = (await http('GET', `${tasking.url}/v1/schedules/${done.json.schedules[0].scheduleId}/on-call`, undefined, irene)).json;
    expect(onCall.people).toEqual([{ personId: done.json.people[0].personId, name: `Earline ${run}` }]);
    const policy = (await http('GET', `${tasking.url}/v1/escalation-policies/${done.json.policies[0].policyId}`, undefined, irene)).json;
    expect(policy).toMatchObject({ steps: [{ targets: [{ type: 'schedule', scheduleId: done.json.schedules[0].scheduleId }], waitMinutes: 30 }], repeat: { times: 1, fromStep: 1 } });
    // Run again, it updates rather than copies: the same schedule and policy, a new revision and version, the same person.
    const again = await http('POST', `${tasking.url}/v1/oncall-imports/pagerduty`, payload, irene);
    expect(again.json).toMatchObject({ people: [{ personId: done.json.people[0].personId, created: false }], schedules: [{ scheduleId: done.json.schedules[0].scheduleId, revision: 2 }], policies: [{ policyId: done.json.policies[0].policyId, version: 2 }] });
  }, 60_000);
});
