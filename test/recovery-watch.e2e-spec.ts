import { randomUUID } from 'node:crypto';
import { as, createIntegration, eventually, http, incidentAction, readTopic, resetEscalationRouting, startReceiver, startService, withDatabase, type RecordedRequest, type ServiceProcess } from './support/harness';

/**
 * The recovery watch, end to end: an incident on a registered asset is walked to recovery; a new
 * alert on that asset (another category, another dedup key: it would open an incident) attaches to
 * it as a recurrence, flagged on the incident and its timeline, announced by
 * vigil.incident.recurrence-detected.v1, and tasking pages the incident's owner through comms; an
 * IR manager (and only they) moves it back to contained. An incident whose watch is over (its
 * clock moved into the past by a fixture) takes no recurrence: the alert opens a new incident.
 */
describe('recovery watch (intake → triage → tasking → comms, reporting)', () => {
  let intake: ServiceProcess;
  let triage: ServiceProcess;
  let tasking: ServiceProcess;
  let comms: ServiceProcess;
  let reporting: ServiceProcess;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let apiKey: string;
  const run = randomUUID().slice(0, 8);
  const t = (path: string) => `${triage.url}${path}`;

  beforeAll(async () => {
    receiver = await startReceiver();
    [intake, triage] = await Promise.all([startService('intake'), startService('triage')]);
    [tasking, comms, reporting] = await Promise.all([
      startService('tasking', { ONCALL_TRIAGE_URL: triage.url, ONCALL_POLL_MS: '200' }),
      startService('comms', { COMMS_RETRY_BASE_MS: '100' }),
      startService('reporting'),
    ]);
    ({ apiKey } = await createIntegration(intake.url, 'canonical'));
  }, 240_000);

  afterAll(async () => {
    await resetEscalationRouting(tasking?.url);
    await Promise.all([intake, triage, tasking, comms, reporting].filter(Boolean).map((s) => s.stop()));
    await receiver?.close();
  });

  async function post(alert: Record<string, unknown>): Promise<string> {
    const res = await http('POST', `${intake.url}/v1/alerts`, { source: 'edr', severity: 'high', ...alert }, { authorization: `Bearer ${apiKey}` });
    expect(res.status).toBe(202);
    return res.json.alertId;
  }

  const placed = (alertId: string) =>
    eventually(async () => {
      const res = await http('GET', t(`/v1/alerts/${alertId}`));
      return res.status === 200 && res.json.disposition === 'attached' ? res.json : undefined;
    }, 60_000);

  const incident = async (id: string) => (await http('GET', t(`/v1/incidents/${id}`))).json;

  async function registerHost(name: string): Promise<string> {
    const res = await http('POST', t('/v1/assets'), { identifier: `${name}-cmdb`, name, hostnames: [name], criticality: 'high', dataClassification: 'internal' });
    expect(res.status).toBe(201);
    return res.json.assetId;
  }

  /** An incident on `host`, owned by `owner`, walked to recovered. */
  async function recoveredIncident(host: string, owner: string): Promise<string> {
    const { incidentId } = await placed(await post({ title: `Ransomware on ${host}`, category: 'ransomware', dedupKey: `rw-${host}`, assets: [{ hostname: host }] }));
    const path = t(`/v1/incidents/${incidentId}`);
    // Acknowledged, as a responder would: an unacknowledged SEV1 (whose clock a test below moves days
    // back) would otherwise stay in the SEV1-not-acknowledged gauge for the suites after this one.
    expect((await incidentAction(path, 'acknowledge', {})).status).toBe(200);
    expect((await incidentAction(path, 'assignment', { owner, responders: [] })).status).toBe(200);
    for (const to of ['triaged', 'contained', 'eradicated', 'recovered']) expect([to, (await incidentAction(path, 'transition', { to })).status]).toEqual([to, 200]);
    return incidentId;
  }

  const pagesTo = (who: string): Array<RecordedRequest & { json: any }> =>
    receiver.requests.filter((r) => r.path === `/${run}/${who}`).map((r) => ({ ...r, json: JSON.parse(r.body) }));

  it('attaches an alert on a recovered incident\'s asset as a recurrence inside the watch, pages the owner, and lets only an IR manager reopen containment', async () => {
    // The owner is on the roster (by their token subject), reachable by webhook; the policy of this run only waits.
    const owner = `owner-${run}`;
    const person = await http('POST', `${tasking.url}/v1/people`, { name: `Owner ${run}`, subject: owner, timeZone: 'UTC', roles: ['security_analyst'], contactMethods: [{ kind: 'webhook', url: `${receiver.url}/${run}/owner` }] }, await as('irene'));
    expect(person.status).toBe(201);
    const policy = await http('POST', `${tasking.url}/v1/escalation-policies`, { name: `Watch ${run}`, steps: [{ targets: [], waitMinutes: 60 }], repeat: { times: 0, fromStep: 1 } }, await as('irene'));
    expect(policy.status).toBe(201);
    const routing = await http('PUT', `${tasking.url}/v1/escalation-routing`, { rules: [], defaultPolicyId: policy.json.policyId }, await as('irene'));
    expect(routing.status).toBe(200);

    const host = `web-${run}`;
    const assetId = await registerHost(host);
    const incidentId = await recoveredIncident(host, owner);
    expect(pagesTo('owner')).toHaveLength(0); // the opening paged nobody: the policy only waits

    // Another category and dedup key: no correlation key is shared, so it would open an incident.
    const recurring = await post({ title: `Beacon to C2 from ${host}`, category: 'malware', dedupKey: `beacon-${host}`, assets: [{ hostname: host }] });
    const alert = await placed(recurring);
    expect(alert).toMatchObject({ incidentId, correlatedBy: 'recurrence' });
    const flagged = await incident(incidentId);
    expect(flagged).toMatchObject({ phase: 'recovered', recurrenceCount: 1, alertCount: 2, lastRecurrenceAt: expect.any(String) });

    // The event, with what matched.
    const event = await readTopic(
      'vigil.incidents.v1',
      (messages) => messages.map((m) => ({ type: m.headers.ce_type, data: JSON.parse(m.value) })).find((m) => m.type === 'vigil.incident.recurrence-detected.v1' && m.data.incidentId === incidentId),
      60_000,
    );
    expect(event.data).toMatchObject({ owner, alert: { alertId: recurring }, matchedAssetIds: [assetId], recurrenceCount: 1 });

    // The owner is paged, through tasking and comms, about this incident and why.
    const [page] = await eventually(async () => (pagesTo('owner').length ? pagesTo('owner') : undefined), 60_000);
    expect(page.json.page).toMatchObject({ incidentId, person: { personId: person.json.personId }, step: { number: 1 } });
    expect(JSON.stringify(page.json.page)).toContain('recurrence');

    // On the timeline in reporting.
    await eventually(async () => {
      const entries: Array<{ type: string; summary: string }> = (await http('GET', `${reporting.url}/v1/incidents/${incidentId}/timeline`)).json?.entries ?? [];
      return entries.some((e) => e.type === 'vigil.incident.alert-attached.v1' && e.summary.startsWith('Alert attached by recurrence')) ? true : undefined;
    }, 60_000);

    // Back to containment: an analyst may not, an IR manager may; the first containment stays on the clock.
    const path = t(`/v1/incidents/${incidentId}`);
    const containedAt = flagged.timestamps.containedAt;
    expect((await incidentAction(path, 'transition', { to: 'contained' }, await as('alice'))).status).toBe(403);
    const reopened = await incidentAction(path, 'transition', { to: 'contained', reason: 'beaconing again' }, await as('irene'));
    expect(reopened.status).toBe(200);
    expect(reopened.json).toMatchObject({ phase: 'contained', timestamps: { containedAt } });
  });

  it('opens a new incident for an alert on the asset of an incident whose watch is over, and refuses to reopen an incident without a recurrence', async () => {
    const host = `db-${run}`;
    await registerHost(host);
    const incidentId = await recoveredIncident(host, `other-${run}`);
    // Without a recurrence, recovered goes on to post_incident only.
    const refused = await incidentAction(t(`/v1/incidents/${incidentId}`), 'transition', { to: 'contained' }, await as('irene'));
    expect(refused.status).toBe(409);
    expect(refused.json.allowedTransitions).toEqual(['post_incident']);
    // A fixture: the incident's whole clock three days earlier, with a watch of one day (as a playbook sets it).
    await withDatabase((db) =>
      db.query(
        `UPDATE triage.incidents SET recovery_watch_days = 1, occurred_at = occurred_at - interval '3 days', detected_at = detected_at - interval '3 days',
                declared_at = declared_at - interval '3 days', contained_at = contained_at - interval '3 days', eradicated_at = eradicated_at - interval '3 days',
                recovered_at = recovered_at - interval '3 days' WHERE id = $1`,
        [incidentId],
      ),
    );
    const late = await placed(await post({ title: `Beacon to C2 from ${host}`, category: 'malware', dedupKey: `beacon-${host}`, assets: [{ hostname: host }] }));
    expect(late.correlatedBy).toBe('opened');
    expect(late.incidentId).not.toBe(incidentId);
    expect((await incidentAction(t(`/v1/incidents/${late.incidentId}`), 'acknowledge', {})).status).toBe(200);
    expect(await incident(incidentId)).toMatchObject({ recurrenceCount: 0, lastRecurrenceAt: null, alertCount: 1 });
  });
  it("times an incident's recovery tasks by the smallest recovery time objective of its registered assets, and follows a smaller one an alert adds", async () => {
    const register = async (name: string, rto: number) => {
      const res = await http('POST', t('/v1/assets'), { identifier: `${name}-cmdb`, name, hostnames: [name], businessService: `Service of ${name}`, recoveryTimeObjectiveMinutes: rto, criticality: 'high', dataClassification: 'internal' });
      expect(res.status).toBe(201);
    };
    const [slow, fast] = [`files-${run}`, `pay-${run}`];
    await register(slow, 480);
    await register(fast, 90);
    const first = await placed(await post({ title: `Ransomware on ${slow}`, category: 'ransomware', dedupKey: `rto-${slow}`, assets: [{ hostname: slow }] }));
    const path = t(`/v1/incidents/${first.incidentId}`);
    expect((await incidentAction(path, 'acknowledge', {})).status).toBe(200);
    const opened = await incident(first.incidentId);
    expect(opened.recoveryTimeObjectiveMinutes).toBe(480);
    const due = (minutes: number) => new Date(Date.parse(opened.timestamps.declaredAt) + minutes * 60_000).toISOString();
    const recoveryDue = () =>
      eventually(async () => {
        const items: Array<{ phase: string; dueAt: string | null }> = (await http('GET', `${tasking.url}/v1/incidents/${first.incidentId}/tasks`)).json.items ?? [];
        const recovery = items.filter((task) => task.phase === 'recovered');
        return recovery.length ? [...new Set(recovery.map((task) => task.dueAt))] : undefined;
      }, 60_000);
    expect(await recoveryDue()).toEqual([due(480)]);

    // A second alert on both hosts joins the incident: the payment service's 90 minutes now set the pace.
    const second = await placed(await post({ title: `Ransomware spreading to ${fast}`, category: 'ransomware', dedupKey: `rto-${fast}`, assets: [{ hostname: slow }, { hostname: fast }] }));
    expect(second.incidentId).toBe(first.incidentId);
    expect((await incident(first.incidentId)).recoveryTimeObjectiveMinutes).toBe(90);
    await eventually(async () => ((await recoveryDue()).join() === due(90) ? true : undefined), 60_000);

    // A step that does not apply, skipped with a reason: reporting records it as skipped (neither
    // missed nor pending), and the incident report says why.
    const tasks: Array<{ taskId: string; stepKey: string }> = (await http('GET', `${tasking.url}/v1/incidents/${first.incidentId}/tasks`)).json.items;
    const protect = tasks.find((task) => task.stepKey === 'protect-backups')!;
    const skipped = await http('POST', `${tasking.url}/v1/incidents/${first.incidentId}/tasks/${protect.taskId}/skip`, { reason: 'backups are offline tapes' });
    expect(skipped.status).toBe(200);
    const recorded = await eventually(
      () =>
        withDatabase(async (db) => {
          const [row] = (await db.query(`SELECT status, cancel_reason, completed_by FROM reporting.tasks WHERE task_id = $1`, [protect.taskId])).rows;
          return row?.status === 'open' || !row ? undefined : row;
        }),
      60_000,
    );
    expect(recorded).toEqual({ status: 'skipped', cancel_reason: 'backups are offline tapes', completed_by: 'u-tester' });
    const report = await http('GET', `${reporting.url}/v1/incidents/${first.incidentId}/report?format=markdown`);
    expect(report.status).toBe(200);
    expect(report.text).toContain('skipped: backups are offline tapes');
  });
});
