import { createEvent, IncidentAssignedV1, IncidentOpenedV1, toKafkaHeaders, Topics, type CloudEvent, type IncidentSnapshot } from '@vigil/contracts';
import { randomUUID } from 'node:crypto';
import pino from 'pino';
import { DataSource } from 'typeorm';
import { as, createIntegration, eventually, http, incidentAction, kafkaProducer, startService, testEnv, type ServiceProcess } from '../../../test/support/harness';
import type { Clock } from '../src/escalation/clock';
import { SlaWatcher } from '../src/tasks/watch-slas/sla-watcher';

type TaskView = {
  taskId: string;
  stepKey?: string;
  title: string;
  status: string;
  mandatory: boolean;
  dependsOn: string[];
  gates: string[];
  blocked?: boolean;
  blockedBy?: string[];
  dueAt: string;
  action?: { kind: string; connector: string };
  slaBreachedAt?: string | null;
};

/**
 * Playbooks and their tasks over the real path (intake → triage → Kafka → tasking → reporting):
 * the ransomware playbook's tasks with dependencies and gates, a blocked start refused, an SLA breach
 * (on a hand-set clock) published and on the timeline, closing refused while mandatory tasks are
 * open, validation naming what is wrong, a version move showing added and dropped steps, and
 * import/export round trips.
 */
