// `npm run bench:placement`: how fast triage places alerts (suppression check, asset match,
// correlation under key locks, incident writes and events), end to end through a real intake,
// Kafka and PostgreSQL. A burst of alerts is posted to intake in batches; the figure is the rate at
// which triage records them, and how long each alert waited between intake's receipt and triage's
// decision (the delay before an analyst can see it on an incident).
// Usage: npm run bench:placement [-- --alerts 10000 --batch 100 --hosts 400 --replicas 1 --keep]
//   --replicas  triage processes sharing the consumer group (on this machine they share its cores)
//   --runs      also place alerts directly with triage's placeRun, in runs of these sizes (e.g. 1,100,500:
//               1 is one-by-one placement), one transaction per run, against the same database
//   --direct-only  skip the path through intake and Kafka (only --runs)
//   --statements  print the statements triage spent the database's time on (pg_stat_statements)
//   --keep      keep the data directory (PostgreSQL, Kafka and service logs)
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { build } from '../build.mjs';
import { startKafka } from '../stack/kafka.mjs';
import { DEMO_AUDIENCE, DEMO_ROLE_MAPPING, DEMO_ROLES_CLAIM, demoLoginToken, startOidcProvider } from '../stack/oidc.mjs';
import { freePort } from '../stack/ports.mjs';
import { startPostgres } from '../stack/postgres.mjs';
import { provisionDatabase, provisionKafkaTopics, root } from '../stack/provision.mjs';
import { printStatements, resetStatements, statementsSettings } from './statements.mjs';

const require = createRequire(import.meta.url);
const { startServiceProcess } = require('../stack/services.cjs');

