import { exportJWK, generateKeyPair, SignJWT, type JWK } from 'jose';
import { randomUUID, createHmac } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
// The table itself, not the platform's index (which loads Nest).
import { PERMISSIONS, type Permission } from '../libs/platform/src/auth/permissions';
import {
  as,
  clientToken,
  createIntegration,
  eventually,
  http,
  incidentAction,
  SERVICES,
  startReceiver,
  startService,
  testEnv,
  withDatabase,
  type ServiceName,
  type ServiceProcess,
} from './support/harness';

/** One demo person per role (see tools/stack/oidc.mjs); tokens come from the real local provider. */
const PEOPLE = {
  ir_manager: 'irene',
  security_analyst: 'alice',
  system_administrator: 'sam',
  communications: 'carol',
  legal: 'leo',
  management: 'maria',
  auditor: 'audrey',
  admin: 'adam',
} as const;

/**
 * The only operations open without a bearer token: ingest, which takes an integration's API key,
 * and calendar feeds, which take a person's feed token (calendar clients cannot send a bearer token).
 */
const PUBLIC_OPERATIONS = new Set([
  'tasking GET /v1/schedules/{scheduleId}/calendar.ics',
  'tasking GET /v1/people/{personId}/calendar.ics',
  'intake POST /v1/alerts',
  'intake POST /v1/alerts:batch',
  'intake POST /v1/integrations/alertmanager',
  'intake POST /v1/integrations/pagerduty/enqueue',
  'intake POST /v1/integrations/ocsf',
  'intake POST /v1/integrations/elastic',
  'intake POST /v1/integrations/splunk',
  'intake POST /v1/reports',
]);

interface Operation {
  service: ServiceName;
  method: string;
  path: string;
  operationId: string;
  permission?: Permission;
  secured: boolean;
}

/** Fills path parameters with values that name nothing (a random UUID, or a plain word). */
function concretePath(path: string): string {
  return path.replace(/\{(\w+)\}/g, (_m, name: string) => (name === 'kind' ? 'no-such-rule' : randomUUID()));
}

