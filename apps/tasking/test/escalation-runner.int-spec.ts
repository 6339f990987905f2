import { createEvent, IncidentAlertAttachedV1, IncidentClassifiedV1, IncidentOpenedV1, TaskSlaBreachedV1, type CloudEvent, type IncidentSnapshot } from '@vigil/contracts';
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import pino from 'pino';
import { DataSource } from 'typeorm';
import { testEnv } from '../../../test/support/harness';
import type { Clock } from '../src/escalation/clock';
import { EscalationEventsHandler } from '../src/escalation/escalation-events.handler';
import { startEscalation, stopEscalations } from '../src/escalation/escalation-store';
import type { IncidentFacts } from '../src/escalation/incident-facts';
import { EscalationRunner } from '../src/escalation/run-escalations/escalation-runner';
import { defaultTriggers } from '../src/escalation/triggers/trigger-registry';

/**
 * The escalation runner against the real database with a clock moved by hand: minutes pass in
 * no time. Steps fall due exactly when their wait is over, run once each whatever replicas and
 * restarts do, an acknowledgement stops them, and a running escalation keeps its policy version.
 */
describe('escalation runner (real PostgreSQL, injected clock)', () => {
  const MINUTE = 60_000;
  const logger = pino({ level: 'silent' });
  const dataSources: DataSource[] = [];
  let db: DataSource;
  const incidents: string[] = [];
  const clock = { at: new Date('2026-03-02T10:00:00Z').getTime(), now() { return new Date(this.at); }, advance(ms: number) { this.at += ms; } } satisfies Clock & { at: number; advance(ms: number): void };
  let people: Record<'alice' | 'bob' | 'irene', string>;
  let policyId: string;
  let teamId: string;

  async function connect(): Promise<DataSource> {
    const ds = new DataSource({ type: 'postgres', url: testEnv().serviceUrls.tasking, poolSize: 4 });
    await ds.initialize();
    dataSources.push(ds);
    return ds;
  }

  const runner = (ds: DataSource) => new EscalationRunner(ds, clock, { pollMs: 60_000, triageUrl: 'https://triage.example', taskingUrl: 'https://tasking.example' }, logger);

  beforeAll(async () => {
    // The tasking schema as its migrations make it (what the service does at start).
    const migrate = spawnSync(process.execPath, [join(__dirname, '../../../dist/apps/tasking/src/migrate.js')], { env: { ...process.env, DATABASE_URL: testEnv().serviceUrls.tasking, LOG_LEVEL: 'warn' }, encoding: 'utf8' });
    if (migrate.status !== 0) throw new Error(`tasking migrations failed: ${migrate.stderr}`);
    db = await connect();
    const person = async (name: string, roles: string[]) => {
      const id = randomUUID();
      await db.query(
        `INSERT INTO tasking.people (id, name, time_zone, roles, contact_methods, created_at, updated_at) VALUES ($1, $2, 'UTC', $3, $4, now(), now())`,
        [id, name, roles, JSON.stringify([{ kind: 'phone', number: '+4915112345678' }])],
      );
      return id;
    };
    people = { alice: await person('Alice', ['security_analyst']), bob: await person('Bob', ['system_administrator']), irene: await person('Irene', ['ir_manager']) };
    const schedule = async (who: string) => {
      const id = randomUUID();
      await db.query(`INSERT INTO tasking.schedules (id, name, time_zone, created_at, created_by) VALUES ($1, $2, 'UTC', now(), 'test')`, [id, `only ${who}`]);
      const definition = { layers: [{ name: 'all', precedence: 1, rotation: { start: '2026-01-05T09:00', timeZone: 'UTC', handoff: 'FREQ=WEEKLY', participants: [who], dst: 'wall_clock' } }] };
      await db.query(`INSERT INTO tasking.schedule_revisions (schedule_id, revision, effective_from, definition, created_at, created_by) VALUES ($1, 1, '2026-01-01', $2, now(), 'test')`, [id, JSON.stringify(definition)]);
      return id;
    };
    const [primary, secondary] = [await schedule(people.alice), await schedule(people.bob)];
    // A team (not a role: other suites' people share the roster of the test database).
    teamId = randomUUID();
    await db.query(`INSERT INTO tasking.teams (id, name, created_at, updated_at) VALUES ($1, $2, now(), now())`, [teamId, `managers ${teamId}`]);
    await db.query(`INSERT INTO tasking.team_members (team_id, person_id) VALUES ($1, $2)`, [teamId, people.irene]);
    policyId = randomUUID();
    await db.query(`INSERT INTO tasking.escalation_policies (id, current_version, created_at) VALUES ($1, 1, now())`, [policyId]);
    await db.query(
      `INSERT INTO tasking.escalation_policy_versions (policy_id, version, name, steps, repeat, created_at, created_by) VALUES ($1, 1, 'standard', $2, $3, now(), 'test')`,
      [
        policyId,
        JSON.stringify([
          { targets: [{ type: 'schedule', scheduleId: primary }], waitMinutes: 5 },
          { targets: [{ type: 'schedule', scheduleId: secondary }], waitMinutes: 5 },
          { targets: [{ type: 'team', teamId }, { type: 'person', personId: people.irene }], waitMinutes: 5 },
        ]),
        JSON.stringify({ times: 1, fromStep: 2 }),
      ],
    );
    await db.query(
      `INSERT INTO tasking.escalation_routing (id, rules, default_policy_id, updated_at, updated_by) VALUES (1, '[]', $1, now(), 'test')
       ON CONFLICT (id) DO UPDATE SET rules = '[]', default_policy_id = $1`,
      [policyId],
    );
  }, 120_000);

  afterAll(async () => {
    if (db?.isInitialized) {
      // Nothing of this suite may be published by a tasking started later, nor escalate its incidents.
      await db.query(`DELETE FROM tasking.outbox WHERE message_key = ANY($1)`, [incidents]);
      await db.query(`UPDATE tasking.escalations SET status = 'stopped', due_at = NULL WHERE incident_id = ANY($1::uuid[]) AND status = 'active'`, [incidents]);
      await db.query(`UPDATE tasking.escalation_routing SET rules = '[]', default_policy_id = NULL WHERE id = 1`);
    }
    await Promise.all(dataSources.map((d) => d.destroy()));
  });

  function facts(over: Partial<IncidentFacts> = {}): IncidentFacts {
    const incidentId = randomUUID();
    incidents.push(incidentId);
    return { incidentId, title: 'Beacon', severity: 'SEV2', category: 'malware', phase: 'detected', exercise: false, restricted: false, assetCriticality: null, acknowledgedAt: null, version: 1, ...over };
  }

  async function start(f: IncidentFacts): Promise<string> {
    const outcome = await db.transaction((m) => startEscalation(m, { facts: f, triggerKind: 'incident-opened', firing: { key: 'incident-opened', reason: 'opened', supersedes: false }, now: clock.now() }));
    if (!('started' in outcome)) throw new Error(outcome.skipped);
    return outcome.started.escalationId;
  }

  /** Page requests written for an incident, in order: "step: person name". */
  async function pages(incidentId: string): Promise<string[]> {
    const rows: Array<{ payload: { step: { key: string }; person: { name: string } } }> = await db.query(
      `SELECT payload FROM tasking.outbox WHERE message_key = $1 AND event_type = 'vigil.page.requested.v1' ORDER BY seq`,
      [incidentId],
    );
    return rows.map((r) => `${r.payload.step.key}: ${r.payload.person.name}`);
  }

  it('runs each step when its wait is over, repeats from step N, then runs out', async () => {
    const f = facts();
    const escalationId = await start(f);
    const r = runner(db);
    await r.runDue();
    expect(await pages(f.incidentId)).toEqual(['0.1: Alice']);
    clock.advance(5 * MINUTE - 1);
    expect(await r.runDue()).toBe(0);
    clock.advance(1);
    await r.runDue();
    expect(await pages(f.incidentId)).toEqual(['0.1: Alice', '0.2: Bob']);
    for (let i = 0; i < 3; i++) {
      clock.advance(5 * MINUTE);
      await r.runDue();
    }
    // Irene is named twice by step 3 (by team and by name) and paged once; the repeat starts at step 2.
    expect(await pages(f.incidentId)).toEqual(['0.1: Alice', '0.2: Bob', '0.3: Irene', '1.2: Bob', '1.3: Irene']);
    const [before] = await db.query(`SELECT status FROM tasking.escalations WHERE id = $1`, [escalationId]);
    expect(before.status).toBe('active');
    clock.advance(5 * MINUTE);
    await r.runDue();
    const [after] = await db.query(`SELECT status, due_at FROM tasking.escalations WHERE id = $1`, [escalationId]);
    expect(after).toEqual({ status: 'exhausted', due_at: null });
    const exhausted = await db.query(`SELECT payload FROM tasking.outbox WHERE message_key = $1 AND event_type = 'vigil.escalation.exhausted.v1'`, [f.incidentId]);
    expect(exhausted.map((e: { payload: { stepsExecuted: number } }) => e.payload.stepsExecuted)).toEqual([5]);
  });

  it('stops at once on an acknowledgement: nothing runs afterwards, however much time passes', async () => {
    const f = facts();
    await start(f);
    const r = runner(db);
    await r.runDue();
    clock.advance(5 * MINUTE);
    await r.runDue();
    const stopped = await db.transaction((m) => stopEscalations(m, { incidentIds: [f.incidentId] }, { reason: 'acknowledged', detail: null, actor: 'u-alice', at: clock.now() }));
    expect(stopped.map((s) => s.lastStepKey)).toEqual(['0.2']);
    clock.advance(60 * MINUTE);
    await r.runDue();
    expect(await pages(f.incidentId)).toEqual(['0.1: Alice', '0.2: Bob']);
  });

  it('runs every step once when replicas share the work, and a restarted runner picks up where the last left off', async () => {
    const all = Array.from({ length: 12 }, () => facts());
    for (const f of all) await start(f);
    // Three replicas, each with its own connection pool, on the same due escalations.
    const replicas = [runner(await connect()), runner(await connect()), runner(db)];
    await Promise.all(replicas.map((r) => r.runDue()));
    clock.advance(5 * MINUTE);
    await Promise.all(replicas.map((r) => r.runDue()));
    // A new runner (a restart) at the next due time: step 3, never 1 or 2 again.
    clock.advance(5 * MINUTE);
    await runner(db).runDue();
    for (const f of all) expect(await pages(f.incidentId)).toEqual(['0.1: Alice', '0.2: Bob', '0.3: Irene']);
  });

  it('keeps the policy version an escalation started with when the policy is edited', async () => {
    const f = facts();
    const escalationId = await start(f);
    await runner(db).runDue();
    // Version 2 pages Irene first and nobody else; the running escalation still runs version 1.
    await db.query(
      `INSERT INTO tasking.escalation_policy_versions (policy_id, version, name, steps, repeat, created_at, created_by) VALUES ($1, 2, 'standard v2', $2, '{"times":0,"fromStep":1}', now(), 'test')`,
      [policyId, JSON.stringify([{ targets: [{ type: 'person', personId: people.irene }], waitMinutes: 1 }])],
    );
    await db.query(`UPDATE tasking.escalation_policies SET current_version = 2 WHERE id = $1`, [policyId]);
    try {
      clock.advance(5 * MINUTE);
      await runner(db).runDue();
      expect(await pages(f.incidentId)).toEqual(['0.1: Alice', '0.2: Bob']);
      const [row] = await db.query(`SELECT policy_version FROM tasking.escalations WHERE id = $1`, [escalationId]);
      expect(row.policy_version).toBe(1);
    } finally {
      await db.query(`UPDATE tasking.escalation_policies SET current_version = 1 WHERE id = $1`, [policyId]);
      await db.query(`DELETE FROM tasking.escalation_policy_versions WHERE policy_id = $1 AND version = 2`, [policyId]);
      await db.query(`UPDATE tasking.escalations SET status = 'stopped', due_at = NULL WHERE id = $1`, [escalationId]);
    }
  });

  it('starts on an incident opened, and lets the policy for a raised severity take over', async () => {
    const sev1Policy = randomUUID();
    await db.query(`INSERT INTO tasking.escalation_policies (id, current_version, created_at) VALUES ($1, 1, now())`, [sev1Policy]);
    await db.query(
      `INSERT INTO tasking.escalation_policy_versions (policy_id, version, name, steps, repeat, created_at, created_by) VALUES ($1, 1, 'sev1', $2, '{"times":0,"fromStep":1}', now(), 'test')`,
      [sev1Policy, JSON.stringify([{ targets: [{ type: 'team', teamId }], waitMinutes: 10 }])],
    );
    await db.query(`UPDATE tasking.escalation_routing SET rules = $1 WHERE id = 1`, [JSON.stringify([{ match: { severities: ['SEV1'] }, policyId: sev1Policy }])]);
    const handler = new EscalationEventsHandler(defaultTriggers(), clock, logger, undefined);
    const incidentId = randomUUID();
    incidents.push(incidentId);
    const snapshot: IncidentSnapshot = {
      incidentId,
      title: 'Phish',
      severity: 'SEV3',
      category: 'phishing',
      phase: 'detected',
      exercise: false,
      alertCount: 1,
      version: 1,
      timestamps: { occurredAt: clock.now().toISOString(), detectedAt: clock.now().toISOString(), declaredAt: clock.now().toISOString(), acknowledgedAt: null, containedAt: null, eradicatedAt: null, recoveredAt: null, closedAt: null },
    };
    const deliver = (event: CloudEvent) => db.transaction((m) => handler.handle(event, m, { afterCommit: (fn) => fn() }));
    const opened = createEvent(IncidentOpenedV1, { source: '/test', subject: incidentId, time: clock.now(), data: { incident: snapshot, alert: { alertId: randomUUID(), dedupKey: 'k', title: 'Phish', source: 'mail', receivedAt: clock.now().toISOString() } } });
    await deliver(opened);
    await deliver(opened); // redelivered: still one escalation
    const classified = createEvent(IncidentClassifiedV1, {
      source: '/test',
      subject: incidentId,
      time: clock.now(),
      data: { incident: { ...snapshot, severity: 'SEV1', version: 2 }, previous: { category: 'phishing', severity: 'SEV3', functionalImpact: 'low', informationImpact: 'none', recoverability: 'regular' }, actor: 'u-alice', reason: 'payroll data' },
    });
    await deliver(classified);
    const rows: Array<{ trigger_kind: string; policy_id: string; status: string; stop_reason: string | null }> = await db.query(
      `SELECT trigger_kind, policy_id, status, stop_reason FROM tasking.escalations WHERE incident_id = $1 ORDER BY started_at, trigger_kind`,
      [incidentId],
    );
    expect(rows).toEqual([
      { trigger_kind: 'incident-opened', policy_id: policyId, status: 'stopped', stop_reason: 'superseded: severity raised from SEV3 to SEV1' },
      { trigger_kind: 'severity-raised', policy_id: sev1Policy, status: 'active', stop_reason: null },
    ]);
    await runner(db).runDue();
    expect(await pages(incidentId)).toEqual(['0.1: Irene']);
    await db.query(`UPDATE tasking.escalations SET status = 'stopped', due_at = NULL WHERE incident_id = $1`, [incidentId]);
  });
  it('takes a run of attached alerts once per incident, from its newest snapshot: two raises in one run are one escalation', async () => {
    const handler = new EscalationEventsHandler(defaultTriggers(), clock, logger, undefined);
    const attachedRun = handler.handlers().find((r) => r.type === IncidentAlertAttachedV1.type);
    expect(attachedRun?.kind).toBe('run');
    const [stormy, quiet] = [randomUUID(), randomUUID()];
    incidents.push(stormy, quiet);
    const at = clock.now().toISOString();
    const snapshot = (incidentId: string, severity: IncidentSnapshot['severity'], version: number): IncidentSnapshot => ({
      incidentId,
      title: 'Storm',
      severity,
      category: 'malware',
      phase: 'detected',
      exercise: false,
      alertCount: version,
      version,
      timestamps: { occurredAt: at, detectedAt: at, declaredAt: at, acknowledgedAt: at, containedAt: null, eradicatedAt: null, recoveredAt: null, closedAt: null },
    });
    const facts = (incident: IncidentSnapshot) =>
      db.query(
        `INSERT INTO tasking.incident_facts (incident_id, title, severity, category, phase, exercise, restricted, asset_criticality, acknowledged_at, version)
         VALUES ($1, $2, $3, $4, $5, false, false, NULL, now(), $6)`,
        [incident.incidentId, incident.title, incident.severity, incident.category, incident.phase, incident.version],
      );
    await facts(snapshot(stormy, 'SEV3', 1));
    await facts(snapshot(quiet, 'SEV3', 1));
    // One partition's run: the storm raises its incident to SEV2, then SEV1; the other stays SEV3.
    const run = [
      snapshot(stormy, 'SEV3', 2),
      snapshot(quiet, 'SEV3', 2),
      snapshot(stormy, 'SEV2', 3),
      snapshot(stormy, 'SEV1', 4),
      snapshot(quiet, 'SEV3', 3),
      snapshot(stormy, 'SEV1', 5),
    ].map((incident, i) => {
      const event = createEvent(IncidentAlertAttachedV1, {
        source: '/test',
        subject: incident.incidentId,
        time: clock.now(),
        data: { incident, alert: { alertId: randomUUID(), dedupKey: `storm-${i}`, title: 'Storm', source: 'edr', receivedAt: at } },
      });
      const meta = { id: event.id, type: event.type, source: event.source, time: event.time, subject: event.subject, topic: 'vigil.incidents.v1', partition: 0, offset: String(i), afterCommit: (fn: () => void) => fn() };
      return { event, meta };
    });
    if (attachedRun?.kind !== 'run') throw new Error('alert-attached must be handled run-wise');
    await db.transaction((m) => attachedRun.handle(run as never, m));

    const escalations: Array<{ incident_id: string; trigger_kind: string; reason: string }> = await db.query(
      `SELECT incident_id, trigger_kind, reason FROM tasking.escalations WHERE incident_id = ANY($1::uuid[]) ORDER BY incident_id`,
      [[stormy, quiet]],
    );
    expect(escalations).toEqual([{ incident_id: stormy, trigger_kind: 'severity-raised', reason: 'severity raised from SEV3 to SEV1' }]);
    const stored: Array<{ incident_id: string; severity: string; version: number }> = await db.query(
      `SELECT incident_id, severity, version FROM tasking.incident_facts WHERE incident_id = ANY($1::uuid[])`,
      [[stormy, quiet]],
    );
    expect(Object.fromEntries(stored.map((r) => [r.incident_id, [r.severity, r.version]]))).toEqual({ [stormy]: ['SEV1', 5], [quiet]: ['SEV3', 3] });
    await db.query(`UPDATE tasking.escalations SET status = 'stopped', due_at = NULL WHERE incident_id = $1`, [stormy]);
  });
  it('pages one wave for tasks past their SLA together, and again for a breach after that escalation was acknowledged', async () => {
    const handler = new EscalationEventsHandler(defaultTriggers(), clock, logger, undefined);
    const incidentId = randomUUID();
    incidents.push(incidentId);
    await db.query(
      `INSERT INTO tasking.incident_facts (incident_id, title, severity, category, phase, exercise, restricted, asset_criticality, acknowledged_at, version)
       VALUES ($1, 'Ransomware', 'SEV2', 'ransomware', 'contained', false, false, NULL, now(), 3)`,
      [incidentId],
    );
    const breach = (title: string) =>
      createEvent(TaskSlaBreachedV1, {
        source: '/test',
        subject: incidentId,
        time: clock.now(),
        data: { taskId: randomUUID(), incidentId, title, phase: 'contained', role: 'system_administrator', assignee: null, severity: 'SEV2', mandatory: true, dueAt: clock.now().toISOString(), breachedAt: clock.now().toISOString(), exercise: false },
      });
    const deliver = (event: CloudEvent) => db.transaction((m) => handler.handle(event, m, { afterCommit: (fn) => fn() }));
    const escalations = (): Promise<Array<{ id: string; status: string; reason: string }>> =>
      db.query(`SELECT id, status, reason FROM tasking.escalations WHERE incident_id = $1 AND trigger_kind = 'task-sla-breached' ORDER BY started_at, id`, [incidentId]);

    // Three tasks of the playbook fall due together (and the first breach is redelivered): one escalation.
    const first = breach('Isolate the hosts');
    for (const event of [first, breach('Protect the backups'), breach('Reset the credentials'), first]) await deliver(event);
    const wave = await escalations();
    expect(wave).toEqual([{ id: expect.any(String), status: 'active', reason: 'task "Isolate the hosts" (contained, system_administrator) passed its SLA (due ' + clock.now().toISOString() + ')' }]);
    await runner(db).runDue();
    expect(await pages(incidentId)).toEqual(['0.1: Alice']);

    // Acknowledged: the next task past its SLA, a minute later, pages again, with an escalation of its own.
    await db.transaction((m) => stopEscalations(m, { escalationIds: [wave[0].id] }, { reason: 'acknowledged', detail: null, actor: 'u-alice', at: clock.now() }));
    clock.advance(MINUTE);
    await deliver(breach('Notify the data protection officer'));
    expect((await escalations()).map((e) => [e.status, e.reason])).toEqual([
      ['acknowledged', wave[0].reason],
      ['active', 'task "Notify the data protection officer" (contained, system_administrator) passed its SLA (due ' + clock.now().toISOString() + ')'],
    ]);
    await runner(db).runDue();
    expect(await pages(incidentId)).toEqual(['0.1: Alice', '0.1: Alice']);
    await db.query(`UPDATE tasking.escalations SET status = 'stopped', due_at = NULL WHERE incident_id = $1 AND status = 'active'`, [incidentId]);
  });
});
