import fc from 'fast-check';
import { randomUUID } from 'node:crypto';
import { chmodSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { as, createIntegration, eventually, freePort, http, readTopic, serveStack, startService, withDatabase as withIntakeDatabase, type ServiceProcess } from './support/harness';

/**
 * Intake on its own, over a real database and broker: keys, deduplication, idempotency, formats.
 * It gets its own PostgreSQL and Kafka: the thousands of alerts sent here would otherwise queue
 * up in front of the other suites' consumers.
 */
describe('intake', () => {
  let intake: ServiceProcess;
  const keys: Record<string, string> = {};
  let admin: { authorization: string };
  const stops: Array<() => Promise<void>> = [];
  let databaseUrl: string;
  let intakeDatabaseUrl: string;
  let brokers: string;

  const withDatabase = <T>(fn: (db: Client) => Promise<T>) => withIntakeDatabase(fn, databaseUrl);

  beforeAll(async () => {
    admin = await as('adam');
    const work = mkdtempSync(join(tmpdir(), 'vigil-intake-'));
    chmodSync(work, 0o755);
    const [pg, kafka] = await Promise.all([
      serveStack<{ url: string }>(['postgres', '--data-dir', join(work, 'pg'), '--port', String(await freePort()), '--fresh']),
      serveStack<{ brokers: string }>(['kafka', '--data-dir', join(work, 'kafka'), '--port', String(await freePort()), '--controller-port', String(await freePort()), '--fresh']),
    ]);
    stops.push(kafka.stop, pg.stop);
    databaseUrl = pg.info.url;
    brokers = kafka.info.brokers;
    const provisioned = await serveStack<{ urls: Record<string, string> }>(['provision', '--database-url', databaseUrl, '--brokers', brokers]);
    intakeDatabaseUrl = provisioned.info.urls.intake;
    intake = await startService('intake', { DATABASE_URL: intakeDatabaseUrl, KAFKA_BROKERS: brokers });
    for (const kind of ['canonical', 'alertmanager', 'pagerduty', 'ocsf', 'elastic', 'splunk', 'report']) {
      keys[kind] = (await createIntegration(intake.url, kind)).apiKey;
    }
  }, 120_000);

  afterAll(async () => {
    await intake?.stop();
    for (const stop of stops) await stop();
  });

  const post = (path: string, body: unknown, key: string | null = keys.canonical, headers: Record<string, string> = {}) =>
    http('POST', `${intake.url}${path}`, body, { authorization: key ? `Bearer ${key}` : '', ...headers });

  const alert = (extra: Record<string, unknown> = {}) => ({ title: 'Port scan', source: 'ids', severity: 'low', dedupKey: `k-${randomUUID()}`, ...extra });

  describe('integrations and API keys', () => {
    it('creates a key shown once, lists integrations without keys, and revokes', async () => {
      const created = await post('/v1/integrations', { name: 'to revoke', kind: 'canonical' }, null, admin);
      expect(created.status).toBe(201);
      expect(created.json.apiKey).toMatch(/^[a-z0-9]{32}$/);
      const list = await http('GET', `${intake.url}/v1/integrations`, null, admin);
      const listed = list.json.items.find((i: { integrationId: string }) => i.integrationId === created.json.integrationId);
      expect(listed).toMatchObject({ name: 'to revoke', kind: 'canonical', keyPrefix: created.json.apiKey.slice(0, 8), revokedAt: null });
      expect(JSON.stringify(list.json)).not.toContain(created.json.apiKey);
      const stored = await withDatabase((db) => db.query('SELECT key_hash FROM intake.integrations WHERE id = $1', [created.json.integrationId]));
      expect(stored.rows[0].key_hash).not.toContain(created.json.apiKey.slice(8));

      expect((await post('/v1/alerts', alert(), created.json.apiKey)).status).toBe(202);
      const revoked = await http('DELETE', `${intake.url}/v1/integrations/${created.json.integrationId}`, null, admin);
      expect(revoked.json.revokedAt).toEqual(expect.any(String));
      const refused = await post('/v1/alerts', alert(), created.json.apiKey);
      expect(refused.status).toBe(401);
    });

    it('refuses managing integrations without a token, and to anyone without the admin role', async () => {
      expect((await post('/v1/integrations', { name: 'x', kind: 'canonical' }, null)).status).toBe(401);
      expect((await http('GET', `${intake.url}/v1/integrations`, null, { authorization: '' })).status).toBe(401);
      // An integration key is no access token.
      expect((await http('GET', `${intake.url}/v1/integrations`, null, { authorization: `Bearer ${keys.canonical}` })).status).toBe(401);
      expect((await post('/v1/integrations', { name: 'x', kind: 'canonical' }, null, await as('alice'))).status).toBe(403);
    });

    it('answers 401 without or with an unknown key and 403 for a key of another integration kind', async () => {
      const none = await post('/v1/alerts', alert(), null);
      expect(none.status).toBe(401);
      expect(none.headers.get('www-authenticate')).toContain('Bearer');
      expect((await post('/v1/alerts', alert(), 'a'.repeat(32))).status).toBe(401);
      expect((await post('/v1/alerts', alert(), 'not-even-a-key')).status).toBe(401);
      const wrongKind = await post('/v1/alerts', alert(), keys.alertmanager);
      expect(wrongKind.status).toBe(403);
      expect(wrongKind.json.detail).toContain('alertmanager');
      // The key may also come as X-Vigil-Key or ?api_key= (for senders that cannot set headers).
      expect((await http('POST', `${intake.url}/v1/alerts`, alert(), { 'x-vigil-key': keys.canonical, authorization: '' })).status).toBe(202);
      expect((await http('POST', `${intake.url}/v1/alerts?api_key=${keys.canonical}`, alert(), { authorization: '' })).status).toBe(202);
    });

    it('limits each integration to its rate, with 429 and Retry-After', async () => {
      const { apiKey } = await createIntegration(intake.url, 'canonical', { rateLimitPerSecond: 5 });
      await post('/v1/alerts', alert(), apiKey); // warms the key cache that carries the limit
      await new Promise((r) => setTimeout(r, 1100));
      const statuses = await Promise.all(Array.from({ length: 12 }, () => post('/v1/alerts', alert(), apiKey)));
      const limited = statuses.filter((r) => r.status === 429);
      expect(statuses.filter((r) => r.status === 202).length).toBe(5);
      expect(limited.length).toBe(7);
      expect(limited[0].headers.get('retry-after')).toMatch(/^\d+$/);
      expect(limited[0].headers.get('content-type')).toContain('application/problem+json');
      // Another integration is not affected.
      expect((await post('/v1/alerts', alert())).status).toBe(202);
    });
  });

  describe('deduplication', () => {
    it('counts repeats of an open alert as occurrences and opens a new alert after resolve', async () => {
      // A canonical source triggers and a PagerDuty-speaking one resolves: they share a namespace.
      const namespace = `ns-${randomUUID().slice(0, 8)}`;
      const canonical = (await createIntegration(intake.url, 'canonical', { dedupNamespace: namespace })).apiKey;
      const pagerduty = (await createIntegration(intake.url, 'pagerduty', { dedupNamespace: namespace })).apiKey;
      const dedupKey = `dup-${randomUUID()}`;
      const first = await post('/v1/alerts', alert({ dedupKey }), canonical);
      const second = await post('/v1/alerts', alert({ dedupKey }), canonical);
      expect(first.json).toMatchObject({ outcome: 'created', occurrences: 1 });
      expect(second.json).toMatchObject({ alertId: first.json.alertId, outcome: 'deduplicated', occurrences: 2 });
      const stored = await http('GET', `${intake.url}/v1/alerts/${first.json.alertId}`);
      expect(stored.json).toMatchObject({ status: 'triggered', occurrences: 2 });

      const pd = (action: string) => post('/v1/integrations/pagerduty/enqueue', { routing_key: pagerduty, event_action: action, dedup_key: dedupKey }, null);
      expect((await pd('resolve')).status).toBe(202);
      const third = await post('/v1/alerts', alert({ dedupKey }), canonical);
      expect(third.json.outcome).toBe('created');
      expect(third.json.alertId).not.toBe(first.json.alertId);
    });

    it('scopes dedup keys per integration: another integration can neither repeat, acknowledge nor resolve an alert', async () => {
      const dedupKey = `scoped-${randomUUID()}`;
      const mine = await post('/v1/alerts', alert({ dedupKey }));
      const other = await createIntegration(intake.url, 'canonical');
      const theirs = await post('/v1/alerts', alert({ dedupKey }), other.apiKey);
      expect(theirs.json).toMatchObject({ outcome: 'created', occurrences: 1 });
      expect(theirs.json.alertId).not.toBe(mine.json.alertId);

      const pdKey = `scoped-pd-${randomUUID()}`;
      const pd = (key: string, action: string) =>
        post('/v1/integrations/pagerduty/enqueue', { routing_key: key, event_action: action, dedup_key: pdKey, ...(action === 'trigger' ? { payload: { summary: 'Disk full', source: 'db-01', severity: 'error' } } : {}) }, null);
      expect((await pd(keys.pagerduty, 'trigger')).status).toBe(202);
      const intruder = (await createIntegration(intake.url, 'pagerduty')).apiKey;
      expect((await pd(intruder, 'acknowledge')).status).toBe(202); // PagerDuty answers success for an unknown key too
      expect((await pd(intruder, 'resolve')).status).toBe(202);
      const { rows } = await withDatabase((db) => db.query(`SELECT status, integration_id FROM intake.alerts WHERE dedup_key = $1`, [pdKey]));
      expect(rows.map((r: { status: string }) => r.status)).toEqual(['triggered']); // neither acknowledged nor resolved from outside

      const integrations = (await http('GET', `${intake.url}/v1/integrations`, null, admin)).json.items;
      expect(integrations.find((i: { integrationId: string }) => i.integrationId === other.integrationId)).toMatchObject({ dedupNamespace: null, allowIncidentReference: false });
      const badNamespace = await post('/v1/integrations', { name: 'bad', kind: 'canonical', dedupNamespace: 'Not A Name' }, null, admin);
      expect(badNamespace.status).toBe(400);
      expect(badNamespace.json.errors[0].pointer).toBe('/dedupNamespace');
    });

    it('keeps the vigil_incident label only from integrations allowed to name an incident, and records the drop', async () => {
      const incidentId = randomUUID();
      const sent = alert({ labels: { vigil_incident: incidentId, 'vigil.incident': incidentId, rule: 'phish-report' } });
      const untrusted = await post('/v1/alerts', sent);
      const stored = (await http('GET', `${intake.url}/v1/alerts/${untrusted.json.alertId}`)).json;
      expect(stored.alert.labels).toEqual({ rule: 'phish-report' });
      expect(stored.ignoredLabels).toEqual({ vigil_incident: incidentId, 'vigil.incident': incidentId });

      const trusted = await createIntegration(intake.url, 'canonical', { allowIncidentReference: true });
      const allowed = await post('/v1/alerts', alert({ labels: { vigil_incident: incidentId } }), trusted.apiKey);
      const kept = (await http('GET', `${intake.url}/v1/alerts/${allowed.json.alertId}`)).json;
      expect(kept.alert.labels).toEqual({ vigil_incident: incidentId });
      expect(kept.ignoredLabels).toEqual({});

      const events = await readTopic('vigil.alerts.v1', (messages) => {
        const mine = messages.map((m) => JSON.parse(m.value)).filter((e) => [untrusted.json.alertId, allowed.json.alertId].includes(e.alertId));
        return mine.length >= 2 ? mine : undefined;
      }, 30_000, brokers);
      const byId = Object.fromEntries(events.map((e) => [e.alertId, e]));
      expect(byId[untrusted.json.alertId].labels).toEqual({ rule: 'phish-report' });
      expect(byId[allowed.json.alertId].labels).toEqual({ vigil_incident: incidentId });
      expect(byId[allowed.json.alertId].dedupNamespace).toBe(`integration:${trusted.integrationId}`);
    });

    it('applies random trigger/acknowledge/resolve sequences per dedup key exactly as PagerDuty does (property)', async () => {
      type Action = 'trigger' | 'acknowledge' | 'resolve';
      await fc.assert(
        fc.asyncProperty(fc.array(fc.tuple(fc.integer({ min: 0, max: 2 }), fc.constantFrom<Action>('trigger', 'acknowledge', 'resolve')), { minLength: 1, maxLength: 25 }), async (steps) => {
          const run = randomUUID().slice(0, 8);
          // The model: per key, how many alerts were opened, and the open one's status and occurrences.
          const model = new Map<number, { opened: number; open: { status: 'triggered' | 'acknowledged'; occurrences: number } | null }>();
          for (const [k, action] of steps) {
            const m = model.get(k) ?? { opened: 0, open: null };
            if (action === 'trigger') {
              if (m.open) m.open.occurrences += 1;
              else {
                m.opened += 1;
                m.open = { status: 'triggered', occurrences: 1 };
              }
            } else if (action === 'acknowledge') {
              if (m.open?.status === 'triggered') m.open.status = 'acknowledged';
            } else m.open = null;
            model.set(k, m);
            const body: Record<string, unknown> = { routing_key: keys.pagerduty, event_action: action, dedup_key: `prop-${run}-${k}` };
            if (action === 'trigger') body.payload = { summary: `prop ${k}`, source: 'property-test', severity: 'warning' };
            const res = await post('/v1/integrations/pagerduty/enqueue', body, null);
            if (res.status !== 202) throw new Error(`${res.status} ${res.text}`);
          }
          const { rows } = await withDatabase((db) =>
            db.query<{ dedup_key: string; status: string; occurrences: number }>(
              `SELECT dedup_key, status, occurrences FROM intake.alerts WHERE dedup_key LIKE $1 ORDER BY received_at, id`,
              [`prop-${run}-%`],
            ),
          );
          for (const [k, m] of model) {
            const mine = rows.filter((r) => r.dedup_key === `prop-${run}-${k}`);
            expect(mine).toHaveLength(m.opened);
            const open = mine.filter((r) => r.status !== 'resolved');
            expect(open.map((r) => ({ status: r.status, occurrences: r.occurrences }))).toEqual(m.open ? [m.open] : []);
          }
        }),
        { numRuns: 12 },
      );
    });
  });

  describe('Idempotency-Key', () => {
    it('answers the same key and body with the first answer, and the same key with another body with 422', async () => {
      const key = `idem-${randomUUID()}`;
      const body = alert();
      const first = await post('/v1/alerts', body, keys.canonical, { 'idempotency-key': key });
      const again = await post('/v1/alerts', body, keys.canonical, { 'idempotency-key': key });
      expect(again.status).toBe(202);
      expect(again.json).toEqual(first.json);
      expect(again.headers.get('idempotent-replayed')).toBe('true');
      const stored = await http('GET', `${intake.url}/v1/alerts/${first.json.alertId}`);
      expect(stored.json.occurrences).toBe(1); // the replay wrote nothing
      const other = await post('/v1/alerts', { ...body, title: 'something else' }, keys.canonical, { 'idempotency-key': key });
      expect(other.status).toBe(422);
      const body2 = alert({ dedupKey: `c-${key}` });
      const concurrent = await Promise.all(Array.from({ length: 5 }, () => post('/v1/alerts', body2, keys.canonical, { 'idempotency-key': `c-${key}` })));
      expect(concurrent.map((r) => r.status)).toEqual([202, 202, 202, 202, 202]);
      expect(new Set(concurrent.map((r) => r.json.alertId)).size).toBe(1);
    });
  });

  describe('batch', () => {
    it('takes up to 1,000 alerts and rejects only the bad items, naming their fields', async () => {
      const alerts = Array.from({ length: 1000 }, (_, i) => alert({ title: `batch ${i}` }));
      alerts[3] = { title: '', source: 'ids', severity: 'nope' } as never;
      const res = await post('/v1/alerts:batch', { alerts });
      expect(res.status).toBe(202);
      expect(res.json.accepted).toBe(999);
      expect(res.json.rejected).toBe(1);
      expect(res.json.results[3]).toMatchObject({ index: 3, status: 'rejected' });
      expect(res.json.results[3].errors.map((e: { pointer: string }) => e.pointer).sort()).toEqual(['/alerts/3/severity', '/alerts/3/title']);
      expect(res.json.results[4]).toMatchObject({ index: 4, status: 'accepted', outcome: 'created' });
      const tooMany = await post('/v1/alerts:batch', { alerts: [...alerts, ...alerts.slice(0, 2)] });
      expect(tooMany.status).toBe(400);
      expect(tooMany.json.errors[0]).toMatchObject({ pointer: '/alerts' });
    });
  });

  describe('source formats', () => {
    it('takes an Alertmanager group, every alert, fingerprint as dedup key, and ignores re-sends', async () => {
      const fp = randomUUID().replace(/-/g, '').slice(0, 16);
      const group = {
        version: '4',
        groupKey: '{}:{alertname="HighErrorRate"}',
        truncatedAlerts: 2,
        status: 'firing',
        receiver: 'vigil',
        groupLabels: { alertname: 'HighErrorRate' },
        commonLabels: { alertname: 'HighErrorRate', severity: 'critical' },
        commonAnnotations: {},
        externalURL: 'http://alertmanager.example:9093',
        alerts: [
          { status: 'firing', labels: { alertname: 'HighErrorRate', instance: 'api-1:9100', severity: 'critical' }, annotations: { summary: 'Error rate above 5% on api-1' }, startsAt: '2026-11-24T06:00:00Z', endsAt: '0001-01-01T00:00:00Z', generatorURL: 'http://prometheus.example/graph', fingerprint: `${fp}01` },
          { status: 'firing', labels: { alertname: 'HighErrorRate', instance: 'api-2:9100', severity: 'critical' }, annotations: { summary: 'Error rate above 5% on api-2' }, startsAt: '2026-11-24T06:01:00Z', endsAt: '0001-01-01T00:00:00Z', generatorURL: 'http://prometheus.example/graph', fingerprint: `${fp}02` },
        ],
      };
      const res = await post('/v1/integrations/alertmanager', group, keys.alertmanager);
      expect(res.status).toBe(202);
      expect(res.json.truncatedAlerts).toBe(2);
      expect(res.json.alerts.map((a: { outcome: string }) => a.outcome)).toEqual(['created', 'created']);
      const resent = await post('/v1/integrations/alertmanager', group, keys.alertmanager);
      expect(resent.json.alerts.map((a: { outcome: string }) => a.outcome)).toEqual(['deduplicated', 'deduplicated']);
      const stored = await http('GET', `${intake.url}/v1/alerts/${res.json.alerts[0].alertId}`);
      expect(stored.json).toMatchObject({ format: 'alertmanager', occurredAt: '2026-11-24T06:00:00.000Z', alert: { severity: 'critical' } });
      expect(stored.json.raw.alerts[0].labels.instance).toBe('api-1:9100'); // the group, with just this alert
      expect(stored.json.raw.truncatedAlerts).toBe(2);
      const resolved = await post('/v1/integrations/alertmanager', { ...group, status: 'resolved', alerts: group.alerts.map((a) => ({ ...a, status: 'resolved', endsAt: '2026-11-24T06:30:00Z' })) }, keys.alertmanager);
      expect(resolved.json.alerts.map((a: { outcome: string }) => a.outcome)).toEqual(['resolved', 'resolved']);
    });

    it('speaks PagerDuty Events v2: its success shape, a generated dedup_key, and its invalid-event shape', async () => {
      const trigger = await post('/v1/integrations/pagerduty/enqueue', {
        routing_key: keys.pagerduty,
        event_action: 'trigger',
        payload: { summary: 'DISK at 99% on machine prod-datapipe03.example.com', source: 'prod-datapipe03.example.com', severity: 'critical', timestamp: '2026-11-24T06:00:00.000+0000', component: 'mysql', group: 'prod-datapipe', class: 'disk', custom_details: { free_space: '1%' } },
        links: [{ href: 'https://example.com/', text: 'Link text' }],
      }, null);
      expect(trigger.status).toBe(202);
      expect(trigger.json).toEqual({ status: 'success', message: 'Event processed', dedup_key: expect.any(String) });
      const invalid = await post('/v1/integrations/pagerduty/enqueue', { routing_key: keys.pagerduty, event_action: 'trigger', payload: { source: 'x' } }, null);
      expect(invalid.status).toBe(400);
      expect(invalid.json.status).toBe('invalid event');
      expect(invalid.json.errors.join(' ')).toMatch(/summary/);
      expect(invalid.json.errors.join(' ')).toMatch(/severity/);
      const wrongKey = await post('/v1/integrations/pagerduty/enqueue', { routing_key: keys.canonical, event_action: 'trigger', payload: { summary: 's', source: 's', severity: 'info' } }, null);
      expect(wrongKey.status).toBe(403);
    });

    it('takes OCSF findings, Elastic alerts, Splunk webhooks and a person\'s report', async () => {
      const uid = randomUUID();
      const ocsf = await post('/v1/integrations/ocsf', {
        class_uid: 2004, category_uid: 2, activity_id: 1, type_uid: 200401, severity_id: 4, time: 1764000000000,
        finding_info: { uid, title: 'Suspicious login from a new country' },
        metadata: { product: { name: 'Example EDR', vendor_name: 'Example' }, version: '1.3.0' },
        resources: [{ name: 'web-01', type: 'host' }],
        observables: [{ name: 'src_endpoint.ip', type_id: 2, value: '203.0.113.9' }],
      }, keys.ocsf);
      expect(ocsf.status).toBe(202);
      const ocsfAlert = await http('GET', `${intake.url}/v1/alerts/${ocsf.json.alerts[0].alertId}`);
      expect(ocsfAlert.json.alert.severity).toBe('high');
      expect(ocsfAlert.json.alert.observables).toEqual(expect.arrayContaining([{ type: 'ip', value: '203.0.113.9' }]));
      expect(ocsfAlert.json.occurredAt).toBe(new Date(1764000000000).toISOString());
      const wrongClass = await post('/v1/integrations/ocsf', { class_uid: 3002, finding_info: { uid: 'x' } }, keys.ocsf);
      expect(wrongClass.status).toBe(400);

      const elastic = await post('/v1/integrations/elastic', {
        '@timestamp': '2026-11-24T06:00:00.000Z',
        'kibana.alert.uuid': randomUUID(),
        'kibana.alert.rule.name': `Unusual process ${uid}`,
        'kibana.alert.rule.uuid': uid,
        'kibana.alert.severity': 'high',
        'kibana.alert.risk_score': 73,
        'kibana.alert.workflow_status': 'open',
        'host.name': 'web-01',
        'source.ip': '198.51.100.7',
      }, keys.elastic);
      expect(elastic.status).toBe(202);
      expect(elastic.json.alerts[0].outcome).toBe('created');

      const splunk = await http('POST', `${intake.url}/v1/integrations/splunk?api_key=${keys.splunk}`, {
        result: { host: 'web-01', src: '192.0.2.44', count: '8' },
        sid: 'scheduler__admin__search__RMD5e2b7b5bd8c1_at_1764000000_1',
        search_name: `Failed logins ${uid}`,
        app: 'search',
        owner: 'admin',
        results_link: 'https://splunk.example:8000/app/search/search?sid=scheduler__admin__search__RMD5e2b7b5bd8c1_at_1764000000_1',
      }, { authorization: '' });
      expect(splunk.status).toBe(202);

      const report = await post('/v1/reports', { reporter: { name: 'Erin', email: 'erin@example.com' }, whatHappened: `A stranger asked for my password on the phone ${uid}`, seenAt: '2026-11-24T06:10:00Z' }, keys.report);
      expect(report.status).toBe(202);
      const reported = await http('GET', `${intake.url}/v1/alerts/${report.json.alerts[0].alertId}`);
      expect(reported.json.alert.source).toContain('erin@example.com');
      const badReport = await post('/v1/reports', { reporter: {}, whatHappened: '', extra: 1 }, keys.report);
      expect(badReport.status).toBe(400);
    });

    it('publishes what it accepted to vigil.alerts.v1', async () => {
      const dedupKey = `pub-${randomUUID()}`;
      await post('/v1/alerts', alert({ dedupKey }));
      await post('/v1/alerts', alert({ dedupKey }));
      const events = await readTopic('vigil.alerts.v1', (messages) => {
        const mine = messages.filter((m) => m.key === dedupKey);
        return mine.length >= 2 ? mine : undefined;
      }, 30_000, brokers);
      expect(events.map((e) => e.headers.ce_type)).toEqual(['vigil.alert.received.v1', 'vigil.alert.repeated.v1']);
    });
  });

  describe('group commit: one sender never fails another', () => {
    it('writes a failed flush again request by request: the one the database refuses gets 422, the others 202', async () => {
      const poison = `Poison ${randomUUID()}`;
      // Stands in for any value PostgreSQL refuses that validation let through.
      await withDatabase((db) => db.query(`ALTER TABLE intake.alerts ADD CONSTRAINT test_poison CHECK (title <> '${poison}') NOT VALID`));
      try {
        const bodies = Array.from({ length: 40 }, (_, i) => alert({ title: i === 17 ? poison : `Group commit ${i}` }));
        const answers = await Promise.all(bodies.map((b) => post('/v1/alerts', b)));
        expect(answers[17].status).toBe(422);
        expect(answers[17].headers.get('content-type')).toContain('application/problem+json');
        expect(answers[17].json.detail).toContain('23514');
        const others = answers.filter((_, i) => i !== 17);
        expect(others.map((a) => a.status)).toEqual(others.map(() => 202));
        const stored = await withDatabase((db) =>
          db.query(`SELECT dedup_key FROM intake.alerts WHERE dedup_key = ANY($1)`, [bodies.map((b) => b.dedupKey)]),
        );
        expect(stored.rows.map((r: { dedup_key: string }) => r.dedup_key).sort()).toEqual(bodies.filter((_, i) => i !== 17).map((b) => b.dedupKey).sort());
      } finally {
        await withDatabase((db) => db.query(`ALTER TABLE intake.alerts DROP CONSTRAINT test_poison`));
      }
    });

    it('bounds what waits for a slow database: beyond INTAKE_MAX_QUEUED_BYTES a 503 with Retry-After, and 202 again once it drains', async () => {
      const small = await startService('intake', { DATABASE_URL: intakeDatabaseUrl, KAFKA_BROKERS: brokers, INTAKE_MAX_QUEUED_BYTES: '4096' });
      const db = new Client({ connectionString: databaseUrl });
      await db.connect();
      try {
        const body = () => alert({ description: 'x'.repeat(1000) }); // about 1.1 KB each: three or four fit
        // The database stops answering intake's writes: they wait on this lock.
        await db.query('BEGIN');
        await db.query('LOCK TABLE intake.alerts IN ACCESS EXCLUSIVE MODE');
        const sent = Array.from({ length: 12 }, () => body());
        let answered = 0;
        const pending = sent.map((b) =>
          http('POST', `${small.url}/v1/alerts`, b, { authorization: `Bearer ${keys.canonical}` }).finally(() => answered++),
        );
        // The refused are answered at once, while the database is still held.
        await eventually(async () => (answered >= 8 ? true : undefined), 10_000, 50);
        await db.query('COMMIT');
        const answers = await Promise.all(pending);
        const accepted = answers.filter((a) => a.status === 202);
        const refused = answers.filter((a) => a.status === 503);
        expect(accepted.length + refused.length).toBe(12);
        expect(accepted.length).toBeGreaterThanOrEqual(1);
        expect(accepted.length).toBeLessThanOrEqual(4);
        for (const r of refused) {
          expect(r.headers.get('retry-after')).toBe('1');
          expect(r.headers.get('content-type')).toContain('application/problem+json');
        }
        const stored = await db.query(`SELECT count(*)::int AS n FROM intake.alerts WHERE dedup_key = ANY($1)`, [sent.map((b) => b.dedupKey)]);
        expect(stored.rows[0].n).toBe(accepted.length);
        expect((await http('POST', `${small.url}/v1/alerts`, body(), { authorization: `Bearer ${keys.canonical}` })).status).toBe(202);
      } finally {
        await db.query('ROLLBACK').catch(() => undefined);
        await db.end();
        await small.stop();
      }
    });
  });

  it('documents every endpoint with request and response schemas and examples', async () => {
    const doc = (await http('GET', `${intake.url}/openapi.json`)).json;
    const ingest = [
      ['/v1/alerts', 'post'],
      ['/v1/alerts:batch', 'post'],
      ['/v1/integrations/alertmanager', 'post'],
      ['/v1/integrations/pagerduty/enqueue', 'post'],
      ['/v1/integrations/ocsf', 'post'],
      ['/v1/integrations/elastic', 'post'],
      ['/v1/integrations/splunk', 'post'],
      ['/v1/reports', 'post'],
      ['/v1/integrations', 'post'],
    ];
    for (const [path, method] of ingest) {
      const op = doc.paths[path]?.[method];
      expect(op).toBeDefined();
      expect(op.requestBody.content['application/json'].schema).toBeDefined();
      const ok = op.responses['202'] ?? op.responses['201'];
      expect(ok.content['application/json'].schema).toBeDefined();
      const schema = op.requestBody.content['application/json'].schema;
      const resolved = schema.$ref ? doc.components.schemas[schema.$ref.split('/').pop()] : schema;
      expect([path, resolved.examples?.length ?? 0]).toEqual([path, expect.any(Number)]);
      expect(resolved.examples?.length ?? 0).toBeGreaterThan(0);
    }
  });
});
