import { chmodSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { createIntegration, eventually, freePort, http, readTopic, serveStack, startService, type ServiceProcess } from './support/harness';

/**
 * A 202 means the alert is safe: with the broker down intake still accepts, and every accepted
 * alert is published exactly once when the broker is back; with the database down intake
 * answers 503 with Retry-After and writes nothing partial. Intake gets its own PostgreSQL and
 * Kafka here, so that stopping them disturbs no other test.
 */
describe('intake through outages', () => {
  const work = mkdtempSync(join(tmpdir(), 'vigil-outage-'));
  chmodSync(work, 0o755);
  let pgPort: number;
  let kafkaPorts: [number, number];
  let pg: { info: { url: string }; stop(): Promise<void> };
  let kafka: { info: { brokers: string }; stop(): Promise<void> } | undefined;
  let intake: ServiceProcess;
  let apiKey: string;

  const startOwnKafka = () =>
    serveStack<{ brokers: string }>(['kafka', '--data-dir', join(work, 'kafka'), '--port', String(kafkaPorts[0]), '--controller-port', String(kafkaPorts[1])]);
  const startOwnPostgres = () => serveStack<{ url: string }>(['postgres', '--data-dir', join(work, 'pg'), '--port', String(pgPort)]);

  beforeAll(async () => {
    pgPort = await freePort();
    kafkaPorts = [await freePort(), await freePort()];
    [pg, kafka] = await Promise.all([startOwnPostgres(), startOwnKafka()]);
    const provisioned = await serveStack<{ urls: Record<string, string> }>(['provision', '--database-url', pg.info.url, '--brokers', kafka.info.brokers]);
    intake = await startService('intake', { DATABASE_URL: provisioned.info.urls.intake, KAFKA_BROKERS: kafka.info.brokers });
    ({ apiKey } = await createIntegration(intake.url, 'canonical'));
  }, 180_000);

  afterAll(async () => {
    await intake?.stop();
    await kafka?.stop();
    await pg?.stop();
  });

  const post = (dedupKey: string) =>
    http('POST', `${intake.url}/v1/alerts`, { title: `Outage ${dedupKey}`, source: 'test', severity: 'low', dedupKey }, { authorization: `Bearer ${apiKey}` });

  it('accepts alerts while Kafka is down and publishes each exactly once when it is back', async () => {
    await kafka!.stop();
    kafka = undefined;
    const keys = Array.from({ length: 30 }, () => `kafka-down-${randomUUID()}`);
    const ready = await http('GET', `${intake.url}/health/ready`);
    expect(ready.status).toBe(200); // still taking alerts: they wait in the outbox
    expect(ready.json.checks.kafka).toMatch(/^unavailable/);
    const answers = await Promise.all(keys.map(post));
    expect(answers.map((a) => a.status)).toEqual(keys.map(() => 202));
    const accepted = new Set(answers.map((a) => a.json.alertId as string));

    kafka = await startOwnKafka();
    const published = await readTopic(
      'vigil.alerts.v1',
      (messages) => {
        const mine = messages.filter((m) => m.key.startsWith('kafka-down-'));
        return mine.length >= keys.length ? mine : undefined;
      },
      60_000,
      kafka.info.brokers,
      3000, // would a duplicate follow?
    );
    const ids = published.map((m) => JSON.parse(m.value).alertId as string);
    expect(ids.length).toBe(keys.length);
    expect(new Set(ids)).toEqual(accepted);
  }, 180_000);

  it('answers 503 with Retry-After while PostgreSQL is down, writes nothing partial, and recovers', async () => {
    await pg.stop();
    const during = await Promise.all(Array.from({ length: 5 }, () => post(`pg-down-${randomUUID()}`)));
    for (const answer of during) {
      expect(answer.status).toBe(503);
      expect(answer.headers.get('retry-after')).toMatch(/^\d+$/);
      expect(answer.headers.get('content-type')).toContain('application/problem+json');
    }
    const ready = await http('GET', `${intake.url}/health/ready`);
    expect(ready.status).toBe(503);

    pg = await startOwnPostgres();
    const after = await eventually(async () => {
      const res = await post(`pg-back-${randomUUID()}`);
      return res.status === 202 ? res : undefined;
    }, 60_000, 500);
    expect(after.json.outcome).toBe('created');

    const db = new Client({ connectionString: pg.info.url });
    await db.connect();
    try {
      // Nothing of the refused requests was written: no alert and no event.
      const alerts = await db.query(`SELECT count(*)::int AS n FROM intake.alerts WHERE dedup_key LIKE 'pg-down-%'`);
      expect(alerts.rows[0].n).toBe(0);
      const events = await db.query(`SELECT count(*)::int AS n FROM intake.outbox WHERE message_key LIKE 'pg-down-%'`);
      expect(events.rows[0].n).toBe(0);
    } finally {
      await db.end();
    }
    // The alert accepted after recovery went out with its event.
    const published = await readTopic('vigil.alerts.v1', (m) => m.find((x) => JSON.parse(x.value).alertId === after.json.alertId), 30_000, kafka!.info.brokers);
    expect(published.headers.ce_type).toBe('vigil.alert.received.v1');
  }, 180_000);
});
