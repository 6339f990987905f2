// Smoke test for the local stack: a fresh Kafka and PostgreSQL in a temp dir on
// free ports, one topic created, `select 1`, both stopped. Prints timings.
//   node tools/stack/smoke.mjs
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { ensureKafkaJars, startKafka } from './kafka.mjs';
import { freePort } from './ports.mjs';
import { startPostgres } from './postgres.mjs';

const repo = fileURLToPath(new URL('../..', import.meta.url));
const cacheDir = path.join(repo, '.cache', 'kafka');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-smoke-'));
fs.chmodSync(tmp, 0o755); // as root, PostgreSQL runs as user 'postgres' and must enter it

const t = () => performance.now();
const secs = (since) => `${((t() - since) / 1000).toFixed(2)} s`;
const ports = new Set();
while (ports.size < 3) ports.add(await freePort());
const [kafkaPort, controllerPort, pgPort] = ports;

let kafka;
let postgres;
try {
  let t0 = t();
  await ensureKafkaJars({ cacheDir });
  console.log(`kafka jars ready        ${secs(t0)}`);

  // Both at once, as `npm start` / test set-up would do.
  t0 = t();
  [kafka, postgres] = await Promise.all([
    startKafka({
      cacheDir, dataDir: path.join(tmp, 'kafka'), port: kafkaPort, controllerPort,
      logFile: path.join(tmp, 'kafka.log'), fresh: true,
    }).then((k) => (console.log(`kafka started           ${secs(t0)}  (${k.brokers}, pid ${k.pid})`), k)),
    startPostgres({ dataDir: path.join(tmp, 'pg'), port: pgPort, fresh: true })
      .then((p) => (console.log(`postgres started        ${secs(t0)}  (${p.url})`), p)),
  ]);

  // @platformatic/kafka needs Promise.withResolvers (Node >= 22).
  const lib = Promise.withResolvers ? await import('@platformatic/kafka').catch(() => null) : null;
  if (lib) {
    t0 = t();
    const admin = new lib.Admin({ clientId: 'vigil-smoke', bootstrapBrokers: [kafka.brokers] });
    try {
      await admin.createTopics({ topics: ['vigil.smoke'], partitions: 1, replicas: 1 });
      const topics = await admin.listTopics();
      if (!topics.includes('vigil.smoke')) throw new Error(`topic missing from ${topics}`);
    } finally {
      await admin.close();
    }
    console.log(`kafka topic created     ${secs(t0)}`);
  } else {
    console.log('kafka topic creation    skipped (@platformatic/kafka unavailable on this Node)');
  }

  t0 = t();
  const client = new pg.Client({ connectionString: postgres.url });
  await client.connect();
  const { rows } = await client.query('select 1 as one, current_database() as db, version() as v');
  await client.end();
  if (rows[0].one !== 1 || rows[0].db !== 'vigil') throw new Error(`unexpected ${JSON.stringify(rows)}`);
  console.log(`postgres select 1       ${secs(t0)}  (${rows[0].v.split(' on ')[0]})`);
} catch (e) {
  console.error(`SMOKE FAILED: ${e.stack ?? e}`);
  process.exitCode = 1;
} finally {
  const t0 = t();
  await Promise.all([kafka?.stop(), postgres?.stop()]);
  console.log(`stopped                 ${secs(t0)}`);
  if (process.exitCode) console.error(`logs kept in ${tmp}`);
  else fs.rmSync(tmp, { recursive: true, force: true });
}