describe('playbooks and tasks (real Kafka and PostgreSQL)', () => {
  let intake: ServiceProcess;
  let triage: ServiceProcess;
  let tasking: ServiceProcess;
  let reporting: ServiceProcess;
  let apiKey: string;
  let db: DataSource;
  const testKey = `test-${randomUUID().slice(0, 8)}`;

  beforeAll(async () => {
    [intake, triage, tasking, reporting] = await Promise.all([startService('intake'), startService('triage'), startService('tasking'), startService('reporting')]);
    ({ apiKey } = await createIntegration(intake.url, 'canonical'));
    db = new DataSource({ type: 'postgres', url: testEnv().serviceUrls.tasking, poolSize: 2 });
    await db.initialize();
  }, 180_000);

  afterAll(async () => {
    // The test playbook must not catch other suites' incidents.
    if (tasking) await http('DELETE', `${tasking.url}/v1/playbooks/${testKey}`, undefined, await as('irene'));
    await db?.destroy();
    await Promise.all([intake, triage, tasking, reporting].filter(Boolean).map((s) => s.stop()));
  });

  const tasksOf = async (incidentId: string, headers: Record<string, string> = {}): Promise<TaskView[]> =>
    (await http('GET', `${tasking.url}/v1/incidents/${incidentId}/tasks`, undefined, headers)).json.items;
  const task = (tasks: TaskView[], key: string) => tasks.find((t) => t.stepKey === key)!;

  async function openIncident(category: string): Promise<{ incidentId: string; path: string }> {
    const res = await http('POST', `${intake.url}/v1/alerts`, { title: `Playbook ${category} ${randomUUID()}`, source: 'edr', severity: 'critical', category }, { authorization: `Bearer ${apiKey}` });
    expect(res.status).toBe(202);
    const placed = await eventually(async () => {
      const a = await http('GET', `${triage.url}/v1/alerts/${res.json.alertId}`);
      return a.status === 200 && a.json.incidentId ? a.json : undefined;
    }, 60_000);
    return { incidentId: placed.incidentId, path: `${triage.url}/v1/incidents/${placed.incidentId}` };
  }

  let ransomware: { incidentId: string; path: string };
  let tasks: TaskView[];

  it('gives a ransomware incident the ransomware playbook: its steps as tasks, with dependencies, gates and actions', async () => {
    ransomware = await openIncident('ransomware');
    tasks = await eventually(async () => {
      const list = await tasksOf(ransomware.incidentId);
      return list.length === 12 ? list : undefined;
    }, 60_000);
    const playbook = await http('GET', `${tasking.url}/v1/incidents/${ransomware.incidentId}/playbook`);
    expect(playbook.json).toMatchObject({ incidentId: ransomware.incidentId, playbook: 'ransomware', version: 1, recoveryWatchDays: 30 });
    expect(task(tasks, 'eradicate-malware')).toMatchObject({ dependsOn: ['isolate-hosts'], gates: ['preserve-evidence'], mandatory: true, status: 'open', blocked: true });
    expect(task(tasks, 'eradicate-malware').blockedBy).toEqual(['isolate-hosts', 'preserve-evidence', 'phase:eradicated']);
    expect(task(tasks, 'isolate-hosts')).toMatchObject({ action: { kind: 'isolate_host', connector: 'edr' }, blockedBy: expect.arrayContaining(['scope-encryption']) });
    expect(task(tasks, 'scope-encryption')).toMatchObject({ blocked: false, blockedBy: [] });
    // The recovery watch window reached triage.
    await eventually(async () => {
      const r = await withTriage((q) => q(`SELECT recovery_watch_days FROM triage.incidents WHERE id = $1`, [ransomware.incidentId]));
      return r[0]?.recovery_watch_days === 30 ? true : undefined;
    });
  });

  async function withTriage<T>(fn: (q: (sql: string, params: unknown[]) => Promise<any[]>) => Promise<T>): Promise<T> {
    const ds = new DataSource({ type: 'postgres', url: testEnv().serviceUrls.triage, poolSize: 1 });
    await ds.initialize();
    try {
      return await fn((sql, params) => ds.query(sql, params));
    } finally {
      await ds.destroy();
    }
  }

  it('refuses to start a blocked task (409 naming its open dependencies), starts one that is not, and keeps gates from being skipped', async () => {
    const sam = await as('sam');
    const start = (key: string, headers = sam) => http('POST', `${tasking.url}/v1/incidents/${ransomware.incidentId}/tasks/${task(tasks, key).taskId}/start`, {}, headers);
    const blocked = await start('eradicate-malware');
    expect(blocked.status).toBe(409);
    expect(blocked.json).toMatchObject({ title: 'Task blocked', blockedBy: ['isolate-hosts', 'preserve-evidence', 'phase:eradicated'], openDependencies: ['isolate-hosts', 'preserve-evidence'] });
    expect(blocked.json.detail).toBe('Task eradicate-malware cannot start: its dependencies isolate-hosts, preserve-evidence are not done and the incident has not reached the eradicated phase.');
    expect((await http('POST', `${tasking.url}/v1/incidents/${ransomware.incidentId}/tasks/${task(tasks, 'eradicate-malware').taskId}/completion`, {}, sam)).status).toBe(409);

    const started = await start('scope-encryption', await as('alice'));
    expect(started.status).toBe(200);
    expect(started.json).toMatchObject({ status: 'in_progress', startedBy: 'u-alice', assignee: 'u-alice' });
    expect((await start('scope-encryption', await as('alice'))).status).toBe(200); // again: no change

    const skip = (key: string, body: unknown) => http('POST', `${tasking.url}/v1/incidents/${ransomware.incidentId}/tasks/${task(tasks, key).taskId}/skip`, body, sam);
    expect((await skip('protect-backups', {})).json.errors).toEqual([expect.objectContaining({ pointer: '/reason' })]);
    const gate = await skip('preserve-evidence', { reason: 'no time' });
    expect(gate.status).toBe(409);
    expect(gate.json).toMatchObject({ gates: ['close-entry-point', 'eradicate-malware'] });
    expect((await skip('legal-and-notification', { reason: 'counsel engaged outside Vigil' })).json).toMatchObject({ status: 'skipped', skipReason: 'counsel engaged outside Vigil' });

    const note = await http('POST', `${tasking.url}/v1/incidents/${ransomware.incidentId}/tasks/${task(tasks, 'scope-encryption').taskId}/notes`, { text: 'LockBit 3.0 note on fs-01', evidenceUrl: 'https://evidence.example.com/case/1/note.txt' }, await as('alice'));
    expect(note.status).toBe(201);
    const assigned = await http('POST', `${tasking.url}/v1/incidents/${ransomware.incidentId}/tasks/${task(tasks, 'isolate-hosts').taskId}/assignment`, { assignee: 'u-sam' }, await as('irene'));
    expect(assigned.json).toMatchObject({ assignee: 'u-sam', role: 'system_administrator' });
    // Nobody may work the tasks of an incident they cannot see; management can read, not work.
    expect((await start('protect-backups', await as('maria'))).status).toBe(403);

    // Once its dependency is done and the incident is in containment, the task starts.
    for (const to of ['triaged', 'contained']) expect((await incidentAction(ransomware.path, 'transition', { to }, await as('irene'))).status).toBe(200);
    expect((await http('POST', `${tasking.url}/v1/incidents/${ransomware.incidentId}/tasks/${task(tasks, 'scope-encryption').taskId}/completion`, {}, await as('alice'))).status).toBe(200);
    await eventually(async () => ((await tasksOf(ransomware.incidentId)).find((t) => t.stepKey === 'isolate-hosts')?.blocked === false ? true : undefined));
    expect((await start('isolate-hosts')).json).toMatchObject({ status: 'in_progress' });
  });

  it('publishes an SLA breach once, on an injected clock, and reporting puts it on the timeline', async () => {
    const due = task(tasks, 'protect-backups').dueAt;
    const clock: Clock = { now: () => new Date(Date.parse(due) + 1000) };
    // Batches of one: a call reports every task due, however many batches that takes (other tasks,
    // of this incident and of earlier suites' incidents, fall due before this one).
    const watcher = new SlaWatcher(db, clock, 60_000, pino({ level: 'silent' }), undefined, 1);
    const earlier = await db.query(
      `SELECT count(*)::int AS n FROM tasking.tasks t LEFT JOIN tasking.incident_facts f USING (incident_id)
        WHERE t.status IN ('open', 'in_progress') AND t.sla_breached_at IS NULL AND t.due_at <= $1
          AND (f.phase IS NULL OR f.phase NOT IN ('closed', 'false_positive', 'merged'))`,
      [clock.now()],
    );
    expect(earlier[0].n).toBeGreaterThan(1);
    expect(await watcher.runDue()).toBeGreaterThanOrEqual(earlier[0].n);
    const [row] = await db.query(`SELECT sla_breached_at FROM tasking.tasks WHERE id = $1`, [task(tasks, 'protect-backups').taskId]);
    expect(row.sla_breached_at.toISOString()).toBe(clock.now().toISOString());
    // Not twice; not for a skipped or done task.
    await watcher.runDue();
    const breaches = await db.query(
      `SELECT count(*)::int AS n FROM tasking.tasks WHERE incident_id = $1 AND sla_breached_at IS NOT NULL AND status IN ('skipped', 'done')`,
      [ransomware.incidentId],
    );
    expect(breaches[0].n).toBe(0);
    const entry = await eventually(async () => {
      const t = await http('GET', `${reporting.url}/v1/incidents/${ransomware.incidentId}/timeline`);
      return t.json?.entries?.find((e: { type: string; summary: string }) => e.type === 'vigil.task.sla-breached.v1' && e.summary.includes('Take the backups offline'));
    }, 60_000);
    expect(entry.summary).toMatch(/^Task SLA breached \(SEV\d, contained, due .*\): Take the backups offline and confirm they are intact$/);
    expect((await tasksOf(ransomware.incidentId)).find((t) => t.stepKey === 'protect-backups')?.slaBreachedAt).toBe(clock.now().toISOString());
  });

  it('refuses to close an incident while mandatory tasks are open, naming them', async () => {
    const { incidentId, path } = await openIncident('denial_of_service');
    await eventually(async () => ((await tasksOf(incidentId)).length === 7 ? true : undefined), 60_000);
    const irene = await as('irene');
    expect((await incidentAction(path, 'acknowledge', {}, irene)).status).toBe(200);
    for (const to of ['triaged', 'contained', 'eradicated', 'recovered', 'post_incident']) expect((await incidentAction(path, 'transition', { to }, irene)).status).toBe(200);
    const refused = await eventually(async () => {
      const r = await incidentAction(path, 'transition', { to: 'closed' }, irene);
      return r.status === 409 && r.json.openMandatoryTasks?.length === 3 ? r : undefined;
    });
    expect(refused.json.title).toBe('Mandatory tasks open');
    expect(refused.json.openMandatoryTasks.map((t: { title: string }) => t.title).sort()).toEqual(
      ['Characterise the attack (vector, volume, targeted services, sources)', 'Engage the ISP or DDoS mitigation provider and divert traffic to scrubbing', 'Return to normal routing and remove emergency filters that hurt real users'].sort(),
    );
    expect(refused.json.detail).toContain('3 mandatory tasks are not done');
    // Done or skipped, they no longer hold it: the review is what remains.
    const list = await tasksOf(incidentId);
    for (const key of ['characterise-attack', 'engage-provider', 'confirm-attack-ended']) {
      expect((await http('POST', `${tasking.url}/v1/incidents/${incidentId}/tasks/${task(list, key).taskId}/completion`, {}, irene)).status).toBe(200);
    }
    expect((await http('POST', `${tasking.url}/v1/incidents/${incidentId}/tasks/${task(list, 'restore-normal-routing').taskId}/skip`, { reason: 'routing never changed' }, irene)).status).toBe(200);
    const next = await eventually(async () => {
      const r = await incidentAction(path, 'transition', { to: 'closed' }, irene);
      return r.status === 409 && !r.json.openMandatoryTasks ? r : undefined;
    });
    expect(next.json.title).toBe('Review not completed');
  });

  it('names what is wrong with a playbook: a cycle, an unknown role, a gate on a missing step, a duplicate key', async () => {
    const irene = await as('irene');
    const sla = { SEV1: 10, SEV2: 20, SEV3: 30, SEV4: 40 };
    const bad = await http(
      'POST',
      `${tasking.url}/v1/playbooks`,
      {
        key: testKey,
        name: 'Broken',
        steps: [
          { key: 'a', phase: 'triaged', title: 'A', role: 'security_analyst', sla, dependsOn: ['b'] },
          { key: 'b', phase: 'contained', title: 'B', role: 'janitor', sla, dependsOn: ['a'], gates: ['nowhere'] },
          { key: 'a', phase: 'recovered', title: 'A again', role: 'ir_manager', sla },
        ],
      },
      irene,
    );
    expect(bad.status).toBe(422);
    expect(bad.headers.get('content-type')).toContain('application/problem+json');
    expect(bad.json.errors).toEqual(
      expect.arrayContaining([
        { pointer: '/steps/2/key', detail: 'duplicate step key a (also step 0)' },
        expect.objectContaining({ pointer: '/steps/1/role', detail: expect.stringContaining('unknown role janitor') }),
        { pointer: '/steps/1/gates/0', detail: 'step b is gated on nowhere, which is not a step of this playbook' },
        { pointer: '/steps/0/dependsOn', detail: 'dependency cycle: a → b → a' },
      ]),
    );
    // Only admins and IR managers write playbooks.
    expect((await http('POST', `${tasking.url}/v1/playbooks`, { key: testKey, name: 'x', steps: [] }, await as('alice'))).status).toBe(403);
  });

  it('moves an open incident to a newer version of its playbook, showing the added and dropped steps', async () => {
    const irene = await as('irene');
    const sla = { SEV1: 600, SEV2: 600, SEV3: 600, SEV4: 600 };
    const v1 = {
      key: testKey,
      name: 'Policy violation (test)',
      conditions: { categories: ['policy_violation'] },
      recoveryWatchDays: 3,
      steps: [
        { key: 'interview', phase: 'triaged', title: 'Interview the user', role: 'security_analyst', sla, mandatory: true },
        { key: 'revoke', phase: 'contained', title: 'Revoke the exception', role: 'system_administrator', sla, dependsOn: ['interview'] },
        { key: 'lessons', phase: 'post_incident', title: 'Lessons learned', role: 'ir_manager', sla },
      ],
    };
    const created = await http('POST', `${tasking.url}/v1/playbooks`, v1, irene);
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({ key: testKey, version: 1, publishedBy: 'u-irene' });
    expect((await http('POST', `${tasking.url}/v1/playbooks`, v1, irene)).status).toBe(409);

    const { incidentId } = await openIncident('policy_violation');
    const before = await eventually(async () => {
      const list = await tasksOf(incidentId);
      return list.length === 3 ? list : undefined;
    }, 60_000);
    expect(before.map((t) => t.stepKey)).toEqual(['interview', 'revoke', 'lessons']);

    const v2 = { ...v1, recoveryWatchDays: 5, steps: [v1.steps[0], { key: 'train', phase: 'recovered', title: 'Refresher training', role: 'communications', sla }, v1.steps[2]] };
    const published = await http('PUT', `${tasking.url}/v1/playbooks/${testKey}`, v2, irene);
    expect(published.json).toMatchObject({ version: 2 });
    // Version 1 is as it was; the incident still follows it.
    expect((await http('GET', `${tasking.url}/v1/playbooks/${testKey}/versions/1`)).json.steps.map((s: { key: string }) => s.key)).toEqual(['interview', 'revoke', 'lessons']);
    expect((await http('GET', `${tasking.url}/v1/incidents/${incidentId}/playbook`)).json).toMatchObject({ version: 1, latestVersion: 2 });

    // Only an IR manager moves an incident.
    expect((await http('POST', `${tasking.url}/v1/incidents/${incidentId}/playbook/move`, {}, await as('alice'))).status).toBe(403);
    const moved = await http('POST', `${tasking.url}/v1/incidents/${incidentId}/playbook/move`, { reason: 'v2 adds training' }, irene);
    expect(moved.status).toBe(200);
    expect(moved.json).toEqual({ incidentId, playbook: testKey, fromVersion: 1, toVersion: 2, addedSteps: ['train'], droppedSteps: ['revoke'], keptSteps: ['interview', 'lessons'] });
    const after = await tasksOf(incidentId);
    expect(task(after, 'revoke')).toMatchObject({ status: 'cancelled', cancelReason: expect.stringContaining(`step dropped by ${testKey} version 2`) });
    expect(task(after, 'train')).toMatchObject({ status: 'open' });
    expect((await http('POST', `${tasking.url}/v1/incidents/${incidentId}/playbook/move`, {}, irene)).status).toBe(409);
    // The move is on the timeline, and triage has the new watch window.
    await eventually(async () => {
      const t = await http('GET', `${reporting.url}/v1/incidents/${incidentId}/timeline`);
      return t.json?.entries?.some((e: { summary: string }) => e.summary === `Playbook ${testKey} version 2 moved from version 1 by u-irene (added: train; dropped: revoke)`) ? true : undefined;
    }, 60_000);
    await eventually(async () => ((await withTriage((q) => q(`SELECT recovery_watch_days FROM triage.incidents WHERE id = $1`, [incidentId])))[0]?.recovery_watch_days === 5 ? true : undefined));
  });

  it('gives recovery tasks the recovery time objective of the incident\'s business service, and follows a change of it', async () => {
    // Triage's events, as triage publishes them when the incident's assets carry an RTO.
    const incidentId = randomUUID();
    const declaredAt = new Date(Date.now() - 60_000);
    const snapshot = (version: number, rto: number | null): IncidentSnapshot => ({
      incidentId,
      title: `RTO ${incidentId}`,
      severity: 'SEV2',
      category: 'ransomware',
      phase: 'triaged',
      exercise: false,
      alertCount: 1,
      version,
      timestamps: { occurredAt: declaredAt.toISOString(), detectedAt: declaredAt.toISOString(), declaredAt: declaredAt.toISOString(), acknowledgedAt: null, containedAt: null, eradicatedAt: null, recoveredAt: null, closedAt: null },
      recoveryTimeObjectiveMinutes: rto,
    });
    const send = async (event: CloudEvent) => {
      const producer = kafkaProducer();
      try {
        await producer.send({ messages: [{ topic: Topics.incidents, key: incidentId, value: JSON.stringify(event.data), headers: toKafkaHeaders(event) }] });
      } finally {
        await producer.close();
      }
    };
    await send(createEvent(IncidentOpenedV1, { source: '/test', subject: incidentId, data: { incident: snapshot(1, 600), alert: { alertId: randomUUID(), dedupKey: `rto-${incidentId}`, title: 't', source: 'test', receivedAt: declaredAt.toISOString() } } }));
    const dueOf = async (key: string) => (await tasksOf(incidentId)).find((t) => t.stepKey === key)?.dueAt;
    const at = (minutes: number) => new Date(declaredAt.getTime() + minutes * 60_000).toISOString();
    await eventually(async () => ((await tasksOf(incidentId)).length === 12 ? true : undefined), 60_000);
    // Recovery steps are due within the RTO; the others keep their SLA (SEV2).
    expect(await dueOf('restore-from-backup')).toBe(at(600));
    expect(await dueOf('verify-recovery')).toBe(at(600));
    expect(await dueOf('isolate-hosts')).toBe(at(60));
    // A tighter RTO later (another asset joined): the recovery tasks follow; none set: back to their SLA.
    await send(createEvent(IncidentAssignedV1, { source: '/test', subject: incidentId, data: { incident: snapshot(2, 240), owner: 'u-irene', responders: [], actor: 'u-irene' } }));
    await eventually(async () => ((await dueOf('restore-from-backup')) === at(240) ? true : undefined));
    expect(await dueOf('verify-recovery')).toBe(at(240));
    await send(createEvent(IncidentAssignedV1, { source: '/test', subject: incidentId, data: { incident: snapshot(3, null), owner: 'u-irene', responders: [], actor: 'u-irene' } }));
    await eventually(async () => ((await dueOf('restore-from-backup')) === at(5760) ? true : undefined));
    expect(await dueOf('verify-recovery')).toBe(at(7200));
  });

  it.each(['yaml', 'json'] as const)('exports a playbook as %s and imports it back as the next version', async (format) => {
    const irene = await as('irene');
    const exported = await http('GET', `${tasking.url}/v1/playbooks/ransomware/export?format=${format}`, undefined, irene);
    expect(exported.status).toBe(200);
    expect(exported.headers.get('content-type')).toContain(format === 'yaml' ? 'application/yaml' : 'application/json');
    const text = exported.text.replace(/^key: ransomware$/m, `key: ${testKey}-${format}`).replace('"key": "ransomware"', `"key": "${testKey}-${format}"`);
    // Imported under another key, so the shipped playbook stays as it is for other suites; retired after.
    const imported = await http('POST', `${tasking.url}/v1/playbooks/import`, text, { ...irene, 'content-type': format === 'yaml' ? 'application/yaml' : 'application/json' });
    expect(imported.status).toBe(200);
    expect(imported.json).toMatchObject({ key: `${testKey}-${format}`, version: 1, recoveryWatchDays: 30 });
    const again = await http('POST', `${tasking.url}/v1/playbooks/import`, text, { ...irene, 'content-type': format === 'yaml' ? 'application/yaml' : 'application/json' });
    expect(again.json.version).toBe(2);
    const reexported = await http('GET', `${tasking.url}/v1/playbooks/${testKey}-${format}/export?format=${format}`, undefined, irene);
    expect(reexported.text).toBe(text);
    // A broken file is named.
    const broken = await http('POST', `${tasking.url}/v1/playbooks/import`, 'key: [oops', { ...irene, 'content-type': 'application/yaml' });
    expect(broken.status).toBe(422);
    expect(broken.json.detail).toMatch(/^Not YAML/);
    expect((await http('DELETE', `${tasking.url}/v1/playbooks/${testKey}-${format}`, undefined, irene)).status).toBe(204);
  });
});
