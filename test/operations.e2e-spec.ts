import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { randomUUID } from 'node:crypto';
import { as, eventually, freePort, http, startService, testEnv, withDatabase, type ServiceProcess } from './support/harness';

/**
 * A TCP relay between a service and PostgreSQL that the test can cut and restore: the database
 * goes away for that one service process and nothing else.
 */
async function cuttableLink(target: URL) {
  const port = await freePort();
  const sockets = new Set<Socket>();
  let server: Server | undefined;
  const track = (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => s.destroy());
  };
  const open = () =>
    new Promise<void>((resolve) => {
      server = createServer((client) => {
        const upstream = createConnection(Number(target.port), target.hostname);
        track(client);
        track(upstream);
        client.pipe(upstream).pipe(client);
        client.on('close', () => upstream.destroy());
        upstream.on('close', () => client.destroy());
      });
      server.listen(port, '127.0.0.1', () => resolve());
    });
  const cut = () =>
    new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      if (!server) return resolve();
      server.close(() => resolve());
      server = undefined;
    });
  await open();
  return { port, open, cut };
}

/**
 * Operations that keep a deployment healthy: readiness says whether a service can serve (its
 * database), reports Kafka without failing on it, and never shows raw error text; the tables that
 * would only grow are pruned by the running services.
 */
describe('operations', () => {
  let triage: ServiceProcess | undefined;
  let intake: ServiceProcess | undefined;
  let link: Awaited<ReturnType<typeof cuttableLink>>;
  let deadBroker: string;

  beforeAll(async () => {
    const env = testEnv();
    const direct = new URL(env.serviceUrls.triage);
    link = await cuttableLink(direct);
    const viaLink = new URL(direct);
    viaLink.hostname = '127.0.0.1';
    viaLink.port = String(link.port);
    // Nothing listens there: Kafka is down for this triage from its first moment.
    deadBroker = `127.0.0.1:${await freePort()}`;
    await Promise.all([
      startService('triage', { DATABASE_URL: viaLink.toString(), KAFKA_BROKERS: deadBroker, PRUNE_INTERVAL_SECONDS: '1' }).then((s) => (triage = s)),
      startService('intake', { PRUNE_INTERVAL_SECONDS: '1' }).then((s) => (intake = s)),
    ]);
  }, 180_000);

  afterAll(async () => {
    await Promise.all([triage?.stop(), intake?.stop()]);
    await link?.cut();
  });

  /** Text a probe's caller must never see: driver and network errors, hosts, ports, roles. */
  const leaks = (text: string) =>
    [/ECONNREFUSED/i, /ECONNRESET/i, /terminat/i, /timeout/i, /127\.0\.0\.1/, new RegExp(String(link.port)), new RegExp(deadBroker.split(':')[1]), /vigil_triage/, /password/i].filter((p) =>
      p.test(text),
    );

  it('keeps a service without Kafka in the load balancer: ready, degraded, and serving its API', async () => {
    const ready = await http('GET', `${triage!.url}/health/ready`);
    expect(ready.status).toBe(200);
    expect(ready.json).toEqual({ status: 'degraded', service: 'triage', checks: { database: 'ok', kafka: 'unavailable' } });
    expect(leaks(ready.text)).toEqual([]);
    // Analysts keep working: reads answer, and writes wait in the outbox for Kafka.
    const incidents = await http('GET', `${triage!.url}/v1/incidents`, undefined, await as('alice'));
    expect(incidents.status).toBe(200);
    const metrics = await http('GET', `${triage!.url}/metrics`);
    expect(metrics.text).toMatch(/vigil_dependency_up\{[^}]*dependency="kafka"[^}]*\} 0/);
    expect(metrics.text).toMatch(/vigil_dependency_up\{[^}]*dependency="database"[^}]*\} 1/);
  });

  it('takes a service without its database out, saying only which dependency is unavailable, and back in when it returns', async () => {
    await link.cut();
    try {
      const down = await eventually(async () => {
        const res = await http('GET', `${triage!.url}/health/ready`);
        return res.status === 503 ? res : undefined;
      }, 30_000);
      expect(down.headers.get('content-type')).toContain('application/problem+json');
      expect(down.headers.get('retry-after')).toMatch(/^\d+$/);
      expect(down.json).toMatchObject({ status: 503, checks: { database: 'unavailable', kafka: 'unavailable' } });
      expect(leaks(down.text)).toEqual([]);
    } finally {
      await link.open();
    }
    const back = await eventually(async () => {
      const res = await http('GET', `${triage!.url}/health/ready`);
      return res.status === 200 ? res : undefined;
    }, 30_000);
    expect(back.json.checks.database).toBe('ok');
  });

  it('prunes processed event ids and idempotency keys past the horizon in running services, and nothing younger', async () => {
    const run = randomUUID().slice(0, 8);
    const integration = randomUUID();
    await withDatabase(async (db) => {
      for (const schema of ['triage', 'intake']) {
        await db.query(
          `INSERT INTO "${schema}".inbox (consumer, event_id, event_type, topic, kafka_partition, kafka_offset, processed_at)
           SELECT 'vigil-test', $1 || '-' || n, 'vigil.alert.received.v1', 'vigil.alerts.v1', 0, n,
                  CASE WHEN n <= 3 THEN now() - interval '8 days' ELSE now() - interval '6 days' END
             FROM generate_series(1, 5) AS n`,
          [`prune-${run}`],
        );
      }
      await db.query(
        `INSERT INTO intake.idempotency_keys (integration_id, idempotency_key, request_hash, status_code, response, created_at)
         VALUES ($1, $2, 'h', 202, '{}', now() - interval '8 days'), ($1, $3, 'h', 202, '{}', now() - interval '2 days')`,
        [integration, `old-${run}`, `recent-${run}`],
      );
    });
    const left = () =>
      withDatabase(async (db) => ({
        triage: (await db.query(`SELECT event_id FROM triage.inbox WHERE event_id LIKE $1 ORDER BY event_id`, [`prune-${run}-%`])).rows.map((r) => r.event_id),
        intake: (await db.query(`SELECT event_id FROM intake.inbox WHERE event_id LIKE $1 ORDER BY event_id`, [`prune-${run}-%`])).rows.map((r) => r.event_id),
        keys: (await db.query(`SELECT idempotency_key FROM intake.idempotency_keys WHERE integration_id = $1`, [integration])).rows.map((r) => r.idempotency_key),
      }));
    const expected = { triage: [`prune-${run}-4`, `prune-${run}-5`], intake: [`prune-${run}-4`, `prune-${run}-5`], keys: [`recent-${run}`] };
    const pruned = await eventually(async () => {
      const now = await left();
      return JSON.stringify(now) === JSON.stringify(expected) ? now : undefined;
    }, 30_000);
    expect(pruned).toEqual(expected);
  });

  it('shuts a service down cleanly and promptly while Kafka is away', async () => {
    const started = Date.now();
    const exit = await triage!.stop();
    triage = undefined;
    expect(exit).toEqual({ code: 0, signal: null });
    expect(Date.now() - started).toBeLessThan(15_000);
  });
});
