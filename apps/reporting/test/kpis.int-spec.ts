import {
  createEvent,
  IncidentOpenedV1,
  IncidentPhaseChangedV1,
  TaskCompletedV1,
  TaskCreatedV1,
  toKafkaHeaders,
  Topics,
  type CloudEvent,
  type IncidentSnapshot,
} from '@vigil/contracts';
import { randomUUID } from 'node:crypto';
import { eventually, http, kafkaProducer, startService, type ServiceProcess } from '../../../test/support/harness';

/**
 * The KPI API against a fixture computed by hand. The incidents are events on the real topics, as
 * triage and tasking would publish them, in a week of their own (3 to 10 March 2025) so that no
 * other test's incidents fall in it. One is an exercise and one was merged: neither counts.
 */
describe('KPIs (a hand-computed fixture over real Kafka)', () => {
  let reporting: ServiceProcess;
  const from = '2025-03-03T00:00:00.000Z';
  const to = '2025-03-10T00:00:00.000Z';
  const ids = Object.fromEntries(['A', 'B', 'C', 'D', 'E', 'F', 'G'].map((k) => [k, randomUUID()])) as Record<'A' | 'B' | 'C' | 'D' | 'E' | 'F' | 'G', string>;

  type Clock = Partial<IncidentSnapshot['timestamps']> & { occurredAt: string; detectedAt: string };
  const snapshot = (incidentId: string, s: Pick<IncidentSnapshot, 'severity' | 'category' | 'phase' | 'alertCount'> & { exercise?: boolean; version?: number; clock: Clock }): IncidentSnapshot => ({
    incidentId,
    title: `KPI fixture ${incidentId}`,
    severity: s.severity,
    category: s.category,
    phase: s.phase,
    exercise: s.exercise ?? false,
    alertCount: s.alertCount,
    version: s.version ?? 1,
    timestamps: {
      acknowledgedAt: null,
      containedAt: null,
      eradicatedAt: null,
      recoveredAt: null,
      closedAt: null,
      declaredAt: s.clock.detectedAt,
      ...s.clock,
    },
  });

  // The fixture. MTTD = detected − occurred, MTTA = acknowledged − detected, MTTC/MTTR from detection.
  const A = snapshot(ids.A, {
    severity: 'SEV1', category: 'ransomware', phase: 'recovered', alertCount: 3,
    clock: { occurredAt: '2025-03-03T10:00:00Z', detectedAt: '2025-03-03T10:05:00Z', acknowledgedAt: '2025-03-03T10:10:00Z', containedAt: '2025-03-03T11:05:00Z', recoveredAt: '2025-03-03T13:05:00Z' },
  }); // MTTD 300, MTTA 300 (target 900: met), MTTC 3600, MTTR 10800
  const B = snapshot(ids.B, {
    severity: 'SEV2', category: 'phishing', phase: 'recovered', alertCount: 1,
    clock: { occurredAt: '2025-03-04T09:00:00Z', detectedAt: '2025-03-04T09:01:00Z', acknowledgedAt: '2025-03-04T09:41:00Z', containedAt: '2025-03-04T10:01:00Z', recoveredAt: '2025-03-04T11:01:00Z' },
  }); // MTTD 60, MTTA 2400 (target 1800: missed), MTTC 3600, MTTR 7200
  const C = snapshot(ids.C, {
    severity: 'SEV3', category: 'phishing', phase: 'triaged', alertCount: 2,
    clock: { occurredAt: '2025-03-04T12:00:00Z', detectedAt: '2025-03-04T12:10:00Z', acknowledgedAt: '2025-03-04T12:20:00Z' },
  }); // MTTD 600, MTTA 600 (target 7200: met)
  const D = snapshot(ids.D, {
    severity: 'SEV4', category: 'malware', phase: 'false_positive', alertCount: 2,
    clock: { occurredAt: '2025-03-05T08:00:00Z', detectedAt: '2025-03-05T08:00:00Z', closedAt: '2025-03-05T08:30:00Z' },
  }); // MTTD 0, closed as a false positive after 1800 without acknowledgement (target 28800: met)
  const E = snapshot(ids.E, {
    severity: 'SEV2', category: 'phishing', phase: 'contained', alertCount: 5, exercise: true,
    clock: { occurredAt: '2025-03-05T09:00:00Z', detectedAt: '2025-03-05T09:02:00Z', acknowledgedAt: '2025-03-05T09:03:00Z', containedAt: '2025-03-05T09:10:00Z' },
  }); // an exercise: never counted
  const F = snapshot(ids.F, {
    severity: 'SEV1', category: 'ransomware', phase: 'merged', alertCount: 1,
    clock: { occurredAt: '2025-03-03T10:01:00Z', detectedAt: '2025-03-03T10:06:00Z' },
  }); // merged into another: counted there
  // SEV2, not SEV1: an unacknowledged SEV1 from 2025 would fire VigilSev1NotAcknowledged for every
  // later suite that shares this test database (its gauge reads reporting's whole table).
  const G = snapshot(ids.G, {
    severity: 'SEV2', category: 'malware', phase: 'detected', alertCount: 1,
    clock: { occurredAt: '2025-03-09T23:00:00Z', detectedAt: '2025-03-10T00:00:00Z' },
  }); // detected at the window's end, which is excluded

  const opened = (incident: IncidentSnapshot) =>
    createEvent(IncidentOpenedV1, {
      source: '/vigil/triage',
      subject: incident.incidentId,
      data: { incident, alert: { alertId: randomUUID(), dedupKey: `kpi-${incident.incidentId}`, title: incident.title, source: 'test', receivedAt: incident.timestamps.detectedAt } },
    });
  const task = (incidentId: string, dueAt: string, extra: Partial<{ actionItemId: string }> = {}) => {
    const taskId = randomUUID();
    return {
      taskId,
      created: createEvent(TaskCreatedV1, {
        source: '/vigil/tasking',
        subject: incidentId,
        data: { taskId, incidentId, playbook: 'default-v1', phase: 'contained', title: `Task ${taskId}`, role: 'system_administrator', status: 'open', dueAt, createdAt: '2025-03-03T10:06:00Z', ...extra },
      }),
      done: (completedAt: string) =>
        createEvent(TaskCompletedV1, { source: '/vigil/tasking', subject: incidentId, data: { taskId, incidentId, title: `Task ${taskId}`, completedAt, actor: 'u-sam', note: null, actionItemId: extra.actionItemId ?? null } }),
    };
  };

  async function publish(events: CloudEvent[]) {
    const producer = kafkaProducer();
    try {
      for (const e of events) {
        const topic = e.type.startsWith('vigil.task.') ? Topics.tasks : Topics.incidents;
        await producer.send({ messages: [{ topic, key: e.subject, value: JSON.stringify(e.data), headers: toKafkaHeaders(e) }] });
      }
    } finally {
      await producer.close();
    }
  }

  /** Percentiles are floating point: equal to the hand-computed figure to a millionth of a second. */
  function expectFigures(actual: Record<string, number>, expected: Record<string, number>) {
    expect(Object.keys(actual).sort()).toEqual(Object.keys(expected).sort());
    expect(actual.count).toBe(expected.count);
    for (const key of Object.keys(expected).filter((k) => k !== 'count')) expect([key, actual[key]]).toEqual([key, expect.closeTo(expected[key], 6)]);
  }

  const kpis = async (query = '') => (await http('GET', `${reporting.url}/v1/kpis?from=${from}&to=${to}&bucket=day${query}`)).json;

  beforeAll(async () => {
    reporting = await startService('reporting');
    // Tasks of A: done in time, done late, open and not due, open past due. One of the exercise's.
    const onTime = task(ids.A, '2025-03-03T12:00:00Z');
    const late = task(ids.A, '2025-03-03T12:00:00Z');
    const notDue = task(ids.A, '2099-01-01T00:00:00Z');
    const pastDue = task(ids.A, '2025-03-04T00:00:00Z');
    const exercise = task(ids.E, '2025-03-05T10:00:00Z');
    await publish([
      ...[A, B, C, D, E, F, G].map(opened),
      createEvent(IncidentPhaseChangedV1, { source: '/vigil/triage', subject: ids.A, data: { incident: { ...A, phase: 'post_incident', version: 2 }, from: 'recovered', to: 'post_incident', actor: 'u-sam', reason: null } }),
      onTime.created, late.created, notDue.created, pastDue.created, exercise.created,
      onTime.done('2025-03-03T11:00:00Z'), late.done('2025-03-03T13:00:00Z'), exercise.done('2025-03-05T09:30:00Z'),
    ]);
    // A's review opens from its phase change; its action items: open, overdue, and done through its task.
    const review = await eventually(async () => {
      const r = await http('GET', `${reporting.url}/v1/incidents/${ids.A}/review`);
      return r.status === 200 ? r.json : undefined;
    }, 60_000);
    expect(review.state).toBe('draft');
    const item = async (type: string, dueAt: string) => (await http('POST', `${reporting.url}/v1/incidents/${ids.A}/review/action-items`, { title: `${type} fix`, type, owner: 'u-alice', dueAt })).json.actionItemId as string;
    await item('detection', '2099-01-01T00:00:00Z');
    await item('control', '2025-04-01T00:00:00Z');
    const training = await item('training', '2099-01-01T00:00:00Z');
    const trainingTask = task(ids.A, '2099-01-01T00:00:00Z', { actionItemId: training });
    await publish([trainingTask.created, trainingTask.done('2025-03-06T12:00:00Z')]);
    await eventually(async () => {
      const k = await kpis();
      return k.incidents.count === 4 && k.taskSla.met + k.taskSla.missed + k.taskSla.pending === 5 && k.actionItems.done === 1 ? k : undefined;
    }, 60_000);
  }, 180_000);

  afterAll(async () => {
    await reporting?.stop();
  });

  it('counts the incidents of the window by severity and category, without exercises, merged incidents or the window\'s end', async () => {
    const k = await kpis();
    expect(k.window).toEqual({ from, to });
    expect(k.includesExercises).toBe(false);
    expect(k.incidents).toEqual({
      count: 4,
      bySeverity: [
        { severity: 'SEV1', count: 1 },
        { severity: 'SEV2', count: 1 },
        { severity: 'SEV3', count: 1 },
        { severity: 'SEV4', count: 1 },
      ],
      byCategory: [
        { category: 'phishing', count: 2 },
        { category: 'malware', count: 1 },
        { category: 'ransomware', count: 1 },
      ],
    });
  });

  it('computes MTTD, MTTA, MTTC and MTTR: count, mean, p50, p90 and p99 (linear interpolation between ranks)', async () => {
    const k = await kpis();
    // MTTD over [0, 60, 300, 600]: mean 240; p50 at rank 1.5 → 180; p90 at 2.7 → 510; p99 at 2.97 → 591.
    expectFigures(k.mttd, { count: 4, meanSeconds: 240, p50Seconds: 180, p90Seconds: 510, p99Seconds: 591 });
    // MTTA over [300, 600, 2400]: mean 1100; p50 600; p90 at rank 1.8 → 2040; p99 at 1.98 → 2364.
    expectFigures(k.mtta, { count: 3, meanSeconds: 1100, p50Seconds: 600, p90Seconds: 2040, p99Seconds: 2364 });
    // MTTC over [3600, 3600].
    expectFigures(k.mttc, { count: 2, meanSeconds: 3600, p50Seconds: 3600, p90Seconds: 3600, p99Seconds: 3600 });
    // MTTR over [7200, 10800]: mean 9000; p50 9000; p90 at 0.9 → 10440; p99 at 0.99 → 10764.
    expectFigures(k.mttr, { count: 2, meanSeconds: 9000, p50Seconds: 9000, p90Seconds: 10440, p99Seconds: 10764 });
  });

  it('computes the false-positive rate, alerts per incident and incidents by category per day', async () => {
    const k = await kpis();
    expect(k.falsePositives).toEqual({ count: 1, incidents: 4, rate: 0.25 });
    expect(k.alertsPerIncident).toEqual({ alerts: 8, incidents: 4, mean: 2 });
    expect(k.incidentsByCategoryOverTime).toEqual({
      bucket: 'day',
      series: [
        { start: '2025-03-03T00:00:00.000Z', counts: { ransomware: 1 } },
        { start: '2025-03-04T00:00:00.000Z', counts: { phishing: 2 } },
        { start: '2025-03-05T00:00:00.000Z', counts: { malware: 1 } },
        { start: '2025-03-06T00:00:00.000Z', counts: {} },
        { start: '2025-03-07T00:00:00.000Z', counts: {} },
        { start: '2025-03-08T00:00:00.000Z', counts: {} },
        { start: '2025-03-09T00:00:00.000Z', counts: {} },
      ],
    });
  });

  it('computes the acknowledgement and task SLAs, and the action items open, overdue and done', async () => {
    const k = await kpis();
    expect(k.acknowledgementSla).toEqual({ targetSeconds: { SEV1: 900, SEV2: 1800, SEV3: 7200, SEV4: 28800 }, met: 3, missed: 1, pending: 0, compliance: 0.75 });
    // A's tasks: on time, late, not due, past due, and the training action item's (not due, done in time).
    expect(k.taskSla).toEqual({ met: 2, missed: 2, pending: 1, compliance: 0.5 });
    expect(k.actionItems).toEqual({
      open: 2,
      overdue: 1,
      done: 1,
      byType: [
        { type: 'detection', open: 1, overdue: 0, done: 0 },
        { type: 'control', open: 1, overdue: 1, done: 0 },
        { type: 'playbook_change', open: 0, overdue: 0, done: 0 },
        { type: 'training', open: 0, overdue: 0, done: 1 },
      ],
    });
    expect(k.pages).toBeNull();
    expect(k.regulatoryDeadlines).toBeNull();
    expect(k.gaps.map((g: { figure: string }) => g.figure)).toEqual(['pages', 'page acknowledgement latency', 'regulatory deadlines met']);
  });

  it('filters by severity and category, and weekly buckets start on Monday', async () => {
    const phishing = await kpis('&category=phishing');
    expect(phishing.incidents.count).toBe(2);
    expect(phishing.mttd).toMatchObject({ count: 2, meanSeconds: 330 });
    const sev1 = await kpis('&severity=SEV1');
    expect(sev1.incidents.count).toBe(1);
    expect(sev1.actionItems.open).toBe(2);
    const weekly = (await http('GET', `${reporting.url}/v1/kpis?from=${from}&to=${to}&bucket=week`)).json;
    expect(weekly.incidentsByCategoryOverTime.series).toEqual([{ start: '2025-03-03T00:00:00.000Z', counts: { ransomware: 1, phishing: 2, malware: 1 } }]);
    expect((await http('GET', `${reporting.url}/v1/kpis?from=${to}&to=${from}`)).status).toBe(422);
  });

  it('leaves exercise incidents out of the real figures everywhere, the MTTx summary included', async () => {
    const summary = (await http('GET', `${reporting.url}/v1/metrics/summary?from=${from}&to=${to}`)).json;
    expect(summary.mttd.count).toBe(4);
    const withExercises = (await http('GET', `${reporting.url}/v1/metrics/summary?from=${from}&to=${to}&includeExercises=true`)).json;
    expect(withExercises.mttd.count).toBe(5); // with the exercise E only where asked for explicitly; the merged F never
  });

  it('reports the week to management as Markdown, with the same figures', async () => {
    const res = await http('GET', `${reporting.url}/v1/reports/periodic?period=week&start=2025-03-05`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/markdown');
    expect(res.text).toContain('# Incident response weekly report, 2025-03-03 to 2025-03-09');
    expect(res.text).toContain('- **Incidents detected:** 4 (previous week: 0)');
    expect(res.text).toContain('| MTTD | 4 | 4 min 0 s | 3 min 0 s | 8 min 30 s | 9 min 51 s |');
    expect(res.text).toContain('- **False-positive rate:** 25.0 %');
    expect(res.text).toContain('- **Action items overdue:** 1 of 2 open');
  });
});
