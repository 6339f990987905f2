import { randomUUID } from 'node:crypto';
import { as, createIntegration, eventually, http, incidentAction, startReceiver, startService, withDatabase, type RecordedRequest, type ServiceProcess } from './support/harness';
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
    // The escalation rules are one setting for the whole test database: leave none behind.
    if (tasking) await http('PUT', `${tasking.url}/v1/escalation-routing`, { rules: [], defaultPolicyId: null }, await as('irene')).catch(() => undefined);
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

  const pagesTo = (name: string): Array<RecordedRequest & { json: any }> =>
    receiver.requests.filter((r) => r.path === `/${run}/${name}`).map((r) => ({ ...r, json: JSON.parse(r.body) }));

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
    const routing = await http('PUT', `${tasking.url}/v1/escalation-routing`, { rules: [{ name: 'this run', match: { categories: ['malware'] }, policyId: policy.policyId }], defaultPolicyId: null }, await as('irene'));
    expect(routing.status).toBe(200);

    // The incident opens.
    const alert = await http('POST', `${intake.url}/v1/alerts`, { title: `Beacon from ws-17 (${run})`, source: 'edr', severity: 'high', category: 'malware' }, { authorization: `Bearer ${apiKey}` });
    expect(alert.status).toBe(202);
    const incidentId: string = await eventually(async () => (await http('GET', `${triage.url}/v1/alerts/${alert.json.alertId}`)).json?.incidentId ?? undefined, 60_000);

    // Step 1 pages the primary on call: webhook and e-mail, with what she needs to act.
    const [first] = await eventually(async () => (pagesTo('alice').length ? pagesTo('alice') : undefined), 30_000);
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
    const [second] = await eventually(async () => (pagesTo('bob').length ? pagesTo('bob') : undefined), 60_000);
    expect(second.json.page).toMatchObject({ step: { number: 2, cycle: 0 }, person: { personId: bob.personId } });
    const [third] = await eventually(async () => (pagesTo('irene').length ? pagesTo('irene') : undefined), 60_000);
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
    expect({ alice: pagesTo('alice').length, bob: pagesTo('bob').length, irene: pagesTo('irene').length }).toEqual({ alice: 1, bob: 1, irene: 1 });
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
});