const { values: args } = parseArgs({
  options: {
    alerts: { type: 'string', default: '10000' },
    batch: { type: 'string', default: '100' },
    hosts: { type: 'string', default: '400' },
    replicas: { type: 'string', default: '1' },
    seed: { type: 'string', default: '1' },
    statements: { type: 'boolean', default: false },
    runs: { type: 'string', default: '' },
    'direct-alerts': { type: 'string', default: '5000' },
    'direct-only': { type: 'boolean', default: false },
    keep: { type: 'boolean', default: false },
  },
});
const count = (name, min) => {
  const n = Number(args[name]);
  if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be an integer >= ${min}, not ${args[name]}`);
  return n;
};
const ALERTS = count('alerts', 1);
const BATCH = Math.min(count('batch', 1), 1000);
const HOSTS = count('hosts', 1);
const REPLICAS = count('replicas', 1);
const RUNS = args.runs ? args.runs.split(',').map((n) => {
  const size = Number(n);
  if (!Number.isInteger(size) || size < 1) throw new Error(`--runs takes run sizes (integers >= 1), not ${args.runs}`);
  return size;
}) : [];
const DIRECT_ALERTS = count('direct-alerts', 1);
const SEED = count('seed', 0) || 1;
let seed = SEED;

const log = (m) => console.log(m);
const fmt = (n) => n.toLocaleString('en-US');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
/** A small deterministic generator (mulberry32), so that runs are comparable. */
const random = () => {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};
const pick = (items) => items[Math.floor(random() * items.length)];

const CATEGORIES = ['malware', 'unauthorized_access', 'web_application_attack', 'phishing', 'denial_of_service'];
const SEVERITIES = ['info', 'low', 'medium', 'high', 'critical'];

/**
 * A SOC's burst: every alert new (its own dedup key), on one of `--hosts` hosts, in one of five
 * categories, a fifth of them `info` (they wait as pending alerts); a third name a source IP from a
 * shared pool, so that observable correlation joins hosts; a tenth of the hosts are registered assets.
 */
function makeAlert(run, i) {
  const host = Math.floor(random() * HOSTS);
  const severity = random() < 0.2 ? 'info' : pick(SEVERITIES.slice(1));
  return {
    title: `Bench ${pick(CATEGORIES)} on host-${host}`,
    source: pick(['edr', 'ids', 'siem']),
    severity,
    category: pick(CATEGORIES),
    dedupKey: `place-${run}-${i}`,
    assets: [{ hostname: `host-${host}.bench.example`, ip: `10.${host >> 8}.${host & 255}.10` }],
    ...(random() < 0.33 ? { observables: [{ type: 'ip', value: `203.0.113.${Math.floor(random() * 250)}` }] } : {}),
  };
}

/** An alert as intake publishes it (vigil.alert.received.v1), for placing without intake and Kafka. */
function receivedAlert(run, i) {
  const a = makeAlert(run, i);
  const now = new Date().toISOString();
  return { alertId: crypto.randomUUID(), dedupKey: a.dedupKey, title: a.title, source: a.source, severity: a.severity, category: a.category,
    occurredAt: now, receivedAt: now, labels: {}, assets: a.assets, observables: a.observables ?? [], exercise: false, format: 'canonical' };
}

/**
 * Placement alone: triage's placeRun (compiled, from dist/) against the same database, in runs of
 * each `--runs` size, one transaction per run, one run at a time — what the consumer's run-wise
 * handler does with a partition's ready events, without Kafka and the inbox.
 */
async function placeDirectly(triageUrl, log) {
  const { DataSource } = require('typeorm');
  const { placeRun } = require(join(root, 'dist/apps/triage/src/correlation/place-run.js'));
  const { Incident } = require(join(root, 'dist/apps/triage/src/persistence/incident.entity.js'));
  const { DEFAULT_SEVERITY_MATRIX } = require(join(root, 'dist/apps/triage/src/classification/severity-matrix.js'));
  const settings = { matrix: DEFAULT_SEVERITY_MATRIX, openFrom: 'low', recoveryWatchDays: 14 };
  const ds = new DataSource({ type: 'postgres', url: triageUrl, entities: [Incident], poolSize: 2 });
  await ds.initialize();
  try {
    // Each size starts from the same state and places the same alerts: no incidents yet, the same seed.
    const fresh = async () => {
      await ds.query(`TRUNCATE triage.alerts, triage.incident_keys, triage.incident_assets, triage.incidents, triage.outbox CASCADE`);
      seed = SEED;
    };
    const place = async (alerts, size) => {
      for (let i = 0; i < alerts.length; i += size) {
        const run = alerts.slice(i, i + size).map((alert) => ({ alert }));
        await ds.transaction((manager) => placeRun(manager, run, settings));
      }
    };
    // Warm-up (JIT, plans), not measured.
    await place(Array.from({ length: 500 }, (_, i) => receivedAlert(`dw${Date.now().toString(36)}`, i)), 100);
    log('');
    log(`placeRun directly against PostgreSQL: ${fmt(DIRECT_ALERTS)} alerts per size, one run per transaction, one at a time`);
    log('| run size | placed in | placed alerts/s | ms per run | incidents opened | load average |');
    log('|---|---|---|---|---|---|');
    for (const size of RUNS) {
      await fresh();
      const alerts = Array.from({ length: DIRECT_ALERTS }, (_, i) => receivedAlert(`d${size}`, i));
      const started = performance.now();
      await place(alerts, size);
      const seconds = (performance.now() - started) / 1000;
      const [{ opened }] = await ds.query(`SELECT count(*)::int AS opened FROM triage.incidents`);
      log(`| ${size} | ${seconds.toFixed(1)} s | ${fmt(Math.round(DIRECT_ALERTS / seconds))} | ${((seconds * 1000) / Math.ceil(DIRECT_ALERTS / size)).toFixed(1)} | ${fmt(opened)} | ${loadavg()[0].toFixed(1)} |`);
    }
    // The path through intake and Kafka starts from the same state.
    await fresh();
  } finally {
    await ds.destroy();
  }
}

async function main() {
  log(`triage placement benchmark — ${cpus().length} cores, ${fmt(ALERTS)} alerts in batches of ${BATCH}, ${REPLICAS} triage replica(s), everything on this machine`);
  await build({ quiet: true });
  const work = mkdtempSync(join(tmpdir(), 'vigil-bench-'));
  chmodSync(work, 0o755);
  const [db, kafka] = await Promise.all([
    startPostgres({ dataDir: join(work, 'pg'), port: await freePort(), fresh: true, settings: args.statements ? statementsSettings : {} }),
    startKafka({ cacheDir: join(root, '.cache', 'kafka'), dataDir: join(work, 'kafka'), port: await freePort(), controllerPort: await freePort(), logFile: join(work, 'kafka.log'), fresh: true }),
  ]);
  const oidc = await startOidcProvider({});
  const stops = [() => kafka.stop(), () => db.stop(), () => oidc.stop()];
  const admin = new pg.Client({ connectionString: db.url });
  try {
    const urls = await provisionDatabase(db.url, { intake: 'b1', triage: 'b2', tasking: 'b3', comms: 'b4', reporting: 'b5' });
    await provisionKafkaTopics(kafka.brokers, { partitions: 6, replicationFactor: 1, minInsyncReplicas: 1 });
    // Setting up (integrations, assets) needs an admin's token from the local OpenID provider.
    const { accessToken: adminToken } = await demoLoginToken(oidc.tokenEndpoint, 'adam');
    const auth = { AUTH_ISSUER: oidc.issuer, AUTH_AUDIENCE: DEMO_AUDIENCE, AUTH_ROLES_CLAIM: DEMO_ROLES_CLAIM, AUTH_ROLE_MAPPING: JSON.stringify(DEMO_ROLE_MAPPING) };
    const common = { HOST: '127.0.0.1', KAFKA_BROKERS: kafka.brokers, MIGRATIONS_RUN: 'true', LOG_LEVEL: 'warn', ...auth };
    const intake = startServiceProcess('intake', {
      ...common, PORT: String(await freePort()), DATABASE_URL: urls.intake,
      INTAKE_API_KEY_PEPPER: 'bench-pepper-0123456789',
    });
    stops.unshift(() => intake.stop());
    const triages = [];
    for (let r = 0; r < REPLICAS; r++) {
      const triage = startServiceProcess('triage', {
        ...common, PORT: String(await freePort()), DATABASE_URL: urls.triage,
        ...(process.env.BENCH_PROFILE ? { NODE_OPTIONS: `--cpu-prof --cpu-prof-dir=${process.env.BENCH_PROFILE}` } : {}),
      });
      stops.unshift(() => triage.stop());
      triages.push(triage);
    }
    await Promise.all([intake.waitReady(), ...triages.map((t) => t.waitReady())]);
    await admin.connect();

    // A tenth of the hosts are registered, with every criticality, so that asset matching does work.
    const registered = Array.from({ length: Math.ceil(HOSTS / 10) }, (_, i) => i * 10);
    await fetch(`${triages[0].url}/v1/assets:import`, {
      method: 'POST',
      headers: { 'content-type': 'text/csv', authorization: `Bearer ${adminToken}` },
      body: ['identifier,name,hostnames,criticality,data_classification', ...registered.map((h, i) => `asset-${h},Host ${h},host-${h}.bench.example,${['low', 'medium', 'high', 'critical'][i % 4]},internal`)].join('\n'),
    }).then(async (r) => {
      if (!r.ok) throw new Error(`asset import: ${r.status} ${await r.text()}`);
    });
    const created = await fetch(`${intake.url}/v1/integrations`, {
      method: 'POST', headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'bench', kind: 'canonical', rateLimitPerSecond: 1_000_000 }),
    }).then((r) => r.json());
    const post = (alerts) =>
      fetch(`${intake.url}/v1/alerts:batch`, {
        method: 'POST',
        headers: { authorization: `Bearer ${created.apiKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({ alerts }),
      }).then(async (r) => {
        if (r.status !== 200 && r.status !== 207 && r.status !== 202) throw new Error(`batch: ${r.status} ${await r.text()}`);
      });

    if (RUNS.length) {
      if (args.statements) await resetStatements(admin);
      await placeDirectly(urls.triage, log);
      if (args.statements && args['direct-only']) await printStatements(admin, 'triage', log);
    }
    if (args['direct-only']) return;

    // Warm-up: a few hundred alerts through the whole path (JIT, connections, plans), not measured.
    const warm = `w${Date.now().toString(36)}`;
    const warmCount = Math.min(500, ALERTS);
    for (let i = 0; i < warmCount; i += BATCH) await post(Array.from({ length: Math.min(BATCH, warmCount - i) }, (_, j) => makeAlert(warm, i + j)));
    const placedCount = async (run) =>
      (await admin.query(`SELECT count(*)::int AS n FROM triage.alerts WHERE dedup_key LIKE $1`, [`place-${run}-%`])).rows[0].n;
    while ((await placedCount(warm)) < warmCount) await sleep(100);

    if (args.statements) await resetStatements(admin);
    const run = `r${Date.now().toString(36)}`;
    const alerts = Array.from({ length: ALERTS }, (_, i) => makeAlert(run, i));
    const started = performance.now();
    const inflight = [];
    for (let i = 0; i < ALERTS; i += BATCH) {
      inflight.push(post(alerts.slice(i, i + BATCH)));
      if (inflight.length >= 8) await inflight.shift();
    }
    await Promise.all(inflight);
    const acceptedIn = (performance.now() - started) / 1000;
    let placed = 0;
    const timeline = [];
    const load = [];
    while (placed < ALERTS) {
      await sleep(250);
      placed = await placedCount(run);
      timeline.push([(performance.now() - started) / 1000, placed]);
      load.push(loadavg()[0]);
      if (performance.now() - started > 600_000) throw new Error(`only ${placed} of ${ALERTS} alerts placed after 10 minutes`);
    }
    const placedIn = (performance.now() - started) / 1000;

    const stats = (
      await admin.query(
        `SELECT count(*) FILTER (WHERE disposition = 'attached')::int AS attached,
                count(*) FILTER (WHERE disposition = 'pending')::int AS pending,
                count(*) FILTER (WHERE disposition = 'suppressed')::int AS suppressed,
                count(*) FILTER (WHERE correlated_by = 'opened')::int AS opened,
                count(*) FILTER (WHERE correlated_by = 'asset_category')::int AS by_asset,
                count(*) FILTER (WHERE correlated_by = 'observable')::int AS by_observable,
                percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM attached_at - received_at)) AS p50,
                percentile_cont(0.99) WITHIN GROUP (ORDER BY extract(epoch FROM attached_at - received_at)) AS p99,
                max(extract(epoch FROM attached_at - received_at)) AS max
           FROM triage.alerts WHERE dedup_key LIKE $1`,
        [`place-${run}-%`],
      )
    ).rows[0];
    // The steady rate: between a tenth and nine tenths placed (start-up and the tail left out).
    const at = (share) => timeline.find(([, n]) => n >= ALERTS * share)?.[0] ?? placedIn;
    const steady = (ALERTS * 0.8) / Math.max(0.001, at(0.9) - at(0.1));

    log('');
    log('| alerts | accepted by intake in | placed by triage in | placed alerts/s (overall) | placed alerts/s (10–90 %) | wait p50 s | wait p99 s | wait max s |');
    log('|---|---|---|---|---|---|---|---|');
    log(`| ${fmt(ALERTS)} | ${acceptedIn.toFixed(1)} s | ${placedIn.toFixed(1)} s | ${fmt(Math.round(ALERTS / placedIn))} | ${fmt(Math.round(steady))} | ${Number(stats.p50).toFixed(2)} | ${Number(stats.p99).toFixed(2)} | ${Number(stats.max).toFixed(2)} |`);
    log('');
    log(`attached ${fmt(stats.attached)} (opened ${fmt(stats.opened)} incidents, ${fmt(stats.by_asset)} by asset and category, ${fmt(stats.by_observable)} by observable), pending ${fmt(stats.pending)}, suppressed ${fmt(stats.suppressed)}`);
    if (args.statements) await printStatements(admin, 'triage', log);
    log(`load average during placement: ${(load.reduce((a, b) => a + b, 0) / load.length).toFixed(2)} (${cpus().length} cores)`);
  } finally {
    await admin.end().catch(() => undefined);
    for (const stop of stops) await stop().catch((e) => console.error(e.message));
    if (args.keep) log(`data kept in ${work}`);
    else rmSync(work, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
