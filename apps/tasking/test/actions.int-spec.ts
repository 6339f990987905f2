// @nestjs/common 12 ships only as ES modules, which Jest does not load: ResponseActions needs only
// the platform's problems, paging, incident access and outbound guard, none of which uses Nest but the
// problem filter's decorator, nor the audit helpers. (The service itself is exercised over HTTP in test/actions.e2e-spec.ts.)
jest.mock('@nestjs/common', () => ({ Catch: () => () => undefined, HttpException: class extends Error {} }));
jest.mock('@vigil/platform', () => ({
  ...jest.requireActual('../../../libs/platform/src/http/problem'),
  ...jest.requireActual('../../../libs/platform/src/http/paging'),
  ...jest.requireActual('../../../libs/platform/src/auth/incident-access'),
  ...jest.requireActual('../../../libs/platform/src/outbound'),
  ...jest.requireActual('../../../libs/platform/src/auth/request-context'),
  ...jest.requireActual('../../../libs/platform/src/audit/audit-trail'),
}));

import type { ActionView, AssetCriticality, ConnectorKind } from '@vigil/contracts';
import { Problem, verifySignature, type Principal } from '@vigil/platform';
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import pino from 'pino';
import { DataSource } from 'typeorm';
import { startReceiver, testEnv, type RecordedRequest } from '../../../test/support/harness';
import { ResponseActions } from '../src/actions/response-actions';
import type { Clock } from '../src/escalation/clock';

/**
 * Response actions against the real database, with a local connector receiver that checks each
 * request's signature with the exported receiver-side check, and a clock moved by hand: approvals
 * by criticality, expiry, the dry run, break-glass and its review, undo, the SSRF guard at
 * execution, retries, and restricted incidents.
 */
