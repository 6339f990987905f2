// `npm run bench:intake`: open-loop load at fixed arrival rates against a running intake with a
// real PostgreSQL and Kafka on this machine, and the same load against a bare Fastify route that
// only produces to Kafka (the ceiling). Prints accepted alerts/s, latency percentiles measured from
// each request's scheduled time (no coordinated omission), errors, and the rate at which Kafka
// received the alerts. Usage: npm run bench:intake [-- --seconds 10 --rates 1000,2000,3000 --batch-rates 200,300 --batch-size 100 --statements]
// (--statements: print the statements intake spent the database's time on, from pg_stat_statements)
import { Consumer, stringDeserializers } from '@platformatic/kafka';
import hdr from 'hdr-histogram-js';
import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import pgLib from 'pg';
import { Pool } from 'undici';
import { build } from '../build.mjs';
import { startKafka } from '../stack/kafka.mjs';
import { DEMO_AUDIENCE, DEMO_ROLE_MAPPING, DEMO_ROLES_CLAIM, demoLoginToken, startOidcProvider } from '../stack/oidc.mjs';
import { freePort } from '../stack/ports.mjs';
import { startPostgres } from '../stack/postgres.mjs';
import { printStatements, statementsSettings } from './statements.mjs';
import { provisionDatabase, provisionKafkaTopics, root } from '../stack/provision.mjs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { startServiceProcess } = require('../stack/services.cjs');

const { values: args } = parseArgs({
  options: {
    seconds: { type: 'string', default: '10' },
    rates: { type: 'string', default: '1000,2000,3000,4000' },
    'batch-rates': { type: 'string', default: '200,300,400' },
    'batch-size': { type: 'string', default: '100' },
    connections: { type: 'string', default: '128' },
    statements: { type: 'boolean', default: false },
  },
});
const seconds = Number(args.seconds);
const batchSize = Number(args['batch-size']);
const log = (m) => console.log(m);

let seq = 0;
const alert = (run) => ({ title: `Bench alert ${run}-${seq}`, source: 'bench', severity: 'low', dedupKey: `bench-${run}-${seq++}` });

/** Sends `rate` requests per second for `seconds`, each at its scheduled time, and measures. */
async function openLoop({ url, path, headers, rate, makeBody, alertsPerRequest, connections, duration = seconds }) {
  const pool = new Pool(url, { connections, pipelining: 1, keepAliveTimeout: 30_000 });
  const histogram = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: 3 });
  const total = Math.round(rate * duration);
  const started = performance.now();
  let ok = 0;
  let errors = 0;
  const statuses = {};
  const inflight = [];
  for (let i = 0; i < total; i++) {
    const due = started + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    const body = JSON.stringify(makeBody());
    inflight.push(
      pool
        .request({ method: 'POST', path, headers: { 'content-type': 'application/json', ...headers }, body })
        .then(async (res) => {
          await res.body.dump();
          statuses[res.statusCode] = (statuses[res.statusCode] ?? 0) + 1;
          if (res.statusCode === 202) ok++;
          else errors++;
        })
        .catch((e) => {
          statuses[e.code ?? 'error'] = (statuses[e.code ?? 'error'] ?? 0) + 1;
          errors++;
        })
        .finally(() => histogram.recordValue(Math.max(1, Math.round((performance.now() - due) * 1000)))),
    );
  }
  await Promise.all(inflight);
  const elapsed = (performance.now() - started) / 1000;
  await pool.close();
  const ms = (p) => (histogram.getValueAtPercentile(p) / 1000).toFixed(1);
  return {
    offered: rate * alertsPerRequest,
    acceptedPerSecond: Math.round((ok * alertsPerRequest) / elapsed),
    p50: ms(50),
    p99: ms(99),
    p999: ms(99.9),
    max: (histogram.maxValue / 1000).toFixed(1),
    errors,
    statuses,
    accepted: ok * alertsPerRequest,
  };
}

