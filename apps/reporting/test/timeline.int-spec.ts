import {
  AlertReceivedV1,
  AlertRepeatedV1,
  createEvent,
  IncidentAlertAttachedV1,
  IncidentOpenedV1,
  toKafkaHeaders,
  type CloudEvent,
  type IncidentSnapshot,
} from '@vigil/contracts';
import { randomUUID } from 'node:crypto';
import { eventually, http, kafkaProducer, startService, withDatabase, type ServiceProcess } from '../../../test/support/harness';

/**
 * Reporting reads every alert. A storm of repeats of one alert — each a repeated event from intake
 * and an attached event from triage — is applied run-wise and becomes one counted entry of each
 * kind on the incident's timeline, not a row per repeat; the clock keeps the newest snapshot.
 * The events are produced straight onto the topics, as the other services would.
 */
describe('reporting timeline under repeats (real Kafka and PostgreSQL)', () => {
  let reporting: ServiceProcess;
  const producer = kafkaProducer();

  beforeAll(async () => {
    reporting = await startService('reporting');
  }, 120_000);

  afterAll(async () => {
    await reporting?.stop();
    await producer.close();
  });

  const send = (events: CloudEvent[], topic: string, key: string) =>
    producer.send({ messages: events.map((e) => ({ topic, key, value: JSON.stringify(e.data), headers: toKafkaHeaders(e) })) });

  it('folds the repeats of an alert into one entry with its count, first and last seen', async () => {
    const incidentId = randomUUID();
    const alertId = randomUUID();
    const dedupKey = `storm-${alertId}`;
    const start = Date.parse('2026-11-29T06:00:00.000Z');
    const at = (seconds: number) => new Date(start + seconds * 1000).toISOString();
    const snapshot = (version: number, alertCount: number): IncidentSnapshot => ({
      incidentId,
      title: 'Brute force on vpn-01',
      severity: 'SEV3',
      category: 'unauthorized_access',
      phase: 'detected',
      exercise: false,
      alertCount,
      version,
      timestamps: { occurredAt: at(0), detectedAt: at(1), declaredAt: at(2), acknowledgedAt: null, containedAt: null, eradicatedAt: null, recoveredAt: null, closedAt: null },
    });
    const alert = { alertId, dedupKey, title: 'Brute force on vpn-01', source: 'siem', receivedAt: at(1) };
    const received = createEvent(AlertReceivedV1, {
      source: '/vigil/intake',
      subject: dedupKey,
      data: { ...alert, severity: 'medium', occurredAt: at(0), labels: {}, assets: [], observables: [], exercise: false },
    });
    const opened = createEvent(IncidentOpenedV1, { source: '/vigil/triage', subject: incidentId, data: { incident: snapshot(1, 1), alert } });
    const repeats = 40;
    const repeated = Array.from({ length: repeats }, (_, i) =>
      createEvent(AlertRepeatedV1, { source: '/vigil/intake', subject: dedupKey, data: { alertId, dedupKey, occurrences: i + 2, lastSeenAt: at(10 + i), severity: 'medium', exercise: false } }),
    );
    const attached = Array.from({ length: repeats }, (_, i) =>
      createEvent(IncidentAlertAttachedV1, {
        source: '/vigil/triage',
        subject: incidentId,
        time: new Date(Date.parse(at(10 + i)) + 500),
        data: { incident: snapshot(2 + i, 2 + i), alert: { ...alert, receivedAt: at(10 + i) }, correlatedBy: 'dedup_key' },
      }),
    );
    await send([received], AlertReceivedV1.topic, dedupKey);
    await send([opened], IncidentOpenedV1.topic, incidentId);
    // Half in one produce (one run), half one at a time (runs of whatever is ready).
    await send(repeated.slice(0, repeats / 2), AlertRepeatedV1.topic, dedupKey);
    await send(attached.slice(0, repeats / 2), IncidentAlertAttachedV1.topic, incidentId);
    for (let i = repeats / 2; i < repeats; i++) {
      await send([repeated[i]], AlertRepeatedV1.topic, dedupKey);
      await send([attached[i]], IncidentAlertAttachedV1.topic, incidentId);
    }

    type Entry = { type: string; at: string; lastAt: string; count: number; summary: string; eventId: string };
    const entries: Entry[] = await eventually(async () => {
      const res = await http('GET', `${reporting.url}/v1/incidents/${incidentId}/timeline`);
      const all: Entry[] = res.json?.entries ?? [];
      const counted = (type: string) => all.find((e) => e.type === type)?.count ?? 0;
      return counted(AlertRepeatedV1.type) === repeats && counted(IncidentAlertAttachedV1.type) === repeats ? all : undefined;
    }, 60_000);

    expect(entries.map((e) => e.type)).toEqual([AlertReceivedV1.type, IncidentOpenedV1.type, AlertRepeatedV1.type, IncidentAlertAttachedV1.type]);
    const [first, opening, repeat, attach] = entries;
    expect(first).toMatchObject({ count: 1, at: at(1), lastAt: at(1) });
    expect(opening).toMatchObject({ count: 1 });
    expect(repeat).toMatchObject({ count: repeats, at: at(10), lastAt: at(10 + repeats - 1), eventId: repeated[0].id, summary: `Alert seen again (${repeats + 1} occurrences)` });
    expect(attach).toMatchObject({ count: repeats, eventId: attached[0].id, summary: `Alert attached (${repeats + 1} in all): Brute force on vpn-01` });

    // One row of each, not one per repeat; the clock holds the newest snapshot.
    const rows = await withDatabase((db) =>
      db.query<{ type: string; n: number }>(
        `SELECT type, count(*)::int AS n FROM reporting.timeline_entries WHERE incident_id = $1 OR alert_id = $2 GROUP BY type ORDER BY type`,
        [incidentId, alertId],
      ),
    );
    expect(Object.fromEntries(rows.rows.map((r) => [r.type, r.n]))).toEqual({
      [AlertReceivedV1.type]: 1,
      [AlertRepeatedV1.type]: 1,
      [IncidentAlertAttachedV1.type]: 1,
      [IncidentOpenedV1.type]: 1,
    });
    const clock = await withDatabase((db) => db.query<{ version: number; alert_count: number }>(`SELECT version, alert_count FROM reporting.incident_clocks WHERE incident_id = $1`, [incidentId]));
    expect(clock.rows[0]).toEqual({ version: repeats + 1, alert_count: repeats + 1 });
  });
});