describe('response actions (real PostgreSQL, local connector receiver, injected clock)', () => {
  const SECRET = 'receiver-signing-key-0123456789';
  const logger = pino({ level: 'silent' });
  const clock = { at: new Date('2026-03-02T10:00:00Z').getTime(), now() { return new Date(this.at); }, advance(ms: number) { this.at += ms; } } satisfies Clock & { at: number; advance(ms: number): void };
  const incidents: string[] = [];
  let db: DataSource;
  let actions: ResponseActions;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  /** What the receiver answers next (then 204); and each request's signature check, by the receiver's own clock (the test clock). */
  const answers: number[] = [];
  const checks: Array<{ path: string; valid: boolean; reason?: string }> = [];
  let edr: string;

  const alice: Principal = { subject: 'u-alice', kind: 'person', roles: ['security_analyst'] };
  const bob: Principal = { subject: 'u-bob', kind: 'person', roles: ['security_analyst'] };
  const irene: Principal = { subject: 'u-irene', kind: 'person', roles: ['ir_manager'] };
  const ian: Principal = { subject: 'u-ian', kind: 'person', roles: ['ir_manager'] };
  const carol: Principal = { subject: 'u-carol', kind: 'person', roles: ['communications'] };

  async function connector(kind: ConnectorKind, over: { allowPrivateNetwork?: boolean; baseUrl?: string } = {}): Promise<string> {
    const id = randomUUID();
    await db.query(
      `INSERT INTO tasking.action_connectors (id, name, kind, base_url, secret, timeout_ms, retries, allow_private_network, allow_http, templates, created_at, updated_at, updated_by)
       VALUES ($1, $2, $3, $4, $5, 2000, 2, $6, true, '{}', now(), now(), 'test')`,
      [id, `${kind} ${id}`, kind, over.baseUrl ?? `${receiver.url}/api`, SECRET, over.allowPrivateNetwork ?? true],
    );
    return id;
  }

  async function incident(criticality: AssetCriticality | null, restricted = false): Promise<string> {
    const id = randomUUID();
    incidents.push(id);
    // What tasking keeps from the incident events it reads (assetCriticality from triage's asset register).
    await db.query(
      `INSERT INTO tasking.incident_facts (incident_id, title, severity, category, phase, exercise, restricted, asset_criticality, acknowledged_at, version)
       VALUES ($1, 'Beacon from a host', 'SEV2', 'malware', 'analysis', false, $2, $3, NULL, 1)`,
      [id, restricted, criticality],
    );
    await db.query(`INSERT INTO tasking.incident_access (incident_id, restricted, owner, responders, version) VALUES ($1, $2, 'u-bob', '{}', 1)`, [id, restricted]);
    return id;
  }

  const isolate = (connectorId: string, host: string, over: Record<string, unknown> = {}) => ({ connectorId, kind: 'isolate_host' as const, target: { type: 'host' as const, value: host }, parameters: {}, reason: 'beaconing to a known C2', ...over });

  async function events(incidentId: string): Promise<Array<{ type: string; data: Record<string, unknown> }>> {
    const rows: Array<{ event_type: string; payload: { data?: Record<string, unknown> } & Record<string, unknown> }> = await db.query(
      `SELECT event_type, payload FROM tasking.outbox WHERE message_key = $1 AND event_type LIKE 'vigil.action.%' ORDER BY seq`,
      [incidentId],
    );
    return rows.map((r) => ({ type: r.event_type, data: (r.payload.data ?? r.payload) as Record<string, unknown> }));
  }

  async function refusal(p: Promise<unknown>): Promise<Problem> {
    const e = await p.then(() => undefined, (err: unknown) => err);
    expect(e).toBeInstanceOf(Problem);
    return e as Problem;
  }

  const received = (path: string) => receiver.requests.filter((r) => r.path === path);

  /** Every break-glass action the caller may see, read page by page (a few per page). */
  async function breakGlass(caller: Principal, pendingOnly: boolean, limit = 3) {
    const all = [];
    let cursor: string | undefined;
    do {
      const page = await actions.breakGlassActions(caller, { pendingOnly, limit, cursor });
      expect(page.items.length).toBeLessThanOrEqual(limit);
      all.push(...page.items);
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    return all;
  }

  beforeAll(async () => {
    const migrate = spawnSync(process.execPath, [join(__dirname, '../../../dist/apps/tasking/src/migrate.js')], { env: { ...process.env, DATABASE_URL: testEnv().serviceUrls.tasking, LOG_LEVEL: 'warn' }, encoding: 'utf8' });
    if (migrate.status !== 0) throw new Error(`tasking migrations failed: ${migrate.stderr}`);
    db = new DataSource({ type: 'postgres', url: testEnv().serviceUrls.tasking, poolSize: 4 });
    await db.initialize();
    receiver = await startReceiver((req: RecordedRequest) => {
      const check = verifySignature({ header: req.headers['vigil-signature'], body: req.body, secret: SECRET, now: clock.now() });
      checks.push({ path: req.path, valid: check.valid, reason: check.valid ? undefined : check.reason });
      if (!check.valid) return 401;
      return answers.shift() ?? 204;
    });
    actions = new ResponseActions(db, clock, logger, { sleep: async () => undefined });
    edr = await connector('edr');
    // Stored policies for other suites' criticalities must not change what this suite expects: none here, the defaults apply.
    await db.query(`DELETE FROM tasking.action_approval_policies`);
  }, 120_000);

  afterAll(async () => {
    if (db?.isInitialized) {
      await db.query(`DELETE FROM tasking.outbox WHERE message_key = ANY($1)`, [incidents]);
      // Its actions live on this suite's clock (in the past by the real one): left behind, the
      // sweeper of a tasking service that a later suite starts would settle them and publish events.
      const mine = `SELECT id FROM tasking.response_actions WHERE incident_id = ANY($1::uuid[])`;
      await db.query(`DELETE FROM tasking.response_action_attempts WHERE action_id IN (${mine})`, [incidents]);
      await db.query(`DELETE FROM tasking.response_action_approvals WHERE action_id IN (${mine})`, [incidents]);
      await db.query(`UPDATE tasking.response_actions SET undo_of = NULL, undone_by = NULL WHERE incident_id = ANY($1::uuid[])`, [incidents]);
      await db.query(`DELETE FROM tasking.response_actions WHERE incident_id = ANY($1::uuid[])`, [incidents]);
      await db.destroy();
    }
    await receiver?.close();
  });

  it('waits for two approvals on a critical asset (a domain controller), refusing self-approval and a second approval by the same person, then calls the connector signed', async () => {
    const incidentId = await incident('critical');
    const requested = await actions.request(alice, incidentId, isolate(edr, 'dc-01'));
    expect(requested).toMatchObject({ status: 'awaiting_approval', criticality: 'critical', criticalitySource: 'incident', policy: { approvals: 2 } });

    expect((await refusal(actions.approve(alice, incidentId, requested.actionId, undefined))).status).toBe(403); // self-approval
    expect((await refusal(actions.approve(carol, incidentId, requested.actionId, undefined))).status).toBe(403); // not an approver role
    const once = await actions.approve(irene, incidentId, requested.actionId, 'confirmed C2 traffic');
    expect(once.status).toBe('awaiting_approval');
    expect((await refusal(actions.approve(irene, incidentId, requested.actionId, undefined))).status).toBe(409);
    expect(received('/api/hosts/isolate')).toHaveLength(0);

    clock.advance(5 * 60_000);
    const done = await actions.approve(bob, incidentId, requested.actionId, undefined);
    expect(done.status).toBe('succeeded');
    expect(done.approvals.map((a) => [a.approver, a.roles])).toEqual([
      ['u-irene', ['ir_manager']],
      ['u-bob', ['security_analyst']],
    ]);
    const [call] = received('/api/hosts/isolate');
    expect(call).toBeDefined();
    expect(checks.filter((c) => c.path === '/api/hosts/isolate')).toEqual([{ path: '/api/hosts/isolate', valid: true, reason: undefined }]);
    // Exactly what the dry run of the action showed.
    expect(call.body).toBe(done.request.body);
    expect(JSON.parse(call.body)).toMatchObject({ host: 'dc-01', incidentId, requestId: requested.actionId, requestedBy: 'u-alice' });
    expect(call.headers['idempotency-key']).toBe(requested.actionId);
    expect(done.attempts).toEqual([expect.objectContaining({ attempt: 1, statusCode: 204, address: '127.0.0.1', error: null })]);
    expect((await events(incidentId)).map((e) => e.type)).toEqual(['vigil.action.requested.v1', 'vigil.action.approved.v1', 'vigil.action.approved.v1', 'vigil.action.executed.v1']);
  });

  let workstationAction: ActionView;
  let workstationIncident: string;

  it('runs on one approval for a workstation', async () => {
    workstationIncident = await incident('low');
    const requested = await actions.request(alice, workstationIncident, isolate(edr, 'ws-042'));
    expect(requested.policy.approvals).toBe(1);
    workstationAction = await actions.approve(irene, workstationIncident, requested.actionId, undefined);
    expect(workstationAction.status).toBe('succeeded');
    expect(received('/api/hosts/isolate').some((r) => JSON.parse(r.body).host === 'ws-042')).toBe(true);
  });

  it('lets a request raise the criticality, never lower it', async () => {
    const low = await incident('low');
    expect((await actions.dryRun(alice, low, isolate(edr, 'srv-db-01', { assetCriticality: 'critical' }))).policy.approvals).toBe(2);
    const critical = await incident('critical');
    expect(await actions.dryRun(alice, critical, isolate(edr, 'srv-db-01', { assetCriticality: 'low' }))).toMatchObject({ criticality: 'critical', criticalitySource: 'incident', policy: { approvals: 2 } });
  });

  it('undoes an isolation by un-isolating the host, once, even after the incident has closed', async () => {
    await db.query(`UPDATE tasking.incident_facts SET phase = 'closed' WHERE incident_id = $1`, [workstationIncident]);
    expect((await refusal(actions.request(alice, workstationIncident, isolate(edr, 'ws-043')))).status).toBe(409);
    const undo = await actions.undo(alice, workstationIncident, workstationAction.actionId, 'host cleaned and re-imaged');
    expect(undo).toMatchObject({ kind: 'unisolate_host', status: 'succeeded', undoOf: workstationAction.actionId });
    const [call] = received('/api/hosts/unisolate');
    expect(JSON.parse(call.body)).toMatchObject({ host: 'ws-042', incidentId: workstationIncident });
    expect(checks.filter((c) => c.path === '/api/hosts/unisolate').every((c) => c.valid)).toBe(true);
    expect((await actions.get(alice, workstationIncident, workstationAction.actionId)).undoneBy).toBe(undo.actionId);
    expect((await refusal(actions.undo(alice, workstationIncident, workstationAction.actionId, 'again'))).status).toBe(409);
    expect((await events(workstationIncident)).map((e) => e.type)).toContain('vigil.action.undone.v1');
  });

  it('does not run once the approvals have expired', async () => {
    const incidentId = await incident('critical');
    const before = receiver.requests.length;
    const requested = await actions.request(alice, incidentId, isolate(edr, 'dc-02'));
    await actions.approve(irene, incidentId, requested.actionId, undefined);
    clock.advance(61 * 60_000); // the default policy gives an hour
    expect((await actions.get(alice, incidentId, requested.actionId)).status).toBe('expired');
    const problem = await refusal(actions.approve(bob, incidentId, requested.actionId, undefined));
    expect(problem.status).toBe(409);
    expect(problem.title).toBe('Approval expired');
    expect(receiver.requests.length).toBe(before);
    const after = await actions.get(alice, incidentId, requested.actionId);
    expect(after).toMatchObject({ status: 'expired', attempts: [] });
    expect((await events(incidentId)).at(-1)).toMatchObject({ type: 'vigil.action.failed.v1', data: { outcome: 'expired' } });
  });

  it('lets an approver reject a request and its requester withdraw one: neither runs, the reason is on record, and nobody can approve it afterwards', async () => {
    const incidentId = await incident('critical');
    const before = receiver.requests.length;
    const first = await actions.request(alice, incidentId, isolate(edr, 'dc-03'));
    await actions.approve(irene, incidentId, first.actionId, undefined);
    // Someone with no approver role in the policy cannot turn it down.
    expect((await refusal(actions.reject(carol, incidentId, first.actionId, 'not mine to decide'))).status).toBe(403);
    const rejected = await actions.reject(ian, incidentId, first.actionId, 'the DC serves the whole site; block the C2 address instead');
    expect(rejected).toMatchObject({
      status: 'rejected',
      attempts: [],
      rejection: { by: 'u-ian', reason: 'the DC serves the whole site; block the C2 address instead', withdrawn: false, at: clock.now().toISOString() },
    });
    const late = await refusal(actions.approve(bob, incidentId, first.actionId, undefined));
    expect(late.status).toBe(409);
    expect(late.detail).toContain('rejected');
    expect((await refusal(actions.reject(ian, incidentId, first.actionId, 'again'))).status).toBe(409);

    const second = await actions.request(alice, incidentId, isolate(edr, 'dc-04'));
    const withdrawn = await actions.reject(alice, incidentId, second.actionId, 'wrong host');
    expect(withdrawn).toMatchObject({ status: 'rejected', rejection: { by: 'u-alice', withdrawn: true, reason: 'wrong host' } });
    expect(receiver.requests.length).toBe(before);
    const failed = (await events(incidentId)).filter((e) => e.type === 'vigil.action.failed.v1');
    expect(failed.map((e) => [e.data.actionId, e.data.outcome, e.data.error])).toEqual([
      [first.actionId, 'rejected', 'rejected by u-ian: the DC serves the whole site; block the C2 address instead'],
      [second.actionId, 'rejected', 'withdrawn by its requester u-alice: wrong host'],
    ]);
    // A succeeded action is past rejecting.
    const done = await incident('low');
    const ran = await actions.approve(irene, done, (await actions.request(alice, done, isolate(edr, 'ws-077'))).actionId, undefined);
    expect(ran.status).toBe('succeeded');
    expect((await refusal(actions.reject(ian, done, ran.actionId, 'too late'))).status).toBe(409);
  });

  it('sweeps: a lapsed request is marked expired with nobody touching it, and a send cut off by a stop is settled as interrupted, never re-sent', async () => {
    const incidentId = await incident('critical');
    const before = receiver.requests.length;
    const lapsing = await actions.request(alice, incidentId, isolate(edr, 'dc-05'));
    // An action left `executing` by a process that stopped mid-send (as the row is after approval, before the answer).
    const cutOff = await actions.request(alice, incidentId, isolate(edr, 'dc-06'));
    await db.query(`UPDATE tasking.response_actions SET status = 'executing', executing_since = $2 WHERE id = $1`, [cutOff.actionId, clock.now()]);
    // Nothing lapsed yet, and a send of a minute ago may still be going.
    clock.advance(60_000);
    expect(await actions.sweep(900)).toBe(0);
    clock.advance(60 * 60_000);
    expect(await actions.sweep(900)).toBe(2);
    expect(await actions.sweep(900)).toBe(0); // each settled once
    const [expired, interrupted] = await Promise.all([actions.get(alice, incidentId, lapsing.actionId), actions.get(alice, incidentId, cutOff.actionId)]);
    expect(expired).toMatchObject({ status: 'expired', error: 'approvals expired', attempts: [] });
    expect(interrupted).toMatchObject({ status: 'failed', attempts: [], executedAt: clock.now().toISOString() });
    expect(interrupted.error).toMatch(/^still sending 3660 s after it started .*whether the connector acted is unknown/);
    const failed = (await events(incidentId)).filter((e) => e.type === 'vigil.action.failed.v1');
    expect(failed.map((e) => [e.data.actionId, e.data.outcome])).toEqual([
      [lapsing.actionId, 'expired'],
      [cutOff.actionId, 'interrupted'],
    ]);
    expect(receiver.requests.length).toBe(before);
  });

  it('shows the exact request in a dry run, stores nothing and sends nothing', async () => {
    const incidentId = await incident('high');
    const before = receiver.requests.length;
    const dry = await actions.dryRun(alice, incidentId, isolate(edr, 'srv-web-01', { reason: 'webshell "cmd.jsp"' }));
    expect(dry.request).toMatchObject({ method: 'POST', url: `${receiver.url}/api/hosts/isolate`, headers: { 'content-type': 'application/json' } });
    expect(Object.keys(dry.request.headers)).not.toContain('vigil-signature');
    expect(JSON.parse(dry.request.body!)).toMatchObject({ host: 'srv-web-01', reason: 'webshell "cmd.jsp"', incidentId });
    expect(dry.request.signature).toMatch(/^Vigil-Signature: t=/);
    expect(dry.policy).toMatchObject({ approvals: 2 });
    expect(await actions.list(alice, incidentId)).toEqual([]);
    expect(receiver.requests.length).toBe(before);
  });

  it('runs a break-glass action at once, lists it for review, and takes a review by someone else', async () => {
    const incidentId = await incident('critical');
    const action = await actions.breakGlass(irene, incidentId, { ...isolate(edr, 'fs-01'), breakGlassReason: 'active encryption spreading from fs-01' });
    expect(action).toMatchObject({ status: 'succeeded', approvals: [], breakGlass: { reason: 'active encryption spreading from fs-01', reviewedAt: null } });
    expect(received('/api/hosts/isolate').some((r) => JSON.parse(r.body).host === 'fs-01')).toBe(true);
    expect((await breakGlass(irene, true)).map((a) => a.actionId)).toContain(action.actionId);

    expect((await refusal(actions.review(irene, action.actionId, 'fine'))).status).toBe(403);
    const reviewed = await actions.review(ian, action.actionId, 'justified: encryption in progress');
    expect(reviewed.breakGlass).toMatchObject({ reviewedBy: 'u-ian', reviewNote: 'justified: encryption in progress' });
    expect((await breakGlass(irene, true)).map((a) => a.actionId)).not.toContain(action.actionId);
    expect((await breakGlass(irene, false)).map((a) => a.actionId)).toContain(action.actionId);
    expect((await events(incidentId)).map((e) => e.type)).toEqual(['vigil.action.requested.v1', 'vigil.action.executed.v1', 'vigil.action.reviewed.v1']);
  });

  it('lists break-glass actions a page at a time, oldest first, each once, and refuses a cursor it did not issue', async () => {
    const incidentId = await incident('critical');
    // Two at the same instant (the keyset breaks the tie by id), the third a second later.
    const glass = (host: string) => actions.breakGlass(irene, incidentId, { ...isolate(edr, host), breakGlassReason: `encryption spreading from ${host}` });
    const tied = [(await glass('fs-11')).actionId, (await glass('fs-12')).actionId].sort();
    clock.advance(1000);
    const ids = [...tied, (await glass('fs-13')).actionId];
    // Pages of one: the three in the order they were requested, none twice, none missing.
    const pending = (await breakGlass(irene, true, 1)).map((a) => a.actionId);
    expect(pending.filter((id) => ids.includes(id))).toEqual(ids);
    expect(new Set(pending).size).toBe(pending.length);
    expect(pending).toEqual(await breakGlass(irene, true, 200).then((all) => all.map((a) => a.actionId)));
    // The last page says so; a full first page of two points on.
    const first = await actions.breakGlassActions(irene, { pendingOnly: true, limit: 2 });
    expect(first.items).toHaveLength(2);
    expect(first.nextCursor).toEqual(expect.any(String));
    const whole = await actions.breakGlassActions(irene, { pendingOnly: true, limit: 200 });
    expect(whole.nextCursor).toBeNull();
    // Reviewed: off the pending pages, still on the pages of all.
    await actions.review(ian, ids[1], 'justified');
    expect((await breakGlass(irene, true, 1)).map((a) => a.actionId).filter((id) => ids.includes(id))).toEqual([ids[0], ids[2]]);
    expect((await breakGlass(irene, false, 1)).map((a) => a.actionId).filter((id) => ids.includes(id))).toEqual(ids);
    // A cursor this API did not issue: 422 naming the cursor, never a database error.
    for (const cursor of ['not-a-cursor', Buffer.from(JSON.stringify({ sort: 'break-glass', value: 'yesterday', id: ids[0] })).toString('base64url'), Buffer.from(JSON.stringify({ sort: 'assets', value: '2026-01-01T00:00:00.000Z', id: ids[0] })).toString('base64url')]) {
      const problem = await refusal(actions.breakGlassActions(irene, { pendingOnly: true, limit: 2, cursor }));
      expect(problem.status).toBe(422);
      expect(problem.extra.errors).toEqual([expect.objectContaining({ pointer: '/cursor' })]);
    }
  });

  it('refuses to call a private address when the connector is not allowed to, and records the refusal', async () => {
    const guarded = await connector('edr', { allowPrivateNetwork: false });
    const incidentId = await incident('low');
    const before = receiver.requests.length;
    const action = await actions.breakGlass(irene, incidentId, { ...isolate(guarded, 'ws-007'), breakGlassReason: 'testing the guard on a loopback connector' });
    expect(action.status).toBe('failed');
    expect(action.error).toMatch(/127\.0\.0\.1 is loopback/);
    expect(action.attempts).toEqual([expect.objectContaining({ address: null, statusCode: null })]);
    expect(receiver.requests.length).toBe(before);
    expect((await events(incidentId)).at(-1)).toMatchObject({ type: 'vigil.action.failed.v1', data: { outcome: 'refused' } });
  });

  it('connects to the address it checked, keeping the name in Host, and resolves once per call (no second answer to rebind)', async () => {
    const port = new URL(receiver.url).port;
    const lookups: string[] = [];
    // A name only this resolver knows: were the connection to look it up again, it would fail.
    const named = new ResponseActions(db, clock, logger, {
      sleep: async () => undefined,
      resolve: async (host) => {
        lookups.push(host);
        return [{ address: '127.0.0.1', family: 4 }];
      },
    });
    const incidentId = await incident('low');
    const viaName = await connector('edr', { baseUrl: `http://edr.vigil.test:${port}/named` });
    const action = await named.breakGlass(irene, incidentId, { ...isolate(viaName, 'ws-200'), breakGlassReason: 'pinning check through a name' });
    expect(action).toMatchObject({ status: 'succeeded', attempts: [expect.objectContaining({ address: '127.0.0.1', url: `http://edr.vigil.test:${port}/named/hosts/isolate` })] });
    expect(received('/named/hosts/isolate')[0].headers.host).toBe(`edr.vigil.test:${port}`);
    expect(lookups).toEqual(['edr.vigil.test']);

    // The same name on a connector not allowed on the private network: refused, naming the name.
    const strictByName = await connector('edr', { baseUrl: `http://edr.vigil.test:${port}/strict`, allowPrivateNetwork: false });
    const refused = await named.breakGlass(irene, incidentId, { ...isolate(strictByName, 'ws-201'), breakGlassReason: 'a name resolving to loopback' });
    expect(refused).toMatchObject({ status: 'failed', error: expect.stringMatching(/127\.0\.0\.1 \(edr\.vigil\.test\) is loopback/) });
    expect(received('/strict/hosts/isolate')).toHaveLength(0);
  });

  it('retries a 5xx, records every attempt, and stops at a 4xx', async () => {
    const incidentId = await incident('low');
    answers.push(503);
    const retried = await actions.breakGlass(irene, incidentId, { ...isolate(edr, 'ws-100'), breakGlassReason: 'retry check for the connector' });
    expect(retried.status).toBe('succeeded');
    expect(retried.attempts.map((a) => a.statusCode)).toEqual([503, 204]);

    answers.push(422);
    const refused = await actions.breakGlass(irene, incidentId, { ...isolate(edr, 'ws-101'), breakGlassReason: 'a 4xx is not retried here' });
    expect(refused).toMatchObject({ status: 'failed', error: expect.stringMatching(/^HTTP 422/) });
    expect(refused.attempts).toHaveLength(1);
  });

  it('keeps actions of a restricted incident hidden from who may not see it', async () => {
    const incidentId = await incident('low', true);
    const action = await actions.request(bob, incidentId, isolate(edr, 'exec-laptop')); // bob owns it
    expect((await refusal(actions.list(alice, incidentId))).status).toBe(404);
    expect((await refusal(actions.approve(alice, incidentId, action.actionId, undefined))).status).toBe(404);
    expect((await refusal(actions.request(alice, incidentId, isolate(edr, 'exec-laptop')))).status).toBe(404);
    expect(await actions.list(irene, incidentId)).toHaveLength(1);
  });

  it('names what is wrong with a request', async () => {
    const incidentId = await incident('low');
    const firewall = await connector('firewall');
    const wrongKind = await refusal(actions.request(alice, incidentId, isolate(firewall, 'ws-1')));
    expect(wrongKind.extra.errors).toEqual([{ pointer: '/kind', detail: expect.stringMatching(/has no request for isolate_host/) }]);
    const wrongTarget = await refusal(actions.request(alice, incidentId, { connectorId: firewall, kind: 'block_ip', target: { type: 'ip', value: '10.0.0.300' }, parameters: {}, reason: 'c2' }));
    expect(wrongTarget.extra.errors).toEqual([{ pointer: '/target/value', detail: 'must be an IPv4 or IPv6 address' }]);
    expect((await refusal(actions.request(alice, randomUUID(), isolate(edr, 'ws-1')))).status).toBe(404);
  });
});