describe('Identity, roles and the audit trail (real tokens, five services)', () => {
  const services = {} as Record<ServiceName, ServiceProcess>;
  const url = (name: ServiceName) => services[name].url;
  const operations: Operation[] = [];
  let apiKey: string;

  beforeAll(async () => {
    // Intake first: reporting sends exercise injects to it with an integration key of its own.
    services.intake = await startService('intake');
    ({ apiKey } = await createIntegration(url('intake'), 'canonical'));
    const exerciseKey = (await createIntegration(url('intake'), 'canonical', { allowIncidentReference: true })).apiKey;
    const started = await Promise.all(
      SERVICES.filter((name) => name !== 'intake').map((name) =>
        startService(name, name === 'reporting' ? { REPORTING_EXERCISE_INTAKE_URL: url('intake'), REPORTING_EXERCISE_ALERT_KEY: exerciseKey } : {}),
      ),
    );
    started.forEach((s) => (services[s.name as ServiceName] = s));
    for (const service of SERVICES) {
      const doc = (await http('GET', `${url(service)}/openapi.json`, undefined, { authorization: '' })).json;
      for (const [path, item] of Object.entries<Record<string, any>>(doc.paths)) {
        for (const [method, op] of Object.entries<any>(item)) {
          if (!['get', 'post', 'put', 'patch', 'delete'].includes(method)) continue;
          operations.push({
            service,
            method: method.toUpperCase(),
            path,
            operationId: op.operationId,
            permission: op['x-vigil-permission'],
            secured: (op.security ?? []).some((s: Record<string, unknown>) => 'bearer' in s),
          });
        }
      }
    }
  }, 180_000);

  afterAll(async () => {
    await Promise.all(Object.values(services).map((s) => s.stop()));
  });

  async function openIncident(title: string) {
    const res = await http('POST', `${url('intake')}/v1/alerts`, { title, source: 'edr', severity: 'high', category: 'insider' }, { authorization: `Bearer ${apiKey}` });
    expect(res.status).toBe(202);
    return eventually(async () => {
      const list = await http('GET', `${url('triage')}/v1/incidents?dedupKey=${encodeURIComponent(res.json.dedupKey)}`, undefined, await as('irene'));
      return list.json.items[0] as { incidentId: string; version: number } | undefined;
    }, 60_000);
  }

  describe('route inventory', () => {
    it('documents every operation of every service as guarded by a permission or on the public list', () => {
      expect(operations.length).toBeGreaterThan(30);
      const unaccounted = operations.filter((o) => !(o.secured && o.permission) && !PUBLIC_OPERATIONS.has(`${o.service} ${o.method} ${o.path}`));
      expect(unaccounted.map((o) => `${o.service} ${o.method} ${o.path}`)).toEqual([]);
      for (const o of operations.filter((o) => o.permission)) expect(Object.keys(PERMISSIONS)).toContain(o.permission);
    });

    it('answers 401 with a problem and WWW-Authenticate to every guarded operation called without a token', async () => {
      const failures: string[] = [];
      for (const o of operations.filter((o) => o.secured)) {
        const res = await http(o.method, `${url(o.service)}${concretePath(o.path)}`, o.method === 'GET' || o.method === 'DELETE' ? undefined : {}, { authorization: '' });
        if (res.status !== 401 || !res.headers.get('www-authenticate')?.startsWith('Bearer') || !res.headers.get('content-type')?.startsWith('application/problem+json')) {
          failures.push(`${o.service} ${o.method} ${o.path}: ${res.status}`);
        }
      }
      expect(failures).toEqual([]);
    });

    it('keeps health open and the documents readable without a token', async () => {
      for (const service of SERVICES) {
        expect((await http('GET', `${url(service)}/health/live`, undefined, { authorization: '' })).status).toBe(200);
        expect((await http('GET', `${url(service)}/openapi.json`, undefined, { authorization: '' })).status).toBe(200);
      }
    });
  });

  describe('route × role matrix', () => {
    it('lets each role reach what the permission table grants it and answers 403 to the rest', async () => {
      const wrong: string[] = [];
      const tokens: Record<string, Record<string, string>> = Object.fromEntries(await Promise.all(Object.entries(PEOPLE).map(async ([role, person]) => [role, await as(person)])));
      for (const o of operations.filter((o) => o.permission)) {
        const target = `${url(o.service)}${concretePath(o.path)}`;
        for (const [role, headers] of Object.entries(tokens)) {
          const res = await http(o.method, target, o.method === 'GET' || o.method === 'DELETE' ? undefined : {}, headers);
          const allowed = (PERMISSIONS[o.permission!].roles as readonly string[]).includes(role);
          if (allowed && (res.status === 401 || res.status === 403)) wrong.push(`${role} refused ${o.service} ${o.method} ${o.path} (${res.status})`);
          if (!allowed && res.status !== 403) wrong.push(`${role} not refused ${o.service} ${o.method} ${o.path} (${res.status})`);
          if (!allowed && res.status === 403) expect(res.json.detail).toContain(o.permission);
        }
      }
      expect(wrong).toEqual([]);
    }, 180_000);

    it('answers 403 to a caller whose token carries no Vigil role', async () => {
      const res = await http('GET', `${url('triage')}/v1/incidents`, undefined, await as('nobody'));
      expect(res.status).toBe(403);
      expect(res.json.detail).toMatch(/no Vigil role/);
    });

    it('accepts a client-credentials token for automation, acting under its client id', async () => {
      const token = await clientToken('vigil-automation', 'vigil-automation-secret');
      const incident = await openIncident(`SOAR acknowledges ${randomUUID()}`);
      const res = await incidentAction(`${url('triage')}/v1/incidents/${incident.incidentId}`, 'acknowledge', {}, { authorization: `Bearer ${token}` });
      expect(res.status).toBe(200);
      const history = await http('GET', `${url('triage')}/v1/incidents/${incident.incidentId}/history`);
      expect(history.json.items.find((h: { action: string }) => h.action === 'acknowledged').actor).toBe('vigil-automation');
    });
  });

  describe('actors are the token\'s subject', () => {
    it('refuses an actor in the body and records the signed-in person with name and e-mail', async () => {
      const incident = await openIncident(`Who did it ${randomUUID()}`);
      const path = `${url('triage')}/v1/incidents/${incident.incidentId}`;
      const lying = await incidentAction(path, 'acknowledge', { actor: 'someone-else' }, await as('alice'));
      expect(lying.status).toBe(400);
      const ack = await incidentAction(path, 'acknowledge', {}, await as('alice'));
      expect(ack.status).toBe(200);
      const history = await http('GET', `${path}/history`, undefined, await as('alice'));
      expect(history.json.items.find((h: { action: string }) => h.action === 'acknowledged')).toMatchObject({
        actor: 'u-alice',
        actorName: expect.stringMatching(/Alice/),
        actorEmail: 'alice@soc.example',
      });
      expect(ack.json.clockNotes?.acknowledgedAt?.by ?? 'u-alice').toBe('u-alice');
    });
  });

  describe('restricted incidents (need to know)', () => {
    it('hides a restricted incident in all five services from an analyst not on it, and shows it to its responders', async () => {
      const title = `Insider exfiltration ${randomUUID()}`;
      const incident = await openIncident(title);
      const id = incident.incidentId;
      const triage = `${url('triage')}/v1/incidents/${id}`;
      // Wait until every service has the incident's data before restricting it.
      await eventually(async () => ((await http('GET', `${url('tasking')}/v1/incidents/${id}/tasks`)).json.items.length ? true : undefined), 60_000);
      await eventually(async () => ((await http('GET', `${url('reporting')}/v1/incidents/${id}/timeline`)).status === 200 ? true : undefined), 60_000);

      const counts = async (who: string) =>
        (await http('GET', `${url('reporting')}/v1/metrics/summary?category=insider`, undefined, await as(who))).json.mttd.count as number;
      const hiddenBefore = (await counts('audrey')) - (await counts('alice'));
      const refused = await incidentAction(triage, 'restriction', { restricted: true, reason: 'insider threat' }, await as('alice'));
      expect(refused.status).toBe(403);
      const restricted = await incidentAction(triage, 'restriction', { restricted: true, reason: 'insider threat' }, await as('irene'));
      expect(restricted.status).toBe(200);
      expect(restricted.json.restricted).toBe(true);
      const assigned = await incidentAction(triage, 'assignment', { owner: 'u-irene', responders: ['bob@soc.example'], reason: 'need to know' }, await as('irene'));
      expect(assigned.status).toBe(200);

      const reads = {
        triage: `${triage}`,
        triageHistory: `${triage}/history`,
        triageAlerts: `${triage}/alerts`,
        tasking: `${url('tasking')}/v1/incidents/${id}/tasks`,
        taskingPlaybook: `${url('tasking')}/v1/incidents/${id}/playbook`,
        comms: `${url('comms')}/v1/incidents/${id}/notifications`,
        reporting: `${url('reporting')}/v1/incidents/${id}/timeline`,
        report: `${url('reporting')}/v1/incidents/${id}/report`,
      };
      const alice = await as('alice');
      // The restriction reaches each service through the incident's events.
      for (const [what, read] of Object.entries(reads)) {
        await eventually(async () => ((await http('GET', read, undefined, alice)).status === 404 ? true : undefined), 30_000).catch(() => {
          throw new Error(`${what} still shows the restricted incident to alice`);
        });
      }
      const list = await http('GET', `${url('triage')}/v1/incidents?q=${encodeURIComponent(title.split(' ').pop()!)}&limit=200`, undefined, alice);
      expect(list.json.items.map((i: { incidentId: string }) => i.incidentId)).not.toContain(id);
      const alerts = await http('GET', `${url('triage')}/v1/alerts?limit=500`, undefined, alice);
      expect(alerts.json.items.map((a: { incidentId: string | null }) => a.incidentId)).not.toContain(id);
      // Intake cannot tell an alert's incident: its raw store is for roles that see every incident.
      expect((await http('GET', `${url('intake')}/v1/alerts/${randomUUID()}`, undefined, alice)).status).toBe(403);
      // Counts leave it out too: an auditor counts one more incident than alice than before the
      // restriction (other suites sharing this database may have restricted insider incidents too).
      await eventually(async () => ((await counts('audrey')) - (await counts('alice')) === hiddenBefore + 1 ? true : undefined), 30_000).catch(async () => {
        throw new Error(`summary counts: audrey ${await counts('audrey')}, alice ${await counts('alice')}, hidden before ${hiddenBefore}`);
      });

      // Bob is a responder (named by e-mail), Irene the owner, Audrey an auditor: they see it everywhere.
      for (const who of ['bob', 'irene', 'audrey']) {
        const headers = await as(who);
        for (const [what, read] of Object.entries(reads)) {
          const res = await http('GET', read, undefined, headers);
          if (res.status !== 200) throw new Error(`${who} cannot read ${what}: ${res.status}`);
        }
      }
      // A change by someone who may not see it is a 404, not a 403: nothing leaks its existence.
      const hiddenChange = await http('POST', `${triage}/notes`, { body: 'hello?' }, alice);
      expect(hiddenChange.status).toBe(404);
      const hiddenActionItem = await http('POST', `${url('reporting')}/v1/incidents/${id}/review/action-items`, { title: 'x', type: 'control', owner: 'u-alice', dueAt: new Date().toISOString() }, alice);
      expect(hiddenActionItem.status).toBe(404);
    }, 180_000);
  });

  describe('the audit trail', () => {
    it('records every change with its actor and every refusal, in a chain the verifier checks', async () => {
      const incident = await openIncident(`Audited ${randomUUID()}`);
      const path = `${url('triage')}/v1/incidents/${incident.incidentId}`;
      expect((await incidentAction(path, 'acknowledge', {}, await as('sam'))).status).toBe(200);
      expect((await incidentAction(path, 'acknowledge', {}, await as('maria'))).status).toBe(403);

      const records = await auditRecords('triage');
      const change = records.find((r) => r.record.outcome === 'applied' && r.record.ids.incidentId === incident.incidentId && r.record.request.route?.endsWith('/acknowledge'));
      expect(change?.record).toMatchObject({
        actor: { subject: 'u-sam', roles: ['system_administrator'] },
        request: { method: 'POST' },
      });
      expect(change?.record.before).toMatch(/^[0-9a-f]{64}$/);
      expect(change?.record.after).toMatch(/^[0-9a-f]{64}$/);
      expect(change?.record.before).not.toBe(change?.record.after);
      const refusal = records.find((r) => r.record.outcome === 'refused' && r.record.actor.subject === 'u-maria' && r.record.request.path.endsWith('/acknowledge'));
      expect(refusal?.record).toMatchObject({ status: 403, reason: 'needs incidents.acknowledge' });
      expect((await http('GET', `${url('triage')}/v1/audit/triage/verify`, undefined, await as('audrey'))).json).toMatchObject({ ok: true });
      expect((await http('GET', `${url('triage')}/v1/audit/triage/verify`, undefined, await as('irene'))).status).toBe(403);
    });

    it('exports the trail as JSON Lines', async () => {
      const res = await http('GET', `${url('triage')}/v1/audit/triage/records?format=jsonl`, undefined, await as('audrey'));
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^application\/x-ndjson/);
      const lines = res.text.trim().split('\n').map((l) => JSON.parse(l));
      expect(lines.length).toBeGreaterThan(1);
      lines.forEach((l, i) => i > 0 && expect(l.prevHash).toBe(lines[i - 1].hash));
    });

    it('cannot be changed by the service\'s own role, and the verifier names a row edited by direct SQL', async () => {
      const { serviceUrls } = testEnv();
      await withDatabase(async (client) => {
        await expect(client.query(`UPDATE triage.audit_record SET body = body WHERE seq = 1`)).rejects.toThrow(/permission denied|append-only/);
        await expect(client.query(`DELETE FROM triage.audit_record WHERE seq = 1`)).rejects.toThrow(/permission denied|append-only/);
      }, serviceUrls.triage);

      const [{ seq, body }] = (await withDatabase((c) => c.query(`SELECT seq, body FROM triage.audit_record ORDER BY seq DESC LIMIT 1 OFFSET 1`))).rows;
      // An administrator who bypasses the trigger (replication mode) to rewrite history…
      const tamper = async (text: string) =>
        withDatabase(async (c) => {
          await c.query('BEGIN');
          await c.query(`SET LOCAL session_replication_role = replica`);
          await c.query(`UPDATE triage.audit_record SET body = $2 WHERE seq = $1`, [seq, text]);
          await c.query('COMMIT');
        });
      await tamper(body.replace(/"outcome":"(applied|refused)"/, '"outcome":"applied","note":"edited"'));
      try {
        const verdict = (await http('GET', `${url('triage')}/v1/audit/triage/verify`, undefined, await as('audrey'))).json;
        expect(verdict).toMatchObject({ ok: false, firstMismatch: { seq: Number(seq), reason: expect.stringMatching(/no longer matches/) } });
        const cli = spawnSync(process.execPath, [join(__dirname, '..', 'tools', 'audit-verify.mjs'), '--service', 'triage'], {
          env: { ...process.env, DATABASE_URL: testEnv().adminUrl },
          encoding: 'utf8',
        });
        expect(cli.status).toBe(1);
        expect(cli.stdout).toContain(`record ${seq}`);
      } finally {
        await tamper(body); // …is caught; the suite puts it back for the tests after it.
      }
      expect((await http('GET', `${url('triage')}/v1/audit/triage/verify`, undefined, await as('audrey'))).json.ok).toBe(true);
    });

    it('leaves a record for every mutating operation of every service', async () => {
      await exerciseEveryChange();
      const missing: string[] = [];
      for (const o of operations.filter((o) => o.permission && o.method !== 'GET')) {
        const route = o.path.replace(/\{(\w+)\}/g, ':$1');
        const records = await auditRecords(o.service);
        if (!records.some((r) => r.record.outcome === 'applied' && r.record.request.method === o.method && r.record.request.route === route)) {
          missing.push(`${o.service} ${o.method} ${o.path}`);
        }
      }
      expect(missing).toEqual([]);
    }, 120_000);
  });

  /** Every mutating operation once, successfully, as someone allowed to. */
  async function exerciseEveryChange() {
    const triage = url('triage');
    const a = await openIncident(`Every change A ${randomUUID()}`);
    const b = await openIncident(`Every change B ${randomUUID()}`);
    const c = await openIncident(`Every change C ${randomUUID()}`);
    const irene = await as('irene');
    const adam = await as('adam');
    const ok = (res: { status: number; text: string }, what: string) => {
      if (res.status >= 300) throw new Error(`${what}: ${res.status} ${res.text}`);
    };
    const pathA = `${triage}/v1/incidents/${a.incidentId}`;
    ok(await incidentAction(pathA, 'acknowledge', {}, irene), 'acknowledge');
    ok(await incidentAction(pathA, 'transition', { to: 'triaged' }, irene), 'transition');
    ok(await incidentAction(pathA, 'classify', { functionalImpact: 'high', reason: 'test' }, irene), 'classify');
    ok(await incidentAction(pathA, 'assignment', { owner: 'u-irene' }, irene), 'assignment');
    ok(await incidentAction(pathA, 'clock', { field: 'occurredAt', at: new Date(Date.now() - 3_600_000).toISOString(), reason: 'earlier beacon' }, irene), 'clock');
    ok(await incidentAction(pathA, 'restriction', { restricted: true, reason: 'test' }, irene), 'restriction');
    ok(await http('POST', `${pathA}/notes`, { body: 'a note' }, irene), 'note');
    ok(await http('POST', `${pathA}/links`, { incidentId: b.incidentId }, irene), 'link');
    // Move C's alert into A needs C to have two alerts: send a second alert to C's dedup key.
    const cAlerts = (await http('GET', `${triage}/v1/incidents/${c.incidentId}/alerts`, undefined, irene)).json.items;
    const moved = await http('POST', `${url('intake')}/v1/alerts`, { title: 'second', source: 'edr', severity: 'high', category: 'insider', dedupKey: `move-${randomUUID()}` }, { authorization: `Bearer ${apiKey}` });
    const movedIncident = await eventually(async () => {
      const list = await http('GET', `${triage}/v1/incidents?dedupKey=${encodeURIComponent(moved.json.dedupKey)}`, undefined, irene);
      return list.json.items[0] as { incidentId: string } | undefined;
    }, 60_000);
    ok(await incidentAction(`${triage}/v1/incidents/${c.incidentId}`, 'merge', { incidentIds: [movedIncident.incidentId], reason: 'same' }, irene), 'merge');
    ok(await incidentAction(pathA, 'alerts', { alertId: cAlerts[0].alertId, reason: 'belongs here' }, irene), 'move alert');
    // A held alert to promote.
    const info = await http('POST', `${url('intake')}/v1/alerts`, { title: `held ${randomUUID()}`, source: 'edr', severity: 'info' }, { authorization: `Bearer ${apiKey}` });
    const held = await eventually(async () => {
      const res = await http('GET', `${triage}/v1/alerts/${info.json.alertId}`, undefined, irene);
      return res.status === 200 ? res.json : undefined;
    }, 60_000);
    ok(await http('POST', `${triage}/v1/alerts/${held.alertId}/promote`, {}, irene), 'promote');
    ok(await http('PUT', `${triage}/v1/correlation-rules/asset_category`, { enabled: true }, adam), 'correlation rule');
    const rule = await http('POST', `${triage}/v1/suppression-rules`, { name: 'noise', owner: 'u-adam', reason: 'test', durationSeconds: 60, match: { titleContains: `nothing-${randomUUID()}` } }, adam);
    ok(rule, 'suppression rule');
    ok(await http('POST', `${triage}/v1/suppression-rules/${rule.json.ruleId}/revoke`, {}, adam), 'revoke rule');
    const tag = randomUUID().slice(0, 8);
    const asset = await http('POST', `${triage}/v1/assets`, { identifier: `audit-${tag}`, name: 'audit host', criticality: 'low', dataClassification: 'internal' }, adam);
    ok(asset, 'register asset');
    ok(await http('PUT', `${triage}/v1/assets/${asset.json.assetId}`, { identifier: `audit-${tag}`, name: 'audit host 2', criticality: 'low', dataClassification: 'internal' }, adam), 'replace asset');
    const csv = await fetch(`${triage}/v1/assets:import`, {
      method: 'POST',
      headers: { ...adam, 'content-type': 'text/csv' },
      body: `identifier,name,criticality,data_classification\naudit-csv-${tag},csv host,low,internal\n`,
    });
    ok({ status: csv.status, text: await csv.text() }, 'import assets');
    const integration = await createIntegration(url('intake'), 'canonical');
    ok(await http('DELETE', `${url('intake')}/v1/integrations/${integration.integrationId}`, undefined, adam), 'revoke integration');

    // The response team, schedules and escalation (tasking).
    const tasking = url('tasking');
    const change = async (method: string, path: string, body: unknown, what: string) => {
      const res = await http(method, `${tasking}${path}`, body, irene);
      ok(res, what);
      return res.json;
    };
    const person = await change('POST', '/v1/people', { name: `Audited ${tag}`, subject: `u-audited-${tag}` }, 'add person');
    await change('PUT', `/v1/people/${person.personId}`, { name: `Audited ${tag}`, subject: `u-audited-${tag}`, timeZone: 'Europe/Berlin' }, 'replace person');
    await change('POST', `/v1/people/${person.personId}/feed-token`, undefined, 'feed token');
    const team = await change('POST', '/v1/teams', { name: `Audited ${tag}`, members: [person.personId] }, 'add team');
    await change('PUT', `/v1/teams/${team.teamId}`, { name: `Audited ${tag} 2`, members: [] }, 'replace team');
    await change('DELETE', `/v1/teams/${team.teamId}`, undefined, 'delete team');
    const definition = { layers: [{ name: 'all', precedence: 1, rotation: { start: '2026-01-05T09:00', timeZone: 'UTC', handoff: 'FREQ=WEEKLY', participants: [person.personId] } }] };
    const schedule = await change('POST', '/v1/schedules', { name: `Audited ${tag}`, definition }, 'add schedule');
    await change('POST', `/v1/schedules/${schedule.scheduleId}/revisions:preview`, { definition }, 'preview revision');
    await change('POST', `/v1/schedules/${schedule.scheduleId}/revisions`, { definition, reason: 'audit' }, 'revise schedule');
    const override = await change('POST', `/v1/schedules/${schedule.scheduleId}/overrides`, { personId: person.personId, start: new Date(Date.now() + 3_600_000).toISOString(), end: new Date(Date.now() + 7_200_000).toISOString() }, 'override');
    await change('DELETE', `/v1/schedules/${schedule.scheduleId}/overrides/${override.overrideId}`, undefined, 'cancel override');
    const policy = await change('POST', '/v1/escalation-policies', { name: `Audited ${tag}`, steps: [{ targets: [{ type: 'schedule', scheduleId: schedule.scheduleId }], waitMinutes: 60 }] }, 'add policy');
    await change('PUT', `/v1/escalation-policies/${policy.policyId}`, { name: `Audited ${tag} v2`, steps: [{ targets: [{ type: 'person', personId: person.personId }], waitMinutes: 60 }] }, 'edit policy');
    await change('PUT', '/v1/escalation-routing', { rules: [], defaultPolicyId: policy.policyId }, 'routing');
    try {
      const d = await openIncident(`Every change D ${randomUUID()}`);
      const escalation = await eventually(async () => (await http('GET', `${tasking}/v1/incidents/${d.incidentId}/escalations`, undefined, irene)).json?.items?.[0], 60_000);
      await change('POST', `/v1/escalations/${escalation.escalationId}/acknowledge`, { reason: 'on it' }, 'acknowledge page');
    } finally {
      await change('PUT', '/v1/escalation-routing', { rules: [], defaultPolicyId: null }, 'routing back');
    }
    await change('DELETE', `/v1/escalation-policies/${policy.policyId}`, undefined, 'archive policy');
    await change('DELETE', `/v1/schedules/${schedule.scheduleId}`, undefined, 'archive schedule');
    await change('DELETE', `/v1/people/${person.personId}`, undefined, 'remove person');
    await change('POST', '/v1/oncall-imports/pagerduty?dryRun=true', { schedules: [], escalation_policies: [] }, 'import dry run');
    await change('POST', '/v1/oncall-imports/grafana-oncall', {}, 'import');
    // Response actions (tasking): a connector to a local receiver, a policy, and an action through each path.
    const edr = await startReceiver();
    try {
      const connectorBody = { name: `Audited EDR ${tag}`, kind: 'edr', baseUrl: edr.url, secret: 'audited-signing-key-0123456789', allowPrivateNetwork: true, allowHttp: true, retries: 0 };
      const connector = await http('POST', `${tasking}/v1/action-connectors`, connectorBody, adam);
      ok(connector, 'add connector');
      ok(await http('PUT', `${tasking}/v1/action-connectors/${connector.json.connectorId}`, { ...connectorBody, timeoutMs: 3000 }, adam), 'edit connector');
      const rule = { name: `Audited ${tag}`, criticalities: ['high'], actionKinds: ['isolate_host'], approverRoles: ['security_analyst'], approvals: 1, expiresAfterMinutes: 30 };
      const actionPolicy = await change('POST', '/v1/action-approval-policies', rule, 'add approval policy');
      try {
        await change('PUT', `/v1/action-approval-policies/${actionPolicy.policyId}`, { ...rule, expiresAfterMinutes: 20 }, 'edit approval policy');
        const actions = `/v1/incidents/${b.incidentId}/actions`;
        const isolate = { connectorId: connector.json.connectorId, kind: 'isolate_host', target: { type: 'host', value: `ws-${tag}` }, reason: 'audit' };
        // Tasking knows the incident once it has read its events.
        await eventually(async () => ((await http('POST', `${tasking}${actions}/dry-run`, isolate, irene)).status === 200 ? true : undefined), 60_000);
        const action = await change('POST', actions, isolate, 'request action');
        ok(await http('POST', `${tasking}${actions}/${action.actionId}/approvals`, {}, await as('alice')), 'approve action');
        await change('POST', `${actions}/${action.actionId}/undo`, { reason: 'audit' }, 'undo action');
        const withdrawn = await change('POST', actions, { ...isolate, target: { type: 'host', value: `ws2-${tag}` } }, 'request action to withdraw');
        await change('POST', `${actions}/${withdrawn.actionId}/rejection`, { reason: 'audit' }, 'withdraw action');
        const broken = await change('POST', `${actions}/break-glass`, { ...isolate, breakGlassReason: 'audit of break-glass' }, 'break glass');
        ok(await http('POST', `${tasking}/v1/break-glass-actions/${broken.actionId}/review`, { note: 'audited' }), 'review break-glass');
      } finally {
        await change('DELETE', `/v1/action-approval-policies/${actionPolicy.policyId}`, undefined, 'remove approval policy');
        ok(await http('DELETE', `${tasking}/v1/action-connectors/${connector.json.connectorId}`, undefined, adam), 'remove connector');
      }
    } finally {
      await edr.close();
    }
    // Comms: channels, audiences, templates, messages and their approval, decisions and regulatory clocks.
    const comms = url('comms');
    const carol = await as('carol');
    const leo = await as('leo');
    const channel = await http('POST', `${comms}/v1/channels`, { kind: 'webhook', name: `audit-${tag}`, config: { url: 'http://127.0.0.1:9/nowhere' }, secrets: {}, allowPrivateNetwork: true, allowHttp: true }, adam);
    ok(channel, 'create channel');
    ok(await http('PATCH', `${comms}/v1/channels/${channel.json.channelId}`, { enabled: false }, adam), 'update channel');
    ok(await http('DELETE', `${comms}/v1/channels/${channel.json.channelId}`, undefined, adam), 'delete channel');
    const { audience: _a, scope: _s, description: _d, updatedAt: _u, updatedBy: _b, ...partners } = (await http('GET', `${comms}/v1/audiences/partners`, undefined, adam)).json;
    ok(await http('PUT', `${comms}/v1/audiences/partners`, partners, adam), 'update audience');
    ok(await http('PUT', `${comms}/v1/templates/partners/status_update`, { subject: 'Update', body: 'Phase {{ incident.phase }}' }, carol), 'save template');
    ok(await http('DELETE', `${comms}/v1/templates/partners/status_update`, undefined, carol), 'reset template');
    // Comms drafts once it has read the incident.
    const drafted = await eventually(async () => {
      const res = await http('POST', `${comms}/v1/incidents/${b.incidentId}/messages`, { audience: 'partners', purpose: 'initial_notice' }, carol);
      return res.status === 201 ? res.json : undefined;
    }, 60_000);
    ok(await http('POST', `${comms}/v1/templates/preview`, { incidentId: b.incidentId, audience: 'partners', purpose: 'initial_notice' }, carol), 'preview template');
    ok(await http('POST', `${comms}/v1/messages/${drafted.messageId}/approve`, {}, leo), 'approve message');
    const second = await http('POST', `${comms}/v1/incidents/${b.incidentId}/messages`, { audience: 'partners', purpose: 'status_update' }, carol);
    ok(await http('POST', `${comms}/v1/messages/${second.json.messageId}/reject`, { reason: 'not yet' }, leo), 'reject message');
    const decide = (kind: string) => http('POST', `${comms}/v1/incidents/${b.incidentId}/decisions`, { kind, effectiveAt: new Date().toISOString(), reason: 'test' }, leo);
    ok(await decide('material_cybersecurity_incident'), 'record decision');
    ok(await decide('personal_data_breach'), 'record decision');
    const clocks: Array<{ obligationId: string; rule: string }> = (await http('GET', `${comms}/v1/incidents/${b.incidentId}/obligations`, undefined, leo)).json.items;
    const sec = clocks.find((o) => o.rule === 'sec-8k-1.05')!.obligationId;
    const gdpr = clocks.find((o) => o.rule === 'gdpr-art33')!.obligationId;
    ok(await http('POST', `${comms}/v1/obligations/${sec}/notice`, {}, carol), 'draft notice');
    ok(await http('POST', `${comms}/v1/obligations/${sec}/pause`, { reason: 'Attorney General delay' }, leo), 'pause clock');
    ok(await http('POST', `${comms}/v1/obligations/${sec}/resume`, { reason: 'delay ended' }, leo), 'resume clock');
    ok(await http('POST', `${comms}/v1/obligations/${sec}/submit`, { reference: 'EDGAR-1' }, leo), 'submit');
    ok(await http('POST', `${comms}/v1/obligations/${gdpr}/waive`, { reason: 'unlikely to result in a risk' }, leo), 'waive');
    await exerciseThePostIncidentHalf(irene);
  }

  /** Reviews, their action items and tasks, and an exercise: every change reporting and tasking take. */
  async function exerciseThePostIncidentHalf(irene: Record<string, string>) {
    const ok = (res: { status: number; text: string }, what: string) => {
      if (res.status >= 300) throw new Error(`${what}: ${res.status} ${res.text}`);
    };
    const d = await openIncident(`Every change E ${randomUUID()}`);
    const pathE = `${url('triage')}/v1/incidents/${d.incidentId}`;
    for (const to of ['triaged', 'contained', 'eradicated', 'recovered', 'post_incident']) ok(await incidentAction(pathE, 'transition', { to }, irene), `transition ${to}`);
    const review = `${url('reporting')}/v1/incidents/${d.incidentId}/review`;
    const etag = async () =>
      (
        await eventually(async () => {
          const r = await http('GET', review, undefined, irene);
          return r.status === 200 ? r : undefined;
        }, 60_000)
      ).headers.get('etag')!;
    ok(await http('PATCH', review, { summary: 's', impact: 'i', rootCause: 'r' }, { ...irene, 'if-match': await etag() }), 'write review');
    const item = await http('POST', `${review}/action-items`, { title: 'Change the playbook', type: 'playbook_change', owner: 'u-irene', dueAt: new Date(Date.now() + 86_400_000).toISOString() }, irene);
    ok(item, 'action item');
    ok(await http('PATCH', `${review}/action-items/${item.json.actionItemId}`, { playbookVersionId: 'default@2' }, irene), 'link playbook version');
    ok(await http('POST', `${review}/transition`, { to: 'in_review' }, { ...irene, 'if-match': await etag() }), 'review transition');
    ok(await http('POST', `${review}/completion`, {}, { ...irene, 'if-match': await etag() }), 'review completion');
    const task = await eventually(async () => (await http('GET', `${url('tasking')}/v1/incidents/${d.incidentId}/tasks`, undefined, irene)).json.items.find((t: { actionItemId?: string }) => t.actionItemId), 60_000);
    ok(await http('POST', `${url('tasking')}/v1/incidents/${d.incidentId}/tasks/${task.taskId}/completion`, {}, irene), 'complete task');
    // The playbook's own tasks (the incident is in post_incident: every phase's tasks may start).
    const tasksOfD = `${url('tasking')}/v1/incidents/${d.incidentId}/tasks`;
    const steps: Array<{ taskId: string; stepKey?: string }> = (await http('GET', tasksOfD, undefined, irene)).json.items;
    const first = steps.find((t) => t.stepKey === 'involve-legal-hr')!;
    ok(await http('POST', `${tasksOfD}/${first.taskId}/start`, {}, irene), 'start task');
    ok(await http('POST', `${tasksOfD}/${first.taskId}/assignment`, { assignee: 'u-leo' }, irene), 'assign task');
    ok(await http('POST', `${tasksOfD}/${first.taskId}/notes`, { text: 'HR informed' }, irene), 'note on task');
    ok(await http('POST', `${tasksOfD}/${steps.find((t) => t.stepKey === 'review')!.taskId}/skip`, { reason: 'covered by the review' }, irene), 'skip task');
    // Playbooks: create, publish, import, retire; and move an incident to a new version of its own.
    const playbooks = `${url('tasking')}/v1/playbooks`;
    const key = `audit-${randomUUID().slice(0, 8)}`;
    const playbook = { key, name: 'Audit', conditions: { categories: ['other'], severities: ['SEV4'], exercise: true }, steps: [{ key: 'a', phase: 'triaged', title: 'A', role: 'security_analyst', sla: { SEV1: 1, SEV2: 1, SEV3: 1, SEV4: 1 } }] };
    ok(await http('POST', playbooks, playbook, irene), 'create playbook');
    ok(await http('PUT', `${playbooks}/${key}`, { ...playbook, name: 'Audit v2' }, irene), 'publish playbook version');
    ok(await http('POST', `${playbooks}/import`, JSON.stringify({ ...playbook, name: 'Audit v3' }), { ...irene, 'content-type': 'application/json' }), 'import playbook');
    ok(await http('DELETE', `${playbooks}/${key}`, undefined, irene), 'retire playbook');
    const insider = (await http('GET', `${playbooks}/insider-threat/export?format=json`, undefined, irene)).text;
    ok(await http('PUT', `${playbooks}/insider-threat`, insider, irene), 'publish insider-threat again');
    ok(await http('POST', `${url('tasking')}/v1/incidents/${d.incidentId}/playbook/move`, {}, irene), 'move incident playbook');

    const exercise = await http('POST', `${url('reporting')}/v1/exercises`, { scenario: 'ransomware' }, irene);
    ok(exercise, 'start exercise');
    const x = `${url('reporting')}/v1/exercises/${exercise.json.exerciseId}`;
    ok(await http('POST', `${x}/injects/service-desk-calls/release`, {}, irene), 'release inject');
    ok(await http('POST', `${x}/observations`, { expectedAction: 'regulator-clock', at: new Date().toISOString() }, irene), 'observation');
    ok(await http('PUT', `${x}/ratings/detection`, { rating: 'S' }, irene), 'rating');
    await eventually(async () => ((await http('GET', x, undefined, irene)).json.incidentId ? true : undefined), 60_000);
    ok(await http('POST', `${x}/improvement-items`, { title: 'Drill isolation', type: 'training', owner: 'u-sam', dueAt: new Date(Date.now() + 86_400_000).toISOString() }, irene), 'improvement item');
    ok(await http('POST', `${x}/end`, {}, irene), 'end exercise');
  }

  async function auditRecords(service: ServiceName) {
    const res = await http('GET', `${url(service)}/v1/audit/${service}/records?format=jsonl`, undefined, await as('audrey'));
    expect(res.status).toBe(200);
    return res.text
      .trim()
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { seq: number; hash: string; prevHash: string | null; record: any });
  }
});

