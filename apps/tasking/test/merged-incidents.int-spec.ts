import { createEvent, IncidentMergedV1, IncidentOpenedV1, toKafkaHeaders, Topics, type IncidentSnapshot } from '@vigil/contracts';
import { randomUUID } from 'node:crypto';
import { createIntegration, eventually, http, incidentAction, kafkaProducer, startService, withDatabase, type ServiceProcess } from '../../../test/support/harness';

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

  it("cancels the open tasks of merged incidents with the reason, keeps the target's and done ones, and puts it on the timeline", async () => {
    const [target, merged] = [await openIncident(), await openIncident()];
    // One of the merged incident's tasks was done before the merge: it stays done.
    const [done] = await tasksOf(merged);
    await withDatabase((db) => db.query(`UPDATE tasking.tasks SET status = 'done' WHERE id = $1`, [done.taskId]));

    const res = await incidentAction(`${triage.url}/v1/incidents/${target}`, 'merge', { incidentIds: [merged], reason: 'same intrusion' });
    expect(res.status).toBe(200);

    const after = await eventually(async () => {
      const tasks = await tasksOf(merged);
      return tasks.filter((t) => t.status === 'cancelled').length === 5 ? tasks : undefined;
    });
    expect(after.find((t) => t.taskId === done.taskId)).toMatchObject({ status: 'done', cancelledAt: null, cancelReason: null });
    for (const task of after.filter((t) => t.taskId !== done.taskId)) {
      expect(task).toMatchObject({ status: 'cancelled', cancelledAt: expect.any(String), cancelReason: `incident merged into ${target} by u-tester: same intrusion` });
    }
    expect((await tasksOf(target)).map((t) => t.status)).toEqual(Array(6).fill('open'));

    const timeline = await eventually(async () => {
      const entries: Array<{ type: string; summary: string }> = (await http('GET', `${reporting.url}/v1/incidents/${merged}/timeline`)).json?.entries ?? [];
      const cancelled = entries.filter((e) => e.type === 'vigil.task.cancelled.v1');
      return cancelled.length === 5 ? cancelled : undefined;
    });
    expect(timeline[0].summary).toMatch(new RegExp(`^Task cancelled: .+ \\(incident merged into ${target} by u-tester: same intrusion\\)$`));

  });

  it('makes no tasks for an incident whose merge is read before its opening (they travel on different partitions)', async () => {
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
    const [target, early, control] = [randomUUID(), randomUUID(), randomUUID()];
    const merge = createEvent(IncidentMergedV1, {
      source: '/test',
      subject: target,
      data: { incident: { ...snapshot(target), alertCount: 2, version: 2 }, mergedIncidentIds: [early], alertsMoved: 1, actor: 'u-alice', reason: 'same intrusion' },
    });
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
});
