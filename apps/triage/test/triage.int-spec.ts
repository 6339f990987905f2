import fc from 'fast-check';
import { randomUUID } from 'node:crypto';
import { as, createIntegration, eventually, http, incidentAction, readTopic, startService, withDatabase, type ServiceProcess } from '../../../test/support/harness';
import { buildSearchDocuments } from '../src/incidents/search/search-text';

/**
 * Triage as analysts use it, against the real broker and database: alerts come in through intake,
 * triage correlates, suppresses, holds back, classifies; analysts merge, move, promote, classify,
 * assign and correct the clock, each change guarded by If-Match.
 */
describe('triage (intake → Kafka → triage → reporting)', () => {
  let intake: ServiceProcess;
  let triage: ServiceProcess;
  let reporting: ServiceProcess;
  let apiKey: string;
  let amKey: string;
  let untrustedKey: string;
  const t = (path: string) => `${triage.url}${path}`;

  beforeAll(async () => {
    [intake, triage, reporting] = await Promise.all([startService('intake'), startService('triage'), startService('reporting')]);
    // Allowed to name incidents (label vigil_incident); `untrustedKey` is not.
    ({ apiKey } = await createIntegration(intake.url, 'canonical', { allowIncidentReference: true }));
    ({ apiKey: untrustedKey } = await createIntegration(intake.url, 'canonical'));
    ({ apiKey: amKey } = await createIntegration(intake.url, 'alertmanager'));
  }, 180_000);

  afterAll(async () => {
    await Promise.all([intake, triage, reporting].filter(Boolean).map((s) => s.stop()));
  });

  const uid = () => randomUUID().slice(0, 8);

  async function post(alert: Record<string, unknown>): Promise<{ alertId: string; dedupKey: string }> {
    const res = await http('POST', `${intake.url}/v1/alerts`, { source: 'edr', severity: 'high', ...alert }, { authorization: `Bearer ${apiKey}` });
    expect(res.status).toBe(202);
    return res.json;
  }

  /** Where triage put the alert, once it has read it. */
  async function placed(alertId: string, until: (a: any) => boolean = () => true): Promise<any> {
    return eventually(async () => {
      const res = await http('GET', t(`/v1/alerts/${alertId}`));
      return res.status === 200 && until(res.json) ? res.json : undefined;
    }, 60_000);
  }

  const incident = async (id: string) => (await http('GET', t(`/v1/incidents/${id}`))).json;

  describe('correlation', () => {
    it('groups the alerts of one Alertmanager group (groupKey) into one incident', async () => {
      const groupKey = `{}:{alertname="HostDown-${uid()}"}`;
      const body = {
        version: '4',
        groupKey,
        status: 'firing',
        receiver: 'vigil',
        alerts: ['db-01', 'db-02'].map((host) => ({
          status: 'firing',
          labels: { alertname: 'HostDown', instance: `${host}-${uid()}`, severity: 'critical' },
          annotations: { summary: `${host} is down` },
          startsAt: new Date(Date.now() - 60_000).toISOString(),
          fingerprint: uid(),
        })),
      };
      const res = await http('POST', `${intake.url}/v1/integrations/alertmanager`, body, { authorization: `Bearer ${amKey}` });
      expect(res.status).toBe(202);
      const [a, b] = await Promise.all(res.json.alerts.map((x: { alertId: string }) => placed(x.alertId)));
      expect(a.incidentId).toBe(b.incidentId);
      expect([a.correlatedBy, b.correlatedBy].sort()).toEqual(['group_key', 'opened']);
      expect((await incident(a.incidentId)).alertCount).toBe(2);
    });

    it('groups the same asset and category within the window, and not across categories or after the window', async () => {
      const host = `web-${uid()}`;
      const first = await placed((await post({ title: 'Web shell', category: 'web_application_attack', assets: [{ hostname: host }] })).alertId);
      const same = await placed((await post({ title: 'SQL injection', category: 'web_application_attack', assets: [{ hostname: host.toUpperCase() }] })).alertId);
      const other = await placed((await post({ title: 'Malware', category: 'malware', assets: [{ hostname: host }] })).alertId);
      expect(same).toMatchObject({ incidentId: first.incidentId, correlatedBy: 'asset_category' });
      expect(other.incidentId).not.toBe(first.incidentId);

      const window = await http('PUT', t('/v1/correlation-rules/asset_category'), { windowSeconds: 1 });
      expect(window.status).toBe(200);
      try {
        await new Promise((r) => setTimeout(r, 2_500));
        const late = await placed((await post({ title: 'Web shell again', category: 'web_application_attack', assets: [{ hostname: host }] })).alertId);
        expect(late.incidentId).not.toBe(first.incidentId);
        expect(late.correlatedBy).toBe('opened');
      } finally {
        expect((await http('PUT', t('/v1/correlation-rules/asset_category'), { windowSeconds: 3600 })).status).toBe(200);
      }
    });

    it('groups alerts sharing an observable (one source address hitting several hosts), unless the rule is off', async () => {
      const ip = `198.51.100.${1 + Math.floor(Math.random() * 250)}`;
      const src = `attacker-${uid()}.example`;
      const a = await placed((await post({ title: 'Brute force on h1', assets: [{ hostname: `h1-${uid()}` }], observables: [{ type: 'domain', value: src }, { type: 'ip', value: ip }] })).alertId);
      const b = await placed((await post({ title: 'Brute force on h2', assets: [{ hostname: `h2-${uid()}` }], observables: [{ type: 'domain', value: src.toUpperCase() }] })).alertId);
      expect(b).toMatchObject({ incidentId: a.incidentId, correlatedBy: 'observable' });

      expect((await http('PUT', t('/v1/correlation-rules/observable'), { enabled: false })).status).toBe(200);
      try {
        const c = await placed((await post({ title: 'Brute force on h3', observables: [{ type: 'domain', value: src }] })).alertId);
        expect(c.incidentId).not.toBe(a.incidentId);
      } finally {
        await http('PUT', t('/v1/correlation-rules/observable'), { enabled: true }, await as('adam'));
      }
      const rules = (await http('GET', t('/v1/correlation-rules'))).json.items;
      expect(rules.map((r: { kind: string }) => r.kind)).toEqual(['reference', 'group_key', 'asset_category', 'observable']);
      expect(rules.find((r: { kind: string }) => r.kind === 'observable')).toMatchObject({ enabled: true, updatedBy: 'u-adam' });
      expect((await http('PUT', t('/v1/correlation-rules/nonsense'), { enabled: false })).status).toBe(404);
      expect((await http('PUT', t('/v1/correlation-rules/group_key'), { windowSeconds: 60 })).status).toBe(422);
    });

    it('attaches an alert naming an incident (label vigil_incident), but never an exercise alert to a real incident', async () => {
      const opened = await placed((await post({ title: `Phishing ${uid()}`, category: 'phishing' })).alertId);
      const ref = await placed((await post({ title: 'Reported mail', severity: 'low', labels: { vigil_incident: opened.incidentId } })).alertId);
      expect(ref).toMatchObject({ incidentId: opened.incidentId, correlatedBy: 'reference' });
      const drill = await placed((await post({ title: 'Drill mail', labels: { vigil_incident: opened.incidentId }, exercise: true })).alertId);
      expect(drill.incidentId).not.toBe(opened.incidentId);
      expect((await incident(drill.incidentId)).exercise).toBe(true);
    });

    it('never attaches through a vigil_incident label or a dedup key from an integration that may not reach the incident', async () => {
      const dedupKey = `phish-${uid()}`;
      const opened = await placed((await post({ title: `Phishing ${uid()}`, category: 'phishing', dedupKey })).alertId);
      const sent = await http('POST', `${intake.url}/v1/alerts`, { title: 'Attach me', source: 'elsewhere', severity: 'low', labels: { vigil_incident: opened.incidentId } }, { authorization: `Bearer ${untrustedKey}` });
      expect(sent.status).toBe(202);
      const stray = await placed(sent.json.alertId);
      expect(stray.incidentId).not.toBe(opened.incidentId);
      // The same dedup key from another integration is another alert, in another incident.
      const sameKey = await http('POST', `${intake.url}/v1/alerts`, { title: 'Same key', source: 'elsewhere', severity: 'low', dedupKey }, { authorization: `Bearer ${untrustedKey}` });
      expect(sameKey.json.outcome).toBe('created');
      expect((await placed(sameKey.json.alertId)).incidentId).not.toBe(opened.incidentId);
    });
  });

  describe('suppression', () => {
    it('records matching alerts as suppressed and counted, opens nothing, and stops at expiry', async () => {
      const host = `scanner-target-${uid()}`;
      const create = await http('POST', t('/v1/suppression-rules'), {
        name: 'Weekly scan',
        owner: 'alice@soc.example',
        reason: 'agreed scan window',
        match: { titleContains: 'port scan', hostname: host },
        durationSeconds: 4,
      });
      expect(create.status).toBe(201);
      const rule = create.json;
      const dedupKey = `scan-${uid()}`;
      const first = await post({ title: 'Port scan detected', dedupKey, assets: [{ hostname: host }] });
      await post({ title: 'Port scan detected', dedupKey, assets: [{ hostname: host }] }); // a repeat
      const other = await placed((await post({ title: 'Port scan detected', assets: [{ hostname: `elsewhere-${uid()}` }] })).alertId);
      expect(other.disposition).toBe('attached');

      const held = await placed(first.alertId, (a) => a.occurrences === 2);
      expect(held).toMatchObject({ disposition: 'suppressed', incidentId: null, suppressionRuleId: rule.ruleId });
      const counted = await eventually(async () => {
        const r = (await http('GET', t(`/v1/suppression-rules/${rule.ruleId}`))).json;
        return r.suppressedOccurrences === 2 ? r : undefined;
      });
      expect(counted).toMatchObject({ suppressedAlerts: 1, suppressedOccurrences: 2, active: true });
      expect((await http('GET', t(`/v1/alerts?suppressionRuleId=${rule.ruleId}`))).json.items.map((a: { alertId: string }) => a.alertId)).toEqual([first.alertId]);

      await new Promise((r) => setTimeout(r, 4_500));
      const after = await placed((await post({ title: 'Port scan detected', dedupKey: `scan-${uid()}`, assets: [{ hostname: host }] })).alertId);
      expect(after.disposition).toBe('attached');
      expect((await http('GET', t(`/v1/suppression-rules/${rule.ruleId}`))).json).toMatchObject({ active: false, suppressedAlerts: 1 });
      expect((await http('GET', t('/v1/suppression-rules?active=false'))).json.items.some((r: { ruleId: string }) => r.ruleId === rule.ruleId)).toBe(true);
    });

    it('can be revoked early, and refuses rules without owner, criteria or expiry', async () => {
      const host = `noisy-${uid()}`;
      const rule = (await http('POST', t('/v1/suppression-rules'), { name: 'n', owner: 'bob', reason: 'r', match: { hostname: host }, durationSeconds: 3600 })).json;
      const revoked = await http('POST', t(`/v1/suppression-rules/${rule.ruleId}/revoke`), {}, await as('adam'));
      expect(revoked.json).toMatchObject({ active: false, revokedBy: 'u-adam' });
      expect((await placed((await post({ title: 'x', assets: [{ hostname: host }] })).alertId)).disposition).toBe('attached');

      const bad = await http('POST', t('/v1/suppression-rules'), { name: 'n', reason: 'r', match: {}, expiresAt: '2020-01-01T00:00:00Z', durationSeconds: 5 });
      expect(bad.status).toBe(400);
      expect(bad.headers.get('content-type')).toContain('application/problem+json');
      expect(bad.json.errors.map((e: { pointer: string }) => e.pointer).sort()).toEqual(['/match', '/owner']);
      const both = await http('POST', t('/v1/suppression-rules'), { name: 'n', owner: 'o', reason: 'r', match: { hostname: 'h' }, expiresAt: '2099-01-01T00:00:00Z', durationSeconds: 5 });
      expect(both.json.errors).toEqual([{ pointer: '/expiresAt', detail: 'give exactly one of expiresAt and durationSeconds' }]);
      const past = await http('POST', t('/v1/suppression-rules'), { name: 'n', owner: 'o', reason: 'r', match: { hostname: 'h' }, expiresAt: '2020-01-01T00:00:00Z' });
      expect(past.status).toBe(422);
      expect(past.json.errors).toEqual([{ pointer: '/expiresAt', detail: 'must be in the future' }]);
    });
  });

  describe('promotion', () => {
    it('keeps alerts below the threshold as alerts until an analyst promotes one, counting what it gathered', async () => {
      const dedupKey = `low-${uid()}`;
      const { alertId } = await post({ title: 'Unusual login hour', severity: 'info', dedupKey });
      await post({ title: 'Unusual login hour', severity: 'info', dedupKey });
      const pending = await placed(alertId, (a) => a.occurrences === 2);
      expect(pending).toMatchObject({ disposition: 'pending', incidentId: null });
      expect((await http('GET', t('/v1/alerts?disposition=pending&limit=500'))).json.items.some((a: { alertId: string }) => a.alertId === alertId)).toBe(true);

      const promoted = await http('POST', t(`/v1/alerts/${alertId}/promote`), { reason: 'third time this week' });
      expect(promoted.status).toBe(200);
      expect(promoted.json).toMatchObject({ disposition: 'attached', correlatedBy: 'promoted' });
      const opened = await incident(promoted.json.incidentId);
      expect(opened).toMatchObject({ alertCount: 2, phase: 'detected', severity: 'SEV4' });
      const history = (await http('GET', t(`/v1/incidents/${opened.incidentId}/history`))).json.items;
      expect(history).toContainEqual(expect.objectContaining({ actor: 'u-tester', action: 'alert_promoted', reason: 'third time this week' }));

      const again = await http('POST', t(`/v1/alerts/${alertId}/promote`), {});
      expect(again.status).toBe(409);
      expect(again.json.incidentId).toBe(opened.incidentId);
      expect((await http('POST', t(`/v1/alerts/${randomUUID()}/promote`), {})).status).toBe(404);
    });
  });

  describe('merge and move', () => {
    async function openIncident(n = 1) {
      const dedupKeys = Array.from({ length: n }, () => `m-${uid()}`);
      const alerts = [];
      const host = `merge-${uid()}`;
      for (const dedupKey of dedupKeys) alerts.push(await placed((await post({ title: `Merge test ${dedupKey}`, dedupKey, category: 'insider', assets: [{ hostname: host }] })).alertId));
      return { incidentId: alerts[0].incidentId as string, alerts };
    }

    it('merges incidents without duplicating an alert, keeps the earliest clock and ends the others as merged', async () => {
      const a = await openIncident(2);
      const b = await openIncident(1);
      const c = await openIncident(1);
      const target = t(`/v1/incidents/${a.incidentId}`);
      const before = await incident(a.incidentId);
      expect(before.alertCount).toBe(2);

      const noIfMatch = await http('POST', `${target}/merge`, { incidentIds: [b.incidentId], reason: 'same insider' });
      expect(noIfMatch.status).toBe(428);
      const stale = await http('POST', `${target}/merge`, { incidentIds: [b.incidentId], reason: 'r' }, { 'if-match': `"${before.version - 1}"` });
      expect(stale.status).toBe(412);
      expect(stale.json.currentVersion).toBe(before.version);
      expect((await http('POST', `${target}/merge`, { incidentIds: [a.incidentId], reason: 'r' }, { 'if-match': '*' })).status).toBe(422);

      const merged = await incidentAction(target, 'merge', { incidentIds: [b.incidentId, c.incidentId], reason: 'same insider' });
      expect(merged.status).toBe(200);
      expect(merged.headers.get('etag')).toBe(`"${merged.json.version}"`);
      expect(merged.json.alertCount).toBe(4);
      for (const source of [b, c]) {
        expect(await incident(source.incidentId)).toMatchObject({ phase: 'merged', mergedInto: a.incidentId });
      }
      const [{ n, distinct }] = (
        await withDatabase((db) =>
          db.query(`SELECT count(*)::int AS n, count(DISTINCT incident_id)::int AS distinct FROM triage.alerts WHERE alert_id = ANY($1::uuid[])`, [
            [...a.alerts, ...b.alerts, ...c.alerts].map((x) => x.alertId),
          ]),
        )
      ).rows;
      expect({ n, distinct }).toEqual({ n: 4, distinct: 1 });
      const alerts = (await http('GET', `${target}/alerts`)).json.items;
      expect(alerts).toHaveLength(4);
      expect(merged.json.timestamps.detectedAt <= before.timestamps.detectedAt).toBe(true);

      const again = await incidentAction(target, 'merge', { incidentIds: [b.incidentId], reason: 'twice' });
      expect(again.status).toBe(409);
      expect(again.json.finalIncidents).toEqual([{ incidentId: b.incidentId, phase: 'merged' }]);

      // A new alert with a merged incident's dedup key lands in the incident it was merged into.
      const follow = await placed((await post({ title: 'follow-up', dedupKey: `${b.alerts[0].dedupKey}`, severity: 'low' })).alertId);
      expect(follow.incidentId).toBe(a.incidentId);
    });

    it('moves an alert between incidents with its occurrences, but never an incident\'s only alert', async () => {
      const a = await openIncident(2);
      const b = await openIncident(1);
      const moving = a.alerts[1];
      // As if recorded before triage kept alerts whole (an upgraded installation): it still moves.
      await withDatabase((db) => db.query(`UPDATE triage.alerts SET data = NULL WHERE alert_id = $1`, [moving.alertId]));
      const moved = await incidentAction(t(`/v1/incidents/${b.incidentId}`), 'alerts', { alertId: moving.alertId, reason: 'belongs with b' });
      expect(moved.status).toBe(200);
      expect(moved.json.alertCount).toBe(2);
      expect((await incident(a.incidentId)).alertCount).toBe(1);
      expect((await http('GET', t(`/v1/alerts/${moving.alertId}`))).json).toMatchObject({ incidentId: b.incidentId, correlatedBy: 'moved' });

      const only = await incidentAction(t(`/v1/incidents/${b.incidentId}`), 'alerts', { alertId: a.alerts[0].alertId, reason: 'r' });
      expect(only.status).toBe(409);
      expect(only.json.detail).toContain('only alert');
      const history = (await http('GET', t(`/v1/incidents/${a.incidentId}/history`))).json.items;
      expect(history).toContainEqual(expect.objectContaining({ action: 'alert_moved_out', actor: 'u-tester', reason: 'belongs with b' }));
    });
  });

  describe('classification', () => {
    it('derives severity from the matrix: impact × the most critical registered asset, with category floors', async () => {
      const crown = `crown-${uid()}`;
      const kiosk = `kiosk-${uid()}`;
      for (const [identifier, criticality] of [
        [crown, 'critical'],
        [kiosk, 'low'],
      ]) {
        const res = await http('POST', t('/v1/assets'), { identifier, name: identifier, hostnames: [identifier], criticality, dataClassification: 'internal' });
        expect(res.status).toBe(201);
      }
      const cases: Array<[Record<string, unknown>, string]> = [
        [{ severity: 'medium', assets: [{ hostname: kiosk }], category: 'policy_violation' }, 'SEV4'], // low impact × low asset
        [{ severity: 'medium', assets: [{ hostname: crown }], category: 'policy_violation' }, 'SEV2'], // low impact × critical asset
        [{ severity: 'high', category: 'other' }, 'SEV2'], // medium impact × unregistered (medium)
        [{ severity: 'low', category: 'data_breach' }, 'SEV2'], // floor for data breaches (the spine test keeps ransomware to itself)
        [{ severity: 'critical', assets: [{ hostname: kiosk }] }, 'SEV2'], // high impact × low asset
      ];
      for (const [alert, severity] of cases) {
        const placedAlert = await placed((await post({ title: `Matrix ${uid()}`, ...alert })).alertId);
        expect([alert, (await incident(placedAlert.incidentId)).severity]).toEqual([alert, severity]);
      }
      const matrix = (await http('GET', t('/v1/classification/severity-matrix'))).json;
      expect(matrix.matrix.low.critical).toBe('SEV2');
    });

    it('records a re-classification with who and why, and lets alerts no longer change it', async () => {
      const dedupKey = `cls-${uid()}`;
      const opened = await placed((await post({ title: 'Odd traffic', severity: 'low', dedupKey })).alertId);
      const path = t(`/v1/incidents/${opened.incidentId}`);
      expect((await incident(opened.incidentId)).severity).toBe('SEV4');
      const missingWhy = await incidentAction(path, 'classify', { category: 'data_breach' });
      expect(missingWhy.status).toBe(400);
      expect(missingWhy.json.errors.map((e: { pointer: string }) => e.pointer)).toEqual(['/reason']);

      const res = await incidentAction(path, 'classify', { category: 'data_breach', informationImpact: 'privacy', recoverability: 'extended', reason: 'customer records left the network' }, await as('alice'));
      expect(res.status).toBe(200);
      expect(res.json).toMatchObject({ category: 'data_breach', severity: 'SEV2', classification: { informationImpact: 'privacy', recoverability: 'extended', classifiedBy: 'u-alice' } });
      const history = (await http('GET', `${path}/history`)).json.items;
      const entry = history.find((h: { action: string }) => h.action === 'classified');
      expect(entry).toMatchObject({ actor: 'u-alice', actorName: expect.any(String), reason: 'customer records left the network' });
      expect(entry.details.previous).toMatchObject({ severity: 'SEV4', category: 'other' });

      const overridden = await incidentAction(path, 'classify', { severity: 'SEV1', reason: 'regulator interest' });
      expect(overridden.json.severity).toBe('SEV1');
      await post({ title: 'Odd traffic', severity: 'low', dedupKey }); // a repeat: counted, classification untouched
      const after = await eventually(async () => {
        const i = await incident(opened.incidentId);
        return i.alertCount === 2 ? i : undefined;
      });
      expect(after).toMatchObject({ severity: 'SEV1', category: 'data_breach' });
    });
  });

  describe('lifecycle and concurrency', () => {
    it('lets one of two analysts acting on the same version win; the other gets 412 and loses nothing by retrying', async () => {
      const opened = await placed((await post({ title: `Race ${uid()}` })).alertId);
      const path = t(`/v1/incidents/${opened.incidentId}`);
      const etag = (await http('GET', path)).headers.get('etag')!;
      const [one, two] = await Promise.all([
        http('POST', `${path}/transition`, { to: 'triaged' }, { 'if-match': etag }),
        http('POST', `${path}/assignment`, { owner: 'bob' }, { 'if-match': etag }),
      ]);
      expect([one.status, two.status].sort()).toEqual([200, 412]);
      const loser = one.status === 412 ? 'transition' : 'assignment';
      const retry = await incidentAction(path, loser, loser === 'transition' ? { to: 'triaged' } : { owner: 'bob' });
      expect(retry.status).toBe(200);
      expect(retry.json).toMatchObject({ phase: 'triaged', owner: 'bob' });
      expect((await http('POST', `${path}/transition`, { to: 'contained' })).status).toBe(428);
    });

    it('walks the lifecycle over HTTP, refusing illegal moves with the allowed ones named', async () => {
      const opened = await placed((await post({ title: `Walk ${uid()}` })).alertId);
      const path = t(`/v1/incidents/${opened.incidentId}`);
      const illegal = await incidentAction(path, 'transition', { to: 'recovered' });
      expect(illegal.status).toBe(409);
      expect(illegal.json.allowedTransitions).toEqual(['triaged', 'false_positive']);
      for (const to of ['triaged', 'contained', 'eradicated', 'recovered', 'post_incident']) {
        expect([to, (await incidentAction(path, 'transition', { to })).status]).toEqual([to, 200]);
      }
      // Closing waits for the post-incident review, which reporting opened and must see completed.
      const early = await incidentAction(path, 'transition', { to: 'closed' });
      expect(early.status).toBe(409);
      expect(early.json.detail).toContain('cannot be closed');
      const review = `${reporting.url}/v1/incidents/${opened.incidentId}/review`;
      const reviewAction = async (method: string, suffix: string, body: unknown) => {
        const current = await eventually(async () => {
          const r = await http('GET', review);
          return r.status === 200 ? r : undefined;
        });
        return http(method, `${review}${suffix}`, body, { 'if-match': current.headers.get('etag')! });
      };
      expect((await reviewAction('PATCH', '', { summary: 's', impact: 'i', rootCause: 'r' })).status).toBe(200);
      expect((await reviewAction('POST', '/transition', { to: 'in_review' })).status).toBe(200);
      expect((await reviewAction('POST', '/completion', {})).status).toBe(200);
      await eventually(async () => ((await incidentAction(path, 'transition', { to: 'closed' })).status === 200 ? true : undefined));
      const closed = await incidentAction(path, 'transition', { to: 'triaged' });
      expect(closed.status).toBe(409);
      expect(closed.json.detail).toContain('closed is a final phase');
    });

    it('corrects a clock timestamp by hand, with who and why, and reporting follows', async () => {
      const occurredAt = new Date(Date.now() - 600_000).toISOString();
      const opened = await placed((await post({ title: `Clock ${uid()}`, occurredAt })).alertId);
      const path = t(`/v1/incidents/${opened.incidentId}`);
      const earlier = new Date(Date.now() - 7_200_000).toISOString();
      const notSet = await incidentAction(path, 'clock', { field: 'containedAt', at: earlier, reason: 'r' });
      expect(notSet.status).toBe(409);
      const disorder = await incidentAction(path, 'clock', { field: 'occurredAt', at: new Date(Date.now() + 30_000).toISOString(), reason: 'r' });
      expect(disorder.status).toBe(422);

      const fixed = await incidentAction(path, 'clock', { field: 'occurredAt', at: earlier, reason: 'first beacon in proxy logs' }, await as('alice'));
      expect(fixed.status).toBe(200);
      expect(fixed.json.timestamps.occurredAt).toBe(earlier);
      expect(fixed.json.clockNotes.occurredAt).toMatchObject({ by: 'u-alice', reason: 'first beacon in proxy logs' });
      const clock = await eventually(async () => {
        const rows = await withDatabase((db) => db.query(`SELECT occurred_at FROM reporting.incident_clocks WHERE incident_id = $1`, [opened.incidentId]));
        return rows.rows[0]?.occurred_at?.toISOString() === earlier ? rows.rows[0] : undefined;
      });
      expect(clock.occurred_at.toISOString()).toBe(earlier);
      const timeline = await eventually(async () => {
        const res = await http('GET', `${reporting.url}/v1/incidents/${opened.incidentId}/timeline`);
        return res.json?.entries?.find((e: { type: string }) => e.type === 'vigil.incident.clock-corrected.v1');
      });
      expect(timeline.summary).toContain('first beacon in proxy logs');
    });

    it('keeps containment after detection, whether backdated by a transition or corrected by hand', async () => {
      const opened = await placed((await post({ title: `Order ${uid()}`, occurredAt: new Date(Date.now() - 600_000).toISOString() })).alertId);
      const path = t(`/v1/incidents/${opened.incidentId}`);
      expect((await incidentAction(path, 'transition', { to: 'triaged' })).status).toBe(200);
      // After the incident occurred, but before Vigil detected it: MTTC would be negative.
      const early = await incidentAction(path, 'transition', { to: 'contained', at: new Date(Date.now() - 300_000).toISOString(), reason: 'EDR isolated it' });
      expect(early.status).toBe(422);
      expect(early.json.errors).toEqual([{ pointer: '/at', detail: expect.stringMatching(/^would break the clock's order: detectedAt \(.+\) would be after containedAt \(/) }]);
      expect((await http('GET', path)).json.phase).toBe('triaged');

      const contained = await incidentAction(path, 'transition', { to: 'contained' });
      expect(contained.status).toBe(200);
      const late = await incidentAction(path, 'clock', { field: 'detectedAt', at: new Date(Date.parse(contained.json.timestamps.containedAt) + 1_000).toISOString(), reason: 'r' });
      expect(late.status).toBe(422);
      expect(late.json.errors[0].detail).toMatch(/detectedAt \(.+\) would be after containedAt/);
    });
  });

  describe('the analyst API', () => {
    it('assigns, notes and links, and the list filters by all of it', async () => {
      const word = `zebra${uid().replace(/\d/g, '')}`;
      const asset = `fin-${uid()}`;
      expect((await http('POST', t('/v1/assets'), { identifier: asset, name: 'Finance DB', hostnames: [`${asset}.corp`], criticality: 'high', dataClassification: 'restricted' })).status).toBe(201);
      const a = await placed((await post({ title: `Exfiltration ${word} detected`, category: 'data_breach', severity: 'critical', assets: [{ hostname: `${asset}.corp` }] })).alertId);
      const b = await placed((await post({ title: `Unrelated ${uid()}`, category: 'malware' })).alertId);
      const path = t(`/v1/incidents/${a.incidentId}`);
      const owner = `irene-${uid()}@soc.example`;
      const assigned = await incidentAction(path, 'assignment', { owner, responders: ['bob@soc.example', 'bob@soc.example', 'sam@corp.example'], reason: 'finance on-call' });
      expect(assigned.json).toMatchObject({ owner, responders: ['bob@soc.example', 'sam@corp.example'] });
      expect(assigned.json.assetIds).toHaveLength(1);
      expect((await http('GET', `${path}/history`)).json.items).toContainEqual(expect.objectContaining({ actor: 'u-tester', action: 'assigned', reason: 'finance on-call' }));

      expect((await http('POST', `${path}/notes`, { body: 'Memory image taken.' })).status).toBe(201);
      expect((await http('GET', `${path}/notes`)).json.items).toEqual([expect.objectContaining({ author: 'u-tester', body: 'Memory image taken.' })]);
      const link = await http('POST', `${path}/links`, { incidentId: b.incidentId, relation: 'causes' });
      expect(link.status).toBe(201);
      expect((await http('GET', t(`/v1/incidents/${b.incidentId}/links`))).json.items).toEqual([expect.objectContaining({ incidentId: a.incidentId, relation: 'caused_by' })]);
      expect((await http('POST', `${path}/links`, { incidentId: a.incidentId })).status).toBe(422);

      const ids = async (query: string) => (await http('GET', t(`/v1/incidents?${query}`))).json.items.map((i: { incidentId: string }) => i.incidentId);
      expect(await ids(`assignee=${encodeURIComponent(owner)}`)).toEqual([a.incidentId]);
      expect(await ids(`assignee=sam%40corp.example&open=true`)).toContain(a.incidentId);
      expect(await ids(`asset=${asset}`)).toEqual([a.incidentId]);
      expect(await ids(`asset=${asset}.corp`)).toEqual([a.incidentId]);
      expect(await ids(`q=${word.slice(0, 6)}`)).toContain(a.incidentId);
      expect(await ids(`q=${word}&category=malware`)).toEqual([]);
      expect(await ids(`q=${word}&category=data_breach,malware&severity=SEV1`)).toEqual([a.incidentId]);
      const detected = (await incident(a.incidentId)).timestamps.detectedAt;
      expect(await ids(`q=${word}&detectedFrom=${encodeURIComponent(detected)}`)).toEqual([a.incidentId]);
      expect(await ids(`q=${word}&detectedTo=${encodeURIComponent(detected)}`)).toEqual([]);
      const bad = await http('GET', t('/v1/incidents?severity=SEV9&sort=sideways&colour=red'));
      expect(bad.status).toBe(400);
      expect(bad.json.errors.map((e: { pointer: string }) => e.pointer).sort()).toEqual(['/colour', '/severity/0', '/sort']);
    });

    it('finds incidents by the hostnames, addresses and ids analysts type (whole), in the title, observables and assets, and words by their start', async () => {
      const n = uid();
      const hash = randomUUID().replace(/-/g, '') + randomUUID().replace(/-/g, '');
      const title = 'SMB admin share access from 10.9.9.9 to db-01';
      // The register knows the host by another address and its CMDB id, which the alert does not name.
      const registered = { identifier: `CMDB-${n}`, name: 'File server', hostnames: [`fs-${n}.corp.example`], ips: ['10.20.30.41'], criticality: 'medium', dataClassification: 'internal' };
      expect((await http('POST', t('/v1/assets'), registered)).status).toBe(201);
      const a = await placed(
        (
          await post({
            title,
            category: 'unauthorized_access',
            dedupKey: `smb-${n}`,
            assets: [{ hostname: `fs-${n}.corp.example`, ip: '10.20.30.40' }],
            observables: [
              { type: 'hash', value: hash },
              { type: 'url', value: `https://evil-${n}.example/payload?id=7` },
            ],
          })
        ).alertId,
      );
      const near = await placed((await post({ title: 'SMB admin share access from 10.9.9.90 to db-010', dedupKey: `smb-near-${n}` })).alertId);
      expect(near.incidentId).not.toBe(a.incidentId);

      const ids = async (q: string) => {
        const res = await http('GET', t(`/v1/incidents?q=${encodeURIComponent(q)}&limit=200`));
        expect([q, res.status]).toEqual([q, 200]);
        return res.json.items.map((i: { incidentId: string }) => i.incidentId) as string[];
      };
      const finds = async (q: string, expected: string[], not: string[] = []) => {
        const found = await ids(q);
        for (const id of expected) expect([q, found]).toEqual([q, expect.arrayContaining([id])]);
        for (const id of not) expect([q, found]).toEqual([q, expect.not.arrayContaining([id])]);
      };
      // Whole tokens of the title, matched whole: an address is not the start of another.
      await finds('db-01', [a.incidentId], [near.incidentId]);
      await finds('10.9.9.9', [a.incidentId], [near.incidentId]);
      await finds('10.9.9.90', [near.incidentId], [a.incidentId]);
      await finds('DB-01 smb', [a.incidentId], [near.incidentId]);
      await finds('db-0', [], [a.incidentId, near.incidentId]);
      // Words still match by their start, hyphenated or not.
      await finds('adm shar', [a.incidentId, near.incidentId]);
      await finds('db', [a.incidentId, near.incidentId]);
      // Its observables and assets: the URL and its host, a hash, the asset's hostname (short and full) and address, the dedup key.
      await finds(`evil-${n}.example`, [a.incidentId]);
      await finds(`https://evil-${n}.example/payload?id=7`, [a.incidentId]);
      await finds(hash.toUpperCase(), [a.incidentId]);
      await finds(`fs-${n}`, [a.incidentId]);
      await finds(`fs-${n}.corp.example.`, [a.incidentId]);
      await finds('10.20.30.40', [a.incidentId]);
      await finds(`smb-${n}`, [a.incidentId]);
      await finds(`cmdb-${n} 10.20.30.41`, [a.incidentId]);

      // An alert that joins later brings its own: here by asset and category, with an address of its own.
      const later = await placed(
        (
          await post({
            title: `Follow-up ${n}`,
            category: 'unauthorized_access',
            dedupKey: `smb-later-${n}`,
            assets: [{ hostname: `fs-${n}.corp.example` }],
            observables: [{ type: 'ip', value: '203.0.113.77' }],
          })
        ).alertId,
      );
      expect(later.incidentId).toBe(a.incidentId);
      await finds('203.0.113.77', [a.incidentId]);
      // A merged incident's words and tokens lead to the incident it was merged into.
      expect((await incidentAction(t(`/v1/incidents/${a.incidentId}`), 'merge', { incidentIds: [near.incidentId], reason: 'same actor' })).status).toBe(200);
      await finds('10.9.9.90 db-010', [a.incidentId, near.incidentId]);
      expect((await http('GET', t('/v1/incidents?q=%22--%22'))).status).toBe(422);

      // An incident from before this search has its document built from what is stored (as the migration does).
      await withDatabase((db) => db.query(`UPDATE triage.incidents SET search = NULL WHERE id = $1`, [a.incidentId]));
      await finds('db-01', [], [a.incidentId]);
      expect(await buildSearchDocuments(async (sql, params) => (await withDatabase((db) => db.query(sql, params))).rows)).toBe(1);
      for (const q of ['db-01 adm', '10.9.9.9', '203.0.113.77', hash, `evil-${n}.example`, `fs-${n}`, '10.20.30.40', `CMDB-${n}`, '10.20.30.41', '10.9.9.90']) await finds(q, [a.incidentId]);
    });

    it('pages by cursor in every sort without losing or repeating an incident, and keeps exercises apart', async () => {
      const tag = `pager${uid().replace(/\d/g, '')}`;
      const exercise = await placed((await post({ title: `${tag} drill`, exercise: true })).alertId);
      for (let i = 0; i < 7; i++) await post({ title: `${tag} ${i}`, severity: (['critical', 'high', 'medium', 'low'] as const)[i % 4] });
      await eventually(async () => ((await http('GET', t(`/v1/incidents?q=${tag}`))).json.items.length === 7 ? true : undefined));
      for (const sort of ['-createdAt', 'createdAt', '-detectedAt', 'detectedAt', '-updatedAt', 'severity']) {
        const seen: any[] = [];
        let cursor: string | null = null;
        do {
          const res: any = await http('GET', t(`/v1/incidents?q=${tag}&sort=${sort}&limit=3${cursor ? `&cursor=${cursor}` : ''}`));
          expect(res.status).toBe(200);
          seen.push(...res.json.items);
          cursor = res.json.nextCursor;
        } while (cursor);
        expect([sort, seen.length, new Set(seen.map((i) => i.incidentId)).size]).toEqual([sort, 7, 7]);
        if (sort === 'severity') expect(seen.map((i) => i.severity)).toEqual([...seen.map((i) => i.severity)].sort());
      }
      const all = (await http('GET', t(`/v1/incidents?q=${tag}&exercise=any`))).json.items;
      expect(all.map((i: { incidentId: string }) => i.incidentId)).toContain(exercise.incidentId);
      expect((await http('GET', t(`/v1/incidents?q=${tag}&exercise=true`))).json.items.map((i: { incidentId: string }) => i.incidentId)).toEqual([exercise.incidentId]);
      const first = (await http('GET', t(`/v1/incidents?q=${tag}&limit=2`))).json.nextCursor;
      expect((await http('GET', t(`/v1/incidents?q=${tag}&sort=severity&cursor=${first}`))).status).toBe(422);
      expect((await http('GET', t('/v1/incidents?cursor=bm9wZQ'))).status).toBe(422);
    });

    it('answers 422, never 500, to a forged cursor on every list: an id that is no UUID, a date that does not exist', async () => {
      const forge = (c: Record<string, string>) => Buffer.from(JSON.stringify(c)).toString('base64url');
      const lists = [
        ['/v1/incidents', '-createdAt'],
        ['/v1/alerts', 'alerts'],
        ['/v1/suppression-rules', 'suppression-rules'],
        ['/v1/assets', 'assets'],
      ];
      for (const [path, sort] of lists) {
        for (const cursor of [
          forge({ sort, value: '2026-11-24T06:00:00.000Z', id: 'not-a-uuid' }),
          forge({ sort, value: '2026-02-31T00:00:00.000Z', id: randomUUID() }),
        ]) {
          const res = await http('GET', t(`${path}?cursor=${cursor}`));
          expect([path, res.status, res.json.errors]).toEqual([path, 422, [{ pointer: '/cursor', detail: 'is not a cursor this API returned' }]]);
        }
      }
    });
  });

  it('documents every analyst route in OpenAPI 3.1, with request schemas and the If-Match header', async () => {
    const doc = (await http('GET', t('/openapi.json'))).json;
    expect(doc.openapi).toBe('3.1.0');
    const changes = ['acknowledge', 'transition', 'classify', 'assignment', 'clock', 'merge', 'alerts'];
    for (const action of changes) {
      const op = doc.paths[`/v1/incidents/{incidentId}/${action}`]?.post;
      expect([action, Boolean(op?.requestBody?.content?.['application/json']?.schema)]).toEqual([action, true]);
      expect([action, op.parameters.some((p: { name: string; in: string; required: boolean }) => p.name === 'If-Match' && p.in === 'header' && p.required)]).toEqual([action, true]);
      expect([action, Object.keys(op.responses).sort()]).toEqual([action, expect.arrayContaining(['200', '412', '428'])]);
    }
    for (const [path, method] of [
      ['/v1/incidents', 'get'],
      ['/v1/incidents/{incidentId}/history', 'get'],
      ['/v1/incidents/{incidentId}/notes', 'post'],
      ['/v1/incidents/{incidentId}/links', 'post'],
      ['/v1/alerts', 'get'],
      ['/v1/alerts/{alertId}/promote', 'post'],
      ['/v1/correlation-rules/{kind}', 'put'],
      ['/v1/suppression-rules', 'post'],
      ['/v1/suppression-rules/{ruleId}/revoke', 'post'],
      ['/v1/classification/severity-matrix', 'get'],
    ]) {
      expect([path, method, Boolean(doc.paths[path]?.[method])]).toEqual([path, method, true]);
    }
    for (const schema of ['ClassifyIncident', 'MergeIncidents', 'MoveAlert', 'CorrectClock', 'CreateSuppressionRule', 'TriageAlert', 'Incident']) {
      expect([schema, Boolean(doc.components.schemas[schema])]).toEqual([schema, true]);
    }
  });

  it('loses no alert and counts none in two incidents, whatever the stream, merges and moves (property)', async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({
            key: fc.integer({ min: 0, max: 5 }),
            host: fc.integer({ min: 0, max: 3 }),
            category: fc.constantFrom(undefined, 'malware', 'phishing'),
            ip: fc.option(fc.integer({ min: 0, max: 2 }), { nil: undefined }),
            group: fc.option(fc.integer({ min: 0, max: 1 }), { nil: undefined }),
            severity: fc.constantFrom('critical', 'high', 'low', 'info'),
          }),
          { minLength: 1, maxLength: 18 },
        ),
        fc.array(fc.tuple(fc.constantFrom('merge', 'move'), fc.nat(), fc.nat()), { maxLength: 4 }),
        async (stream, edits) => {
          run += 1;
          const ns = `${uid()}-${run}`;
          const posted = new Map<string, number>(); // alertId → posts (occurrences)
          const salt = 1 + Math.floor(Math.random() * 250);
          for (const s of stream) {
            const { alertId } = await post({
              title: `Stream ${ns} ${s.key}`,
              severity: s.severity,
              dedupKey: `p-${ns}-${s.key}`,
              ...(s.category ? { category: s.category } : {}),
              assets: [{ hostname: `p-${ns}-h${s.host}` }],
              observables: s.ip === undefined ? [] : [{ type: 'ip', value: `10.${run % 250}.${s.ip}.${salt}` }],
              labels: s.group === undefined ? {} : { 'alertmanager.groupKey': `g-${ns}-${s.group}` },
            });
            posted.set(alertId, (posted.get(alertId) ?? 0) + 1);
          }
          const alertIds = [...posted.keys()];
          const rows = async () =>
            (
              await withDatabase((db) =>
                db.query(`SELECT alert_id, incident_id, disposition, occurrences FROM triage.alerts WHERE alert_id = ANY($1::uuid[])`, [alertIds]),
              )
            ).rows;
          await eventually(async () => {
            const r = await rows();
            return r.length === alertIds.length && r.every((x) => x.occurrences === posted.get(x.alert_id)) ? true : undefined;
          }, 60_000);

          // Analysts edit: merges and moves between this run's open incidents.
          for (const [kind, i, j] of edits) {
            const open = [...new Set((await rows()).filter((x) => x.incident_id).map((x) => x.incident_id as string))].sort();
            const live = [];
            for (const id of open) if ((await incident(id)).phase !== 'merged') live.push(id);
            if (live.length < 2) break;
            const target = live[i % live.length];
            const other = live[(i + 1 + (j % (live.length - 1))) % live.length];
            if (kind === 'merge') {
              expect((await incidentAction(t(`/v1/incidents/${target}`), 'merge', { incidentIds: [other], reason: 'property' })).status).toBe(200);
            } else {
              const candidates = (await rows()).filter((x) => x.incident_id === other);
              const res = await incidentAction(t(`/v1/incidents/${target}`), 'alerts', { alertId: candidates[j % candidates.length].alert_id, reason: 'property' });
              expect([200, 409]).toContain(res.status); // 409: it was the incident's only alert
            }
          }

          const final = await rows();
          expect(final).toHaveLength(alertIds.length); // none lost
          const total = final.reduce((sum, x) => sum + x.occurrences, 0);
          expect(total).toBe(stream.length);
          const incidents = [...new Set(final.filter((x) => x.incident_id).map((x) => x.incident_id as string))];
          let counted = 0;
          for (const id of incidents) {
            const i = await incident(id);
            expect(i.phase).not.toBe('merged'); // merged incidents keep no alerts
            const mine = final.filter((x) => x.incident_id === id).reduce((sum, x) => sum + x.occurrences, 0);
            expect([id, i.alertCount]).toEqual([id, mine]); // each occurrence counted in exactly one incident
            counted += i.alertCount;
          }
          const unattached = final.filter((x) => !x.incident_id).reduce((sum, x) => sum + x.occurrences, 0);
          expect(counted + unattached).toBe(stream.length);
          for (const x of final) expect(x.disposition === 'attached').toBe(x.incident_id !== null);
        },
      ),
      { numRuns: 6 },
    );
  }, 600_000);
  it('counts a backlog of repeats of one alert at once: one update, and one "alert attached" that says how many it reports', async () => {
    const dedupKey = `beacon-${uid()}`;
    const first = await placed((await post({ title: 'Beacon to known C2', dedupKey, assets: [{ hostname: `ws-${uid()}` }] })).alertId);
    const before = await incident(first.incidentId);
    // Triage away: intake keeps counting the repeats, which wait on the alerts topic as one backlog.
    await triage.stop();
    for (let i = 0; i < 5; i++) await post({ title: 'Beacon to known C2', dedupKey, severity: i === 2 ? 'critical' : 'high' });
    triage = await startService('triage');
    const counted = await placed(first.alertId, (a) => a.occurrences === 6);
    expect(counted.incidentId).toBe(first.incidentId);
    const after = await incident(first.incidentId);
    expect(after.alertCount).toBe(before.alertCount + 5);
    // The worst repeat counts, as it would have one by one.
    expect(after.classification.functionalImpact).toBe('high');
    const attached = await readTopic(
      'vigil.incidents.v1',
      (messages) => {
        const mine = messages
          .map((m) => ({ type: m.headers.ce_type, data: JSON.parse(m.value) }))
          .filter((e) => e.type === 'vigil.incident.alert-attached.v1' && e.data.alert.alertId === first.alertId);
        return mine.reduce((n, e) => n + (e.data.repeats ?? 1), 0) >= 5 ? mine : undefined;
      },
      60_000,
    );
    expect(attached.reduce((n: number, e: { data: { repeats?: number } }) => n + (e.data.repeats ?? 1), 0)).toBe(5);
    expect(attached.length).toBeLessThan(5);
    expect(attached[attached.length - 1].data.incident.alertCount).toBe(after.alertCount);
  });
});