describe('Token verification (a provider of the test\'s own, signing what it is told)', () => {
  let jwksServer: Server;
  let jwks: { keys: JWK[] };
  let triage: ServiceProcess;
  let issuer: string;
  const audience = 'urn:vigil:test-audience';
  let good: Awaited<ReturnType<typeof generateKeyPair>>;
  const metricsToken = 'metrics-bearer-token-0123456789';

  beforeAll(async () => {
    good = await generateKeyPair('RS256', { extractable: true });
    jwks = { keys: [{ ...(await exportJWK(good.publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' }] };
    jwksServer = createServer((req, res) => {
      if (req.url === '/jwks') res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(jwks));
      else res.writeHead(404).end();
    });
    await new Promise<void>((r) => jwksServer.listen(0, '127.0.0.1', r));
    const base = `http://127.0.0.1:${(jwksServer.address() as AddressInfo).port}`;
    issuer = `${base}/issuer`;
    triage = await startService('triage', {
      AUTH_ISSUER: issuer,
      AUTH_AUDIENCE: audience,
      AUTH_JWKS_URL: `${base}/jwks`,
      AUTH_ROLES_CLAIM: 'roles',
      AUTH_ROLE_MAPPING: '',
      AUTH_JWKS_COOLDOWN_SECONDS: '0',
      METRICS_BEARER_TOKEN: metricsToken,
    });
  }, 120_000);

  afterAll(async () => {
    await triage?.stop();
    await new Promise((r) => jwksServer?.close(r));
  });

  const sign = (claims: Record<string, unknown> = {}, key = good.privateKey, kid = 'k1', alg = 'RS256') =>
    new SignJWT({ roles: ['security_analyst'], ...claims })
      .setProtectedHeader({ alg, kid })
      .setIssuer((claims.iss as string) ?? issuer)
      .setAudience((claims.aud as string) ?? audience)
      .setSubject('u-test')
      .setIssuedAt()
      .setExpirationTime((claims.exp as number) ?? '5m')
      .sign(key);

  async function call(token: string) {
    return http('GET', `${triage.url}/v1/incidents?limit=1`, undefined, { authorization: `Bearer ${token}` });
  }

  function expectRejected(res: Awaited<ReturnType<typeof call>>, detail: RegExp) {
    expect(res.status).toBe(401);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(res.headers.get('www-authenticate')).toMatch(/^Bearer realm="vigil", error="invalid_token"/);
    expect(res.json.detail).toMatch(detail);
  }

  it('accepts a well-signed token for this issuer and audience', async () => {
    expect((await call(await sign())).status).toBe(200);
  });

  it('refuses a token from another issuer', async () => {
    expectRejected(await call(await sign({ iss: 'https://evil.example/' })), /not issued by/);
  });

  it('refuses a token for another audience', async () => {
    expectRejected(await call(await sign({ aud: 'urn:other:api' })), /audience/);
  });

  it('refuses an expired token', async () => {
    expectRejected(await call(await sign({ exp: Math.floor(Date.now() / 1000) - 600 })), /expired/);
  });

  it('refuses an unsigned token (alg none)', async () => {
    const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
    const now = Math.floor(Date.now() / 1000);
    const unsigned = `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ iss: issuer, aud: audience, sub: 'u-x', exp: now + 300, iat: now, roles: ['admin'] })}.`;
    expectRejected(await call(unsigned), /not accepted|not a valid/);
  });

  it('refuses an HS256 token signed with the public key as its secret (algorithm confusion)', async () => {
    const pem = JSON.stringify(jwks.keys[0]);
    const b64 = (v: unknown) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');
    const now = Math.floor(Date.now() / 1000);
    const head = `${b64({ alg: 'HS256', kid: 'k1' })}.${b64({ iss: issuer, aud: audience, sub: 'u-x', exp: now + 300, iat: now, roles: ['admin'] })}`;
    const forged = `${head}.${createHmac('sha256', pem).update(head).digest('base64url')}`;
    expectRejected(await call(forged), /algorithm is not accepted/);
  });

  it('refuses a token signed with a key the issuer does not publish, and takes a rotated-in key after fetching the keys again', async () => {
    const other = await generateKeyPair('RS256', { extractable: true });
    const rotated = await sign({}, other.privateKey, 'k2');
    expectRejected(await call(rotated), /key the issuer does not publish/);
    jwks.keys.push({ ...(await exportJWK(other.publicKey)), kid: 'k2', alg: 'RS256', use: 'sig' });
    expect((await call(rotated)).status).toBe(200);
  });

  it('refuses a token with a forged signature', async () => {
    const token = await sign();
    const [h, p] = token.split('.');
    const claims = JSON.parse(Buffer.from(p, 'base64url').toString());
    const forged = `${h}.${Buffer.from(JSON.stringify({ ...claims, roles: ['admin'] })).toString('base64url')}.${token.split('.')[2]}`;
    expectRejected(await call(forged), /signature/);
  });

  it('protects /metrics with its own bearer token when one is configured', async () => {
    expect((await http('GET', `${triage.url}/metrics`, undefined, { authorization: '' })).status).toBe(401);
    expect((await http('GET', `${triage.url}/metrics`, undefined, { authorization: `Bearer ${metricsToken}` })).status).toBe(200);
  });
});
