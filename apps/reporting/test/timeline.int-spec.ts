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
import { DataSource } from 'typeorm';
import { eventually, http, kafkaProducer, startService, testEnv, withDatabase, type ServiceProcess } from '../../../test/support/harness';
import { Initial1764000000000 } from '../src/persistence/migrations/1764000000000-initial';
import { TimelineRepeats1765300000000 } from '../src/persistence/migrations/1765300000000-timeline-repeats';

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
    // Triage reports a run of five more repeats as one event that says so: it counts five.
    const batched = createEvent(IncidentAlertAttachedV1, {
      source: '/vigil/triage',
      subject: incidentId,
      time: new Date(Date.parse(at(10 + repeats)) + 500),
      data: { incident: snapshot(repeats + 2, repeats + 6), alert: { ...alert, receivedAt: at(10 + repeats) }, correlatedBy: 'dedup_key', repeats: 5 },
    });
    await send([batched], IncidentAlertAttachedV1.topic, incidentId);

    type Entry = { type: string; at: string; lastAt: string; count: number; summary: string; eventId: string };
    const entries: Entry[] = await eventually(async () => {
      const res = await http('GET', `${reporting.url}/v1/incidents/${incidentId}/timeline`);
      const all: Entry[] = res.json?.entries ?? [];
      const counted = (type: string) => all.find((e) => e.type === type)?.count ?? 0;
      return counted(AlertRepeatedV1.type) === repeats && counted(IncidentAlertAttachedV1.type) === repeats + 5 ? all : undefined;
    }, 60_000);

    expect(entries.map((e) => e.type)).toEqual([AlertReceivedV1.type, IncidentOpenedV1.type, AlertRepeatedV1.type, IncidentAlertAttachedV1.type]);
    const [first, opening, repeat, attach] = entries;
    expect(first).toMatchObject({ count: 1, at: at(1), lastAt: at(1) });
    expect(opening).toMatchObject({ count: 1 });
    expect(repeat).toMatchObject({ count: repeats, at: at(10), lastAt: at(10 + repeats - 1), eventId: repeated[0].id, summary: `Alert seen again (${repeats + 1} occurrences)` });
    expect(attach).toMatchObject({ count: repeats + 5, eventId: attached[0].id, summary: `Alert attached (${repeats + 6} in all): Brute force on vpn-01` });

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
    expect(clock.rows[0]).toEqual({ version: repeats + 2, alert_count: repeats + 6 });
  });

  it('applies a run of several incidents\' events at once: each clock from its newest snapshot, a stale one changing nothing', async () => {
    const [a, b] = [randomUUID(), randomUUID()];
    const start = Date.parse('2026-11-29T08:00:00.000Z');
    const at = (seconds: number) => new Date(start + seconds * 1000).toISOString();
    const snapshot = (incidentId: string, version: number, alertCount: number, severity: IncidentSnapshot['severity'] = 'SEV3'): IncidentSnapshot => ({
      incidentId,
      title: `Run ${incidentId.slice(0, 8)}`,
      severity,
      category: 'malware',
      phase: 'detected',
      exercise: false,
      alertCount,
      version,
      timestamps: { occurredAt: at(0), detectedAt: at(1), declaredAt: at(2), acknowledgedAt: null, containedAt: null, eradicatedAt: null, recoveredAt: null, closedAt: null },
    });
    const alert = (n: number) => ({ alertId: randomUUID(), dedupKey: `run-${a}-${n}`, title: `Alert ${n}`, source: 'edr', receivedAt: at(n) });
    const alerts = [alert(1), alert(2), alert(3), alert(4), alert(5)];
    const opened = (incidentId: string, n: number) => createEvent(IncidentOpenedV1, { source: '/vigil/triage', subject: incidentId, data: { incident: snapshot(incidentId, 1, 1), alert: alerts[n] } });
    const attached = (incidentId: string, version: number, n: number, severity?: IncidentSnapshot['severity']) =>
      createEvent(IncidentAlertAttachedV1, { source: '/vigil/triage', subject: incidentId, data: { incident: snapshot(incidentId, version, version, severity), alert: alerts[n], correlatedBy: 'asset_category' } });
    // One produce, one key: one partition, one run, the two incidents' events interleaved; the
    // last one is a stale snapshot of a (a late duplicate from before its newest).
    await send([opened(a, 0), opened(b, 1), attached(a, 2, 2), attached(b, 2, 3, 'SEV1'), attached(a, 3, 4), attached(a, 2, 2)], IncidentOpenedV1.topic, a);

    const clocks = await eventually(async () => {
      const res = await withDatabase((db) =>
        db.query<{ incident_id: string; version: number; alert_count: number; severity: string }>(
          `SELECT incident_id, version, alert_count, severity FROM reporting.incident_clocks WHERE incident_id = ANY($1::uuid[]) ORDER BY incident_id`,
          [[a, b]],
        ),
      );
      const byId = new Map(res.rows.map((r) => [r.incident_id, r]));
      return byId.get(a)?.version === 3 && byId.get(b)?.version === 2 ? byId : undefined;
    }, 60_000);
    expect(clocks.get(a)).toMatchObject({ version: 3, alert_count: 3, severity: 'SEV3' });
    expect(clocks.get(b)).toMatchObject({ version: 2, alert_count: 2, severity: 'SEV1' });
    // Every alert linked to its incident, the newest link winning.
    const links = await withDatabase((db) =>
      db.query<{ alert_id: string; incident_id: string }>(`SELECT alert_id, incident_id FROM reporting.incident_alert_links WHERE alert_id = ANY($1::uuid[])`, [alerts.map((x) => x.alertId)]),
    );
    expect(Object.fromEntries(links.rows.map((r) => [r.alert_id, r.incident_id]))).toEqual({
      [alerts[0].alertId]: a,
      [alerts[1].alertId]: b,
      [alerts[2].alertId]: a,
      [alerts[3].alertId]: b,
      [alerts[4].alertId]: a,
    });
  });

  it('folds the per-repeat rows written before into one entry per alert when migrating', async () => {
    // A database of its own: the migration works on the reporting schema, which the service owns here.
    const database = `timeline_migration_${randomUUID().slice(0, 8)}`;
    await withDatabase((db) => db.query(`CREATE DATABASE ${database}`));
    const url = new URL(testEnv().adminUrl);
    url.pathname = `/${database}`;
    const dataSource = new DataSource({ type: 'postgres', url: url.toString(), extra: { max: 1 } });
    await dataSource.initialize();
    try {
      const q = dataSource.createQueryRunner();
      await q.query(`CREATE SCHEMA reporting`);
      await new Initial1764000000000().up(q);
      const [a, b] = [randomUUID(), randomUUID()];
      const row = (eventId: string, alertId: string | null, at: string, type: string, summary: string, incidentId: string | null = null) =>
        q.query(`INSERT INTO reporting.timeline_entries (event_id, incident_id, alert_id, at, type, source, summary) VALUES ($1, $2, $3, $4, $5, '/vigil/intake', $6)`, [
          eventId,
          incidentId,
          alertId,
          at,
          type,
          summary,
        ]);
      await row('a-received', a, '2026-11-29T06:00:00Z', AlertReceivedV1.type, 'Alert received');
      await row('a-2', a, '2026-11-29T06:02:00Z', AlertRepeatedV1.type, 'Alert seen again (3 occurrences)');
      await row('a-1', a, '2026-11-29T06:01:00Z', AlertRepeatedV1.type, 'Alert seen again (2 occurrences)');
      await row('a-3', a, '2026-11-29T06:03:00Z', AlertRepeatedV1.type, 'Alert seen again (4 occurrences)');
      await row('b-1', b, '2026-11-29T07:00:00Z', AlertRepeatedV1.type, 'Alert seen again (2 occurrences)');
      await row('incident-line', null, '2026-11-29T06:00:30Z', IncidentOpenedV1.type, 'Incident opened', randomUUID());

      await new TimelineRepeats1765300000000().up(q);
      await q.release();

      const rows = await dataSource.query(`SELECT event_id, at, last_at, count, summary, collapse_key FROM reporting.timeline_entries ORDER BY event_id`);
      expect(rows).toEqual([
        { event_id: 'a-1', at: new Date('2026-11-29T06:01:00Z'), last_at: new Date('2026-11-29T06:03:00Z'), count: 3, summary: 'Alert seen again (4 occurrences)', collapse_key: `repeated:${a}` },
        { event_id: 'a-received', at: new Date('2026-11-29T06:00:00Z'), last_at: null, count: 1, summary: 'Alert received', collapse_key: null },
        { event_id: 'b-1', at: new Date('2026-11-29T07:00:00Z'), last_at: null, count: 1, summary: 'Alert seen again (2 occurrences)', collapse_key: `repeated:${b}` },
        { event_id: 'incident-line', at: new Date('2026-11-29T06:00:30Z'), last_at: null, count: 1, summary: 'Incident opened', collapse_key: null },
      ]);
    } finally {
      await dataSource.destroy();
      await withDatabase((db) => db.query(`DROP DATABASE ${database}`)).catch(() => undefined);
    }
  });
});
