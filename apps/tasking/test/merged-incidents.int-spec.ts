import { createEvent, IncidentMergedV1, IncidentOpenedV1, toKafkaHeaders, Topics, type CloudEvent, type IncidentSnapshot } from '@vigil/contracts';
import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { createIntegration, eventually, http, incidentAction, kafkaProducer, startService, testEnv, withDatabase, type ServiceProcess } from '../../../test/support/harness';

/**
 * What tasking does when triage merges incidents: the merged incidents' open playbook tasks are
 * cancelled with the reason (the incident merged into has its own), done ones stay, and the
 * cancellation reaches the timeline. Over the real path: intake → triage → Kafka → tasking → reporting.
 */
describe('tasks of merged incidents (real Kafka and PostgreSQL)', () => {
  let intake: ServiceProcess;
  let triage: ServiceProcess;
  let tasking: ServiceProcess;
  let reporting: ServiceProcess;
  let apiKey: string;

  beforeAll(async () => {
    [intake, triage, tasking, reporting] = await Promise.all([startService('intake'), startService('triage'), startService('tasking'), startService('reporting')]);
    ({ apiKey } = await createIntegration(intake.url, 'canonical'));
  }, 180_000);

  afterAll(async () => {
    await Promise.all([intake, triage, tasking, reporting].filter(Boolean).map((s) => s.stop()));
  });

  type TaskView = { taskId: string; status: string; title: string; cancelledAt: string | null; cancelReason: string | null };
  const tasksOf = async (incidentId: string): Promise<TaskView[]> => (await http('GET', `${tasking.url}/v1/incidents/${incidentId}/tasks`)).json.items;

  async function openIncident(): Promise<string> {
    const res = await http('POST', `${intake.url}/v1/alerts`, { title: `Merge ${randomUUID()}`, source: 'edr', severity: 'high' }, { authorization: `Bearer ${apiKey}` });
    expect(res.status).toBe(202);
    const placed = await eventually(async () => {
      const a = await http('GET', `${triage.url}/v1/alerts/${res.json.alertId}`);
      return a.status === 200 && a.json.incidentId ? a.json : undefined;
    }, 60_000);
    // Its playbook tasks exist before the merge: the case where cancelling matters.
    await eventually(async () => ((await tasksOf(placed.incidentId)).length === 6 ? true : undefined), 60_000);
    return placed.incidentId;
  }

  const snapshot = (incidentId: string): IncidentSnapshot => ({
    incidentId,
    title: `Out of order ${incidentId}`,
    severity: 'SEV3',
    category: 'other',
    phase: 'detected',
    exercise: false,
    alertCount: 1,
    version: 1,
    timestamps: { occurredAt: new Date().toISOString(), detectedAt: new Date().toISOString(), declaredAt: new Date().toISOString(), acknowledgedAt: null, containedAt: null, eradicatedAt: null, recoveredAt: null, closedAt: null },
  });
  const opened = (incidentId: string) =>
    createEvent(IncidentOpenedV1, {
      source: '/test',
      subject: incidentId,
      data: { incident: snapshot(incidentId), alert: { alertId: randomUUID(), dedupKey: `ooo-${incidentId}`, title: 't', source: 'test', receivedAt: new Date().toISOString() } },
    });
  const merged = (target: string, ...incidentIds: string[]) =>
    createEvent(IncidentMergedV1, {
      source: '/test',
      subject: target,
      data: { incident: { ...snapshot(target), alertCount: 2, version: 2 }, mergedIncidentIds: incidentIds, alertsMoved: 1, actor: 'u-alice', reason: 'same intrusion' },
    });
  const statusesOf = async (incidentId: string): Promise<string[]> =>
    (await withDatabase((db) => db.query(`SELECT status FROM tasking.tasks WHERE incident_id = $1 ORDER BY status`, [incidentId]))).rows.map((r) => r.status);

  it("cancels the open tasks of merged incidents with the reason, keeps the target's and done ones, and puts it on the timeline", async () => {
    const [target, source] = [await openIncident(), await openIncident()];
    // One of the merged incident's tasks was done before the merge: it stays done.
    const [done] = await tasksOf(source);
    await withDatabase((db) => db.query(`UPDATE tasking.tasks SET status = 'done' WHERE id = $1`, [done.taskId]));

    const res = await incidentAction(`${triage.url}/v1/incidents/${target}`, 'merge', { incidentIds: [source], reason: 'same intrusion' });
    expect(res.status).toBe(200);

    const after = await eventually(async () => {
      const tasks = await tasksOf(source);
      return tasks.filter((t) => t.status === 'cancelled').length === 5 ? tasks : undefined;
    });
    expect(after.find((t) => t.taskId === done.taskId)).toMatchObject({ status: 'done', cancelledAt: null, cancelReason: null });
    for (const task of after.filter((t) => t.taskId !== done.taskId)) {
      expect(task).toMatchObject({ status: 'cancelled', cancelledAt: expect.any(String), cancelReason: `incident merged into ${target} by u-tester: same intrusion` });
    }
    expect((await tasksOf(target)).map((t) => t.status)).toEqual(Array(6).fill('open'));

    const timeline = await eventually(async () => {
      const entries: Array<{ type: string; summary: string }> = (await http('GET', `${reporting.url}/v1/incidents/${source}/timeline`)).json?.entries ?? [];
      const cancelled = entries.filter((e) => e.type === 'vigil.task.cancelled.v1');
      return cancelled.length === 5 ? cancelled : undefined;
    });
    expect(timeline[0].summary).toMatch(new RegExp(`^Task cancelled: .+ \\(incident merged into ${target} by u-tester: same intrusion\\)$`));

  });

  it('makes no tasks for an incident whose merge is read before its opening (they travel on different partitions)', async () => {
    const [target, early, control] = [randomUUID(), randomUUID(), randomUUID()];
    const merge = merged(target, early);
    const openedEarly = opened(early);
    const openedControl = opened(control);
    const producer = kafkaProducer();
    try {
      // The merge first, then the merged incident's opening: the order a consumer can see them in.
      await producer.send({ messages: [{ topic: Topics.incidents, key: target, value: JSON.stringify(merge.data), headers: toKafkaHeaders(merge) }] });
      await eventually(async () => {
        const r = await withDatabase((db) => db.query(`SELECT 1 FROM tasking.merged_incidents WHERE incident_id = $1`, [early]));
        return r.rowCount ? true : undefined;
      });
      await producer.send({
        messages: [openedEarly, openedControl].map((e) => ({ topic: Topics.incidents, key: e.subject, value: JSON.stringify(e.data), headers: toKafkaHeaders(e) })),
      });
    } finally {
      await producer.close();
    }
    // Both openings were applied (the inbox records each); only the one not merged got tasks.
    await eventually(async () => {
      const r = await withDatabase((db) => db.query(`SELECT count(*)::int AS n FROM tasking.inbox WHERE event_id = ANY($1)`, [[openedEarly.id, openedControl.id]]));
      return r.rows[0].n === 2 ? true : undefined;
    });
    expect(await tasksOf(control)).toHaveLength(6);
    expect(await tasksOf(early)).toEqual([]);
  });

  /** Sends events as they are (keyed by subject), to a chosen partition when given. */
  async function send(...events: Array<{ event: CloudEvent; partition?: number }>): Promise<void> {
    const producer = kafkaProducer();
    try {
      await producer.send({
        messages: events.map(({ event, partition }) => ({
          topic: Topics.incidents,
          key: event.subject,
          value: JSON.stringify(event.data),
          headers: toKafkaHeaders(event),
          ...(partition === undefined ? {} : { partition }),
        })),
      });
    } finally {
      await producer.close();
    }
  }
  const applied = async (...events: CloudEvent[]) =>
    (await withDatabase((db) => db.query(`SELECT count(*)::int AS n FROM tasking.inbox WHERE event_id = ANY($1)`, [events.map((e) => e.id)]))).rows[0].n === events.length;

  /**
   * An opening and a merge of the same incident, applied by the real consumer side by side (on two
   * partitions), with the first held open at its last write until the second has run: the exact
   * overlap in which, before the two took a common lock, the second read around the first's
   * uncommitted write and the merged incident kept open tasks. The first is held by locking
   * tasking's outbox against inserts from the test, for as long as it takes.
   */
  describe('an opening and a merge applied at the same moment', () => {
    /** Transactions of the tasking service waiting for a lock, by what they wait on. */
    const waiting = async () =>
      (
        await withDatabase((db) =>
          db.query(
            `SELECT wait_event AS lock, query FROM pg_stat_activity WHERE application_name = 'vigil-tasking' AND wait_event_type = 'Lock'`,
          ),
        )
      ).rows as Array<{ lock: string; query: string }>;
    const outboxWriters = async () => (await waiting()).filter((w) => w.lock === 'relation' && /^\s*INSERT INTO "tasking"\.outbox/.test(w.query)).length;

    async function overlap(first: CloudEvent, second: CloudEvent, expectWriters: { first: number }): Promise<{ secondWaited: boolean }> {
      const hold = new Client({ connectionString: testEnv().adminUrl });
      await hold.connect();
      try {
        await hold.query('BEGIN');
        await hold.query('LOCK TABLE tasking.outbox IN SHARE MODE');
        await send({ event: first, partition: 0 });
        // The first has done its work and waits to record its events: not committed.
        await eventually(async () => ((await outboxWriters()) >= expectWriters.first ? true : undefined), 60_000, 50);
        await send({ event: second, partition: 1 });
        // The second has either committed, or waits for the first (the lock they share), or reached the outbox too.
        const secondWaited = await eventually(async () => {
          if (await applied(second)) return false;
          const locks = await waiting();
          if (locks.some((w) => w.lock === 'advisory')) return true;
          return (await outboxWriters()) > expectWriters.first ? false : undefined;
        }, 60_000, 50);
        await hold.query('ROLLBACK');
        await eventually(async () => ((await applied(first, second)) ? true : undefined), 60_000);
        return { secondWaited };
      } finally {
        await hold.end();
      }
    }

    it('cancels the tasks of an opening that has not committed when the merge is applied', async () => {
      const [target, incident] = [randomUUID(), randomUUID()];
      const { secondWaited } = await overlap(opened(incident), merged(target, incident), { first: 1 });
      expect(await statusesOf(incident)).toEqual(Array(6).fill('cancelled'));
      expect(secondWaited).toBe(true); // the merge waited for the opening instead of reading around it
    });

    it('makes no tasks for an opening applied while its merge has not committed', async () => {
      // The merge also cancels the tasks of an incident that has them, so that it has events to record (and is held there).
      const [target, other, incident] = [randomUUID(), randomUUID(), randomUUID()];
      await send({ event: opened(other) });
      await eventually(async () => ((await statusesOf(other)).length === 6 ? true : undefined), 60_000);
      const { secondWaited } = await overlap(merged(target, other, incident), opened(incident), { first: 1 });
      expect(await statusesOf(incident)).toEqual([]);
      expect(await statusesOf(other)).toEqual(Array(6).fill('cancelled'));
      expect(secondWaited).toBe(true);
    });
  });

  it('leaves no merged incident with an open task when openings and merges arrive together on their partitions, many times (real path)', async () => {
    const pairs = Array.from({ length: 60 }, () => ({ target: randomUUID(), incident: randomUUID() }));
    const events = pairs.flatMap(({ target, incident }) => [opened(incident), merged(target, incident)]);
    // Each opening is keyed by its incident and each merge by its target: mostly different partitions, applied side by side.
    await send(...events.map((event) => ({ event })));
    await eventually(async () => ((await applied(...events)) ? true : undefined), 120_000);
    for (const { incident } of pairs) expect([incident, (await statusesOf(incident)).filter((s) => s === 'open')]).toEqual([incident, []]);
  });
});