/** Counts alerts arriving on vigil.alerts.v1 and reports the rate between the first and the last. */
async function kafkaCounter(brokers) {
  const consumer = new Consumer({ clientId: 'bench-counter', groupId: `bench-${Date.now()}`, bootstrapBrokers: brokers.split(','), deserializers: stringDeserializers, maxWaitTime: 100 });
  const stream = await consumer.consume({ topics: ['vigil.alerts.v1'], mode: 'latest', autocommit: false });
  let count = 0;
  let first = 0;
  let last = 0;
  stream.on('data', () => {
    const now = performance.now();
    if (count++ === 0) first = now;
    last = now;
  });
  return {
    reset() {
      count = 0;
    },
    async waitFor(n, timeoutMs = 60_000) {
      const deadline = Date.now() + timeoutMs;
      while (count < n && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      return { received: count, perSecond: count > 1 ? Math.round(count / ((last - first) / 1000)) : 0 };
    },
    async close() {
      await stream.close();
      await consumer.close(true);
    },
  };
}

const row = (name, r, k) =>
  `| ${name} | ${r.offered} | ${r.acceptedPerSecond} | ${r.p50} | ${r.p99} | ${r.p999} | ${r.max} | ${r.errors} | ${k ? `${k.perSecond} (${k.received})` : '–'} |`;

async function main() {
  log(`intake benchmark — ${cpus().length} cores, ${seconds} s per step, everything on this machine`);
  await build({ quiet: true });
  const work = mkdtempSync(join(tmpdir(), 'vigil-bench-'));
  chmodSync(work, 0o755);
  const [pg, kafka] = await Promise.all([
    startPostgres({ dataDir: join(work, 'pg'), port: await freePort(), fresh: true, settings: args.statements ? statementsSettings : {} }),
    startKafka({ cacheDir: join(root, '.cache', 'kafka'), dataDir: join(work, 'kafka'), port: await freePort(), controllerPort: await freePort(), logFile: join(work, 'kafka.log'), fresh: true }),
  ]);
  const oidc = await startOidcProvider({});
  const stops = [() => kafka.stop(), () => pg.stop(), () => oidc.stop()];
  try {
    const urls = await provisionDatabase(pg.url, { intake: 'b1', triage: 'b2', tasking: 'b3', comms: 'b4', reporting: 'b5' });
    await provisionKafkaTopics(kafka.brokers, { partitions: 6, replicationFactor: 1, minInsyncReplicas: 1 });
    const { accessToken: adminToken } = await demoLoginToken(oidc.tokenEndpoint, 'adam');
    const port = await freePort();
    const intake = startServiceProcess('intake', {
      PORT: String(port), HOST: '127.0.0.1', DATABASE_URL: urls.intake, KAFKA_BROKERS: kafka.brokers, MIGRATIONS_RUN: 'true',
      LOG_LEVEL: 'warn', INTAKE_API_KEY_PEPPER: 'bench-pepper-0123456789', DATABASE_POOL_SIZE: '10',
      AUTH_ISSUER: oidc.issuer, AUTH_AUDIENCE: DEMO_AUDIENCE, AUTH_ROLES_CLAIM: DEMO_ROLES_CLAIM, AUTH_ROLE_MAPPING: JSON.stringify(DEMO_ROLE_MAPPING),
      ...(process.env.BENCH_PROFILE ? { NODE_OPTIONS: `--cpu-prof --cpu-prof-dir=${process.env.BENCH_PROFILE}` } : {}),
    });
    stops.unshift(() => intake.stop());
    await intake.waitReady();
    const created = await fetch(`${intake.url}/v1/integrations`, {
      method: 'POST', headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'bench', kind: 'canonical', rateLimitPerSecond: 1_000_000 }),
    }).then((r) => r.json());
    const headers = { authorization: `Bearer ${created.apiKey}` };

    const barePort = await freePort();
    const bare = spawn(process.execPath, [join(root, 'tools', 'bench', 'bare-producer.mjs')], { env: { ...process.env, PORT: String(barePort), KAFKA_BROKERS: kafka.brokers }, stdio: 'inherit' });
    stops.unshift(() => new Promise((r) => { bare.once('exit', r); bare.kill('SIGTERM'); }));
    for (let i = 0; i < 50; i++) {
      if (await fetch(`http://127.0.0.1:${barePort}/v1/alerts`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' }).then((r) => r.ok, () => false)) break;
      await new Promise((r) => setTimeout(r, 100));
    }

    const counter = await kafkaCounter(kafka.brokers);
    stops.unshift(() => counter.close());
    const connections = Number(args.connections);
    const run = Date.now().toString(36);
    const results = [];
    const step = async (name, target, rate, batch) => {
      // Warm up (JIT, connections, caches) without measuring.
      await openLoop({ url: target, path: batch ? '/v1/alerts:batch' : '/v1/alerts', headers, rate: Math.min(rate, 500), duration: 2, connections, alertsPerRequest: batch || 1, makeBody: () => (batch ? { alerts: Array.from({ length: batch }, () => alert(run)) } : alert(run)) });
      await new Promise((r) => setTimeout(r, 1500));
      counter.reset();
      const r = await openLoop({ url: target, path: batch ? '/v1/alerts:batch' : '/v1/alerts', headers, rate, connections, alertsPerRequest: batch || 1, makeBody: () => (batch ? { alerts: Array.from({ length: batch }, () => alert(run)) } : alert(run)) });
      const k = await counter.waitFor(r.accepted);
      results.push(row(name, r, k));
      log(row(name, r, k) + (r.errors ? `  statuses ${JSON.stringify(r.statuses)}` : ''));
      return r;
    };
    log('\n| step | offered alerts/s | accepted alerts/s | p50 ms | p99 ms | p99.9 ms | max ms | errors | Kafka received alerts/s (count) |');
    log('|---|---|---|---|---|---|---|---|---|');
    const ratios = [];
    for (const rate of args.rates.split(',').map(Number)) {
      const v = await step(`intake, single alerts @ ${rate}/s`, intake.url, rate, 0);
      const b = await step(`bare producer, single @ ${rate}/s`, `http://127.0.0.1:${barePort}`, rate, 0);
      ratios.push(`single @ ${rate}/s: intake/bare accepted = ${(v.acceptedPerSecond / b.acceptedPerSecond).toFixed(2)}, p99 ${v.p99} vs ${b.p99} ms`);
    }
    for (const rate of args['batch-rates'].split(',').map(Number)) {
      const v = await step(`intake, batches of ${batchSize} @ ${rate}/s`, intake.url, rate, batchSize);
      const b = await step(`bare producer, batches of ${batchSize} @ ${rate}/s`, `http://127.0.0.1:${barePort}`, rate, batchSize);
      ratios.push(`batches of ${batchSize} @ ${rate}/s: intake/bare accepted = ${(v.acceptedPerSecond / b.acceptedPerSecond).toFixed(2)}, p99 ${v.p99} vs ${b.p99} ms`);
    }
    log('\n' + ratios.join('\n'));
    if (args.statements) {
      const db = new pgLib.Client({ connectionString: pg.url });
      await db.connect();
      await printStatements(db, 'intake', log, 12).finally(() => db.end());
    }
  } finally {
    for (const stop of stops) await stop().catch((e) => console.error(e.message));
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
