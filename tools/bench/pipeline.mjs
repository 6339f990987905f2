// The whole pipeline on this machine, for `npm run bench:e2e` and `npm run chaos`: PostgreSQL,
// Kafka, the OpenID provider, local chat and mail receivers, and the five services as separate
// processes (as `npm start` runs them); an open-loop load of a realistic alert mix over several
// ingest formats; and what is measured and checked from the outside only — HTTP answers, Kafka
// offsets (admin API), the services' tables read-only, /proc. Nothing here imports a service, so
// it measures whatever the services' code is today.
import { Admin, Consumer, Producer, stringDeserializers, stringSerializers } from '@platformatic/kafka';
import hdr from 'hdr-histogram-js';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { Pool } from 'undici';
import { startKafka } from '../stack/kafka.mjs';
import { DEMO_AUDIENCE, DEMO_ROLE_MAPPING, DEMO_ROLES_CLAIM, demoLoginToken, startOidcProvider } from '../stack/oidc.mjs';
import { freePort } from '../stack/ports.mjs';
import { startPostgres } from '../stack/postgres.mjs';
import { provisionDatabase, provisionKafkaTopics, root, SERVICES } from '../stack/provision.mjs';

const require = createRequire(import.meta.url);
const { startServiceProcess } = require('../stack/services.cjs');
const { startChatReceiver, startSmtpReceiver } = require('../stack/receivers.cjs');

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
export const fmt = (n) => (typeof n === 'number' ? n.toLocaleString('en-US') : String(n));
/** The groups whose lag is watched: every service that consumes (intake only produces). */
export const CONSUMERS = ['triage', 'tasking', 'comms', 'reporting'];
const TOPICS = ['vigil.alerts.v1', 'vigil.incidents.v1', 'vigil.tasks.v1', 'vigil.comms.v1', 'vigil.reviews.v1', 'vigil.escalations.v1'];
const PG_SETTINGS = { fsync: 'off', full_page_writes: 'off' };
/** Partitions of every topic (as provisioned by startPipeline). */
export const PARTITIONS = 6;

/**
 * Starts everything in a fresh directory. Ports stay fixed for the run, so that the broker and the
 * database can be restarted where the services expect them.
 */
export async function startPipeline({ log = console.log, partitions = PARTITIONS, keep = false, serviceEnv = {}, pgSettings = {} } = {}) {
  const work = mkdtempSync(join(tmpdir(), 'vigil-pipeline-'));
  chmodSync(work, 0o755);
  const ports = { pg: await freePort(), kafka: await freePort(), controller: await freePort() };
  const pgOptions = { dataDir: join(work, 'pg'), port: ports.pg, logFile: join(work, 'logs', 'postgres.log'), settings: pgSettings };
  const kafkaOptions = {
    cacheDir: join(root, '.cache', 'kafka'), dataDir: join(work, 'kafka'), port: ports.kafka, controllerPort: ports.controller,
    logFile: join(work, 'logs', 'kafka.log'),
  };
  const cleanups = [];
  const stack = { work, services: {}, cleanups };
  try {
    let [db, kafka] = await Promise.all([startPostgres({ ...pgOptions, fresh: true }), startKafka({ ...kafkaOptions, fresh: true })]);
    stack.db = () => db;
    stack.kafka = () => kafka;
    cleanups.push(() => kafka.stop(), () => db.stop());
    const oidc = await startOidcProvider({});
    cleanups.push(() => oidc.stop());
    const chat = await startChatReceiver({ port: 0 });
    const smtp = await startSmtpReceiver({ port: 0 });
    cleanups.push(() => chat.close(), () => smtp.close());
    const urls = await provisionDatabase(db.url, { intake: 'p1', triage: 'p2', tasking: 'p3', comms: 'p4', reporting: 'p5' });
    await provisionKafkaTopics(kafka.brokers, { partitions, replicationFactor: 1, minInsyncReplicas: 1 });
    stack.brokers = kafka.brokers;
    stack.adminUrl = db.url;

    const mail = (name, to, audiences) => ({ kind: 'email', name, config: { host: '127.0.0.1', port: smtp.port, security: 'none', from: 'vigil@vigil.local', to }, secrets: {}, audiences });
    const channels = [
      { kind: 'webhook', name: 'ir-team-webhook', config: { url: `${chat.url}/ir-team` }, secrets: {}, audiences: ['ir_team'] },
      { kind: 'teams', name: 'management-teams', config: {}, secrets: { webhookUrl: `${chat.url}/teams/management` }, audiences: ['management'] },
      mail('legal-mail', ['legal@vigil.local'], ['legal']),
    ];
    const servicePorts = {};
    for (const s of SERVICES) servicePorts[s] = await freePort();
    const auth = { AUTH_ISSUER: oidc.issuer, AUTH_AUDIENCE: DEMO_AUDIENCE, AUTH_ROLES_CLAIM: DEMO_ROLES_CLAIM, AUTH_ROLE_MAPPING: JSON.stringify(DEMO_ROLE_MAPPING) };
    const envOf = (name) => ({
      PORT: String(servicePorts[name]), HOST: '127.0.0.1', DATABASE_URL: urls[name], KAFKA_BROKERS: kafka.brokers, MIGRATIONS_RUN: 'true',
      LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn', ...auth,
      ...(name === 'intake' ? { INTAKE_API_KEY_PEPPER: 'pipeline-pepper-0123456789' } : {}),
      ...(name === 'comms' ? { COMMS_CHANNELS: JSON.stringify(channels), COMMS_SMTP_URL: `smtp://127.0.0.1:${smtp.port}` } : {}),
      ...(name === 'tasking' ? { ONCALL_TRIAGE_URL: `http://127.0.0.1:${servicePorts.triage}` } : {}),
      ...serviceEnv,
    });
    const logDir = join(work, 'logs');
    stack.logDir = logDir;
    stack.start = async (name) => {
      const p = startServiceProcess(name, envOf(name), { logDir });
      stack.services[name] = p;
      await p.waitReady(180_000);
      return p;
    };
    cleanups.push(() => Promise.all(Object.values(stack.services).map((p) => p.stop())));
    // One at a time: five migrations and JIT warm-ups at once would only fight for two cores.
    for (const name of SERVICES) await stack.start(name);

    /** SIGKILL, then a new process with the same settings (as a crashed pod that is rescheduled). */
    stack.killAndRestart = async (name) => {
      await stack.services[name].kill();
      await stack.start(name);
    };
    stack.restartKafka = async () => {
      await kafka.stop();
      kafka = await startKafka({ ...kafkaOptions, fresh: false });
    };
    stack.restartPostgres = async () => {
      await db.stop();
      db = await startPostgres({ ...pgOptions, fresh: false, settings: { ...PG_SETTINGS, ...pgSettings } });
    };
    stack.signal = (name, signal) => process.kill(stack.services[name].child.pid, signal);
    stack.ready = async () => {
      const answers = await Promise.all(
        SERVICES.map((s) => fetch(`${stack.services[s].url}/health/ready`, { signal: AbortSignal.timeout(2000) }).then((r) => r.ok, () => false)),
      );
      return answers.every(Boolean);
    };

    // Who sends: one integration per format, with no rate limit of their own.
    const { accessToken } = await demoLoginToken(oidc.tokenEndpoint, 'adam');
    stack.keys = {};
    for (const kind of ['canonical', 'alertmanager', 'pagerduty', 'ocsf']) {
      const res = await fetch(`${stack.services.intake.url}/v1/integrations`, {
        method: 'POST', headers: { authorization: `Bearer ${accessToken}`, 'content-type': 'application/json' },
        body: JSON.stringify({ name: `pipeline-${kind}`, kind, rateLimitPerSecond: 1_000_000 }),
      });
      if (!res.ok) throw new Error(`creating the ${kind} integration: ${res.status} ${await res.text()}`);
      stack.keys[kind] = (await res.json()).apiKey;
    }
    stack.admin = new pg.Pool({ connectionString: db.url, max: 3 });
    stack.admin.on('error', () => undefined); // a restart of PostgreSQL ends these connections; the next query reconnects
    cleanups.push(() => stack.admin.end());
    stack.kafkaAdmin = new Admin({ clientId: 'pipeline-bench', bootstrapBrokers: [kafka.brokers], retries: 1 });
    cleanups.push(() => stack.kafkaAdmin.close());
    stack.stop = async () => {
      for (const fn of cleanups.reverse()) await Promise.resolve().then(fn).catch((e) => log(`while stopping: ${e.message}`));
      if (keep) log(`data and logs kept in ${work}`);
      else rmSync(work, { recursive: true, force: true });
    };
    stack.chat = chat;
    return stack;
  } catch (error) {
    for (const fn of cleanups.reverse()) await Promise.resolve().then(fn).catch(() => undefined);
    log(`logs in ${join(work, 'logs')}`);
    throw error;
  }
}

// ---------------------------------------------------------------------------------------------
// The mix
// ---------------------------------------------------------------------------------------------

/** A small deterministic generator (mulberry32), so that runs are comparable. */
function generator(seed) {
  let s = seed | 0 || 1;
  return () => {
    s = (s + 0x6d2b79f5) | 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const CATEGORIES = ['malware', 'unauthorized_access', 'web_application_attack', 'phishing', 'denial_of_service'];
const FORMATS = [
  ['canonical', 0.4],
  ['alertmanager', 0.2],
  ['pagerduty', 0.2],
  ['ocsf', 0.2],
];

/**
 * A SOC's traffic: about one alert in ten opens an incident (a new host, address and group), the
 * rest are repeats of an alert already sent (the same dedup key: one more occurrence) or new alerts
 * that correlate with an incident already open (the same host and category, address or
 * Alertmanager group), over four ingest formats. `storm(n)` queues n alerts on one incident.
 * No alert is `info` (those wait as pending alerts, on no timeline) and none resolves.
 */
export class AlertMix {
  constructor(run, { seed = 1, newShare = 0.1, repeatShare = 0.25 } = {}) {
    this.run = run;
    this.random = generator(seed);
    this.newShare = newShare;
    this.repeatShare = repeatShare;
    this.seeds = { canonical: [], alertmanager: [], pagerduty: [], ocsf: [] };
    this.sent = { canonical: [], alertmanager: [], pagerduty: [], ocsf: [] };
    this.n = 0;
    this.seedCount = 0;
    this.stormLeft = 0;
    this.stormSeed = undefined;
  }

  storm(count) {
    this.stormLeft = count;
    this.stormSeed = this.newSeed();
  }

  newSeed() {
    const n = this.seedCount++;
    return {
      host: `h${n}-${this.run}.bench.example`,
      ip: `198.${18 + ((n >> 16) & 1)}.${(n >> 8) & 255}.${n & 255}`,
      category: CATEGORIES[n % CATEGORIES.length],
      group: `{}:{alertname="Bench${n}-${this.run}"}`,
    };
  }

  pick(items) {
    return items[Math.floor(this.random() * items.length)];
  }

  /** The next request: { format, path, body, headers } (body a string). */
  next() {
    if (this.stormLeft > 0) {
      this.stormLeft--;
      return this.build('canonical', this.stormSeed, `s${this.n++}`);
    }
    let r = this.random();
    let format = FORMATS[FORMATS.length - 1][0];
    for (const [f, share] of FORMATS) {
      if (r < share) {
        format = f;
        break;
      }
      r -= share;
    }
    const roll = this.random();
    const seeds = this.seeds[format];
    if (roll < this.repeatShare && this.sent[format].length > 0) return this.pick(this.sent[format]);
    if (roll < this.repeatShare + this.newShare || seeds.length === 0) {
      const seed = this.newSeed();
      seeds.push(seed);
      if (seeds.length > 500) seeds.shift();
      return this.remember(format, this.build(format, seed, `n${this.n++}`));
    }
    // Correlated: an incident opened lately (a SOC's incidents come and go; a window of recent ones).
    return this.remember(format, this.build(format, this.pick(seeds), `c${this.n++}`));
  }

  remember(format, request) {
    const sent = this.sent[format];
    sent.push(request);
    if (sent.length > 2000) sent.splice(0, 1000);
    return request;
  }

  build(format, seed, id) {
    const request = this.body(format, seed, id);
    // The dedup key as intake stores it (the formats prefix theirs), to account for unanswered requests.
    const key = `${this.run}-${id}`;
    request.dedupKey = format === 'alertmanager' ? `am:${key}` : format === 'ocsf' ? `ocsf:${key}` : key;
    return request;
  }

  body(format, seed, id) {
    const key = `${this.run}-${id}`;
    const severity = this.pick(['low', 'medium', 'high', 'critical']);
    const title = `Bench ${seed.category} on ${seed.host}`;
    const now = new Date().toISOString();
    switch (format) {
      case 'canonical':
        return {
          format, path: '/v1/alerts',
          body: JSON.stringify({ title, source: 'edr', severity, category: seed.category, dedupKey: key, assets: [{ hostname: seed.host }], observables: [{ type: 'ip', value: seed.ip }] }),
        };
      case 'alertmanager':
        return {
          format, path: '/v1/integrations/alertmanager',
          body: JSON.stringify({
            version: '4', status: 'firing', receiver: 'vigil', groupKey: seed.group, truncatedAlerts: 0,
            alerts: [{ status: 'firing', labels: { alertname: `Bench-${key}`, instance: seed.host, severity: this.pick(['warning', 'critical']) }, annotations: { summary: title }, startsAt: now, endsAt: '0001-01-01T00:00:00Z', fingerprint: key }],
          }),
        };
      case 'pagerduty':
        return {
          format, path: '/v1/integrations/pagerduty/enqueue',
          body: JSON.stringify({ event_action: 'trigger', dedup_key: key, payload: { summary: `${title} from ${seed.ip}`, source: seed.host, severity: this.pick(['warning', 'error', 'critical']), timestamp: now, component: 'bench' } }),
        };
      case 'ocsf':
        return {
          format, path: '/v1/integrations/ocsf',
          body: JSON.stringify({
            class_uid: 2004, activity_id: 1, severity_id: this.pick([2, 3, 4, 5]), time: Date.now(),
            finding_info: { uid: key, title }, metadata: { product: { name: 'Bench EDR' }, version: '1.3.0' },
            device: { hostname: seed.host, ip: seed.ip }, observables: [{ name: 'src_endpoint.ip', type_id: 2, type: 'IP Address', value: seed.ip }],
          }),
        };
    }
    throw new Error(`unknown format ${format}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Open-loop load
// ---------------------------------------------------------------------------------------------

/**
 * What was sent and answered, alert by alert. An alert's identity is the dedup key intake answered
 * with (its stored form, e.g. `am:<fingerprint>`); its time is the earliest time a request for it
 * was due to be sent — the latency of an alert is measured from there (no coordinated omission).
 */
export class Ledger {
  constructor() {
    this.keys = new Map(); // dedup key → { due, alertId, repeats, step }
    this.unsure = new Map(); // dedup key → requests for it that got no answer
    this.statuses = {};
    this.requests = 0;
    this.accepted = 0;
    this.created = 0;
    this.failures = 0;
    /** Set by the caller: new alerts are tagged with it (a benchmark's step, a chaos run's phase). */
    this.step = 0;
  }

  record(due, status, answer, request) {
    this.requests++;
    this.statuses[status] = (this.statuses[status] ?? 0) + 1;
    if (status !== 202) {
      this.failures++;
      // No answer at all (connection reset, timeout): the request may have committed before it was
      // cut off, so one more occurrence of its alert is possible, not required.
      if (typeof status === 'string' && request?.dedupKey) this.unsure.set(request.dedupKey, (this.unsure.get(request.dedupKey) ?? 0) + 1);
      return;
    }
    this.accepted++;
    for (const a of answer) {
      const known = this.keys.get(a.dedupKey);
      if (known) {
        known.due = Math.min(known.due, due);
        known.repeats++;
        known.alertId ??= a.alertId;
      } else {
        this.keys.set(a.dedupKey, { due, alertId: a.alertId ?? null, repeats: 0, step: this.step });
        this.created++;
      }
    }
  }
}

/** The alerts one 202 answered for, in any of the formats' shapes. */
function answered(format, body, request) {
  if (format === 'pagerduty') return [{ dedupKey: body.dedup_key, alertId: null }];
  if (Array.isArray(body.alerts)) return body.alerts.map((a) => ({ dedupKey: a.dedupKey, alertId: a.alertId }));
  if (body.dedupKey) return [{ dedupKey: body.dedupKey, alertId: body.alertId }];
  throw new Error(`unexpected answer to ${request.path}: ${JSON.stringify(body).slice(0, 200)}`);
}

/**
 * Sends `rate` alerts a second for `seconds`, each request at its scheduled time whatever the
 * answers before it (open loop), over a pool of keep-alive connections. Resolves when every
 * request is answered. `ledger` records outcomes; the returned figures are this step's.
 */
export async function openLoop({ url, keys, mix, ledger, rate, seconds, connections = 256, stop }) {
  const pool = new Pool(url, { connections, pipelining: 1, keepAliveTimeout: 30_000, headersTimeout: 60_000, bodyTimeout: 60_000, connectTimeout: 5_000 });
  const histogram = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 600_000_000, numberOfSignificantValueDigits: 3 });
  const total = Math.round(rate * seconds);
  const started = performance.now();
  const origin = performance.timeOrigin;
  let ok = 0;
  let failed = 0;
  const statuses = {};
  const inflight = new Set();
  for (let i = 0; i < total && !stop?.(); i++) {
    const due = started + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 1) await sleep(wait);
    const request = mix.next();
    const headers = { 'content-type': 'application/json' };
    let body = request.body;
    if (request.format === 'pagerduty') body = `{"routing_key":${JSON.stringify(keys.pagerduty)},${body.slice(1)}`;
    else headers.authorization = `Bearer ${keys[request.format]}`;
    const p = pool
      .request({ method: 'POST', path: request.path, headers, body })
      .then(async (res) => {
        const text = await res.body.text();
        statuses[res.statusCode] = (statuses[res.statusCode] ?? 0) + 1;
        if (res.statusCode === 202) {
          ok++;
          ledger.record(origin + due, 202, answered(request.format, JSON.parse(text), request));
        } else {
          failed++;
          ledger.record(origin + due, res.statusCode, undefined, request);
        }
      })
      .catch((e) => {
        const code = e.code ?? 'error';
        statuses[code] = (statuses[code] ?? 0) + 1;
        failed++;
        ledger.record(origin + due, code, undefined, request);
      })
      .finally(() => {
        histogram.recordValue(Math.max(1, Math.round((performance.now() - due) * 1000)));
        inflight.delete(p);
      });
    inflight.add(p);
  }
  const sentIn = (performance.now() - started) / 1000;
  await Promise.all(inflight);
  await pool.close();
  const ms = (p) => histogram.getValueAtPercentile(p) / 1000;
  return { offered: rate, seconds: sentIn, requests: ok + failed, accepted: ok, acceptedPerSecond: ok / Math.max(sentIn, 0.001), failed, statuses, httpP50: ms(50), httpP99: ms(99), httpMax: histogram.maxValue / 1000 };
}

// ---------------------------------------------------------------------------------------------
// Measuring from the outside
// ---------------------------------------------------------------------------------------------

/** Committed offsets of each consuming service's group against the topics' ends (Kafka admin API). */
export async function consumerLag(admin, groups, partitions) {
  const offsets = await groupOffsets(admin, groups, partitions);
  return offsets && Object.fromEntries(Object.entries(offsets).map(([g, o]) => [g, o.lag]));
}

/** Per consuming service: messages behind (lag) and the sum of its committed offsets (progress). */
export async function groupOffsets(admin, groups = CONSUMERS.map((s) => `vigil-${s}`), partitions = PARTITIONS) {
  const ends = new Map();
  const indexes = Array.from({ length: partitions }, (_, i) => i);
  const topics = await admin.listOffsets({ topics: TOPICS.map((name) => ({ name, partitions: indexes.map((partitionIndex) => ({ partitionIndex, timestamp: -1n })) })) }).catch(() => null);
  if (!topics) return null;
  for (const t of topics) for (const p of t.partitions) ends.set(`${t.name}:${p.partitionIndex}`, p.offset);
  const committed = await admin.listConsumerGroupOffsets({ groups }).catch(() => null);
  if (!committed) return null;
  const out = {};
  for (const g of committed) {
    let lag = 0n;
    let done = 0n;
    for (const t of g.topics) {
      if (!TOPICS.includes(t.name)) continue;
      for (const p of t.partitions) {
        const end = ends.get(`${t.name}:${p.partitionIndex}`) ?? 0n;
        const at = p.committedOffset < 0n ? 0n : p.committedOffset;
        lag += end - at;
        done += at;
      }
    }
    out[g.groupId.replace(/^vigil-/, '')] = { lag: Number(lag), committed: Number(done) };
  }
  return out;
}

/** Samples lag every second until stopped; keeps each group's maximum and last value. */
export function watchLag(stack) {
  const max = {};
  let last = {};
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      const lag = await consumerLag(stack.kafkaAdmin).catch(() => null);
      if (lag) {
        last = lag;
        for (const [g, n] of Object.entries(lag)) max[g] = Math.max(max[g] ?? 0, n);
      }
      await sleep(1000);
    }
  })();
  return {
    current: () => last,
    async stop() {
      stopped = true;
      await loop;
      return { max, last };
    },
  };
}

const TICKS = 100; // USER_HZ on Linux

function cpuTicks(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime + stime, and cutime + cstime: the children it has reaped (PostgreSQL's ended backends).
    return { ppid: Number(fields[1]), ticks: Number(fields[11]) + Number(fields[12]), reaped: Number(fields[13]) + Number(fields[14]) };
  } catch {
    return null;
  }
}

/** CPU seconds so far of each service, of PostgreSQL (the postmaster and its backends) and Kafka. */
export function cpuSnapshot(stack) {
  const out = {};
  for (const [name, p] of Object.entries(stack.services)) out[name] = (cpuTicks(p.child.pid)?.ticks ?? 0) / TICKS;
  let postmaster;
  try {
    postmaster = Number(readFileSync(join(stack.work, 'pg', 'postmaster.pid'), 'utf8').split('\n')[0]);
  } catch {
    /* restarting */
  }
  let pgTicks = 0;
  let kafkaTicks = 0;
  const pgProcesses = new Map();
  const kafkaPid = stack.kafka().pid;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    const s = cpuTicks(pid);
    if (!s) continue;
    if (pid === postmaster) {
      pgTicks += s.ticks + s.reaped;
      pgProcesses.set(pid, { who: 'postmaster and ended backends', ticks: s.ticks + s.reaped });
    } else if (s.ppid === postmaster) {
      pgTicks += s.ticks;
      pgProcesses.set(pid, { who: pgProcessName(pid), ticks: s.ticks });
    }
    if (pid === kafkaPid) kafkaTicks += s.ticks;
  }
  out.postgres = pgTicks / TICKS;
  // Not enumerable: `cpuBetween` and the tables go over the processes above only.
  Object.defineProperty(out, 'pgProcesses', { value: pgProcesses, enumerable: false });
  out.kafka = kafkaTicks / TICKS;
  out.load = process.cpuUsage().user / 1e6 + process.cpuUsage().system / 1e6;
  return out;
}

/** A PostgreSQL process by what it does: a backend by its role (`vigil_triage` …), others by their kind (autovacuum, walwriter …). */
function pgProcessName(pid) {
  try {
    const title = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ').trim();
    const m = /^postgres: (\S+)/.exec(title);
    return m ? m[1] : 'other';
  } catch {
    return 'other';
  }
}

/** PostgreSQL's CPU seconds between two snapshots, by role (backends) or kind (its own processes). */
export function postgresCpuByWho(before, after) {
  const by = {};
  for (const [pid, p] of after.pgProcesses ?? []) {
    const spent = (p.ticks - (before.pgProcesses?.get(pid)?.ticks ?? 0)) / TICKS;
    by[p.who] = (by[p.who] ?? 0) + spent;
  }
  return by;
}

export function cpuBetween(before, after, seconds) {
  return Object.fromEntries(Object.keys(after).map((k) => [k, Math.round((100 * (after[k] - (before[k] ?? 0))) / seconds)]));
}

const percentile = (sorted, p) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] : NaN);
export const summary = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  return { n: sorted.length, p50: percentile(sorted, 50), p99: percentile(sorted, 99), max: sorted[sorted.length - 1] ?? NaN };
};

/** Triage's rows for these dedup keys: placement and when it was decided (attached_at, now() of the placing transaction). */
export async function triageRows(admin, keys) {
  const rows = [];
  for (let i = 0; i < keys.length; i += 20_000) {
    const { rows: part } = await admin.query(
      `SELECT dedup_key, alert_id::text, incident_id::text, disposition, extract(epoch FROM attached_at) * 1000 AS decided
         FROM triage.alerts WHERE dedup_key = ANY($1::text[])`,
      [keys.slice(i, i + 20_000)],
    );
    rows.push(...part);
  }
  return rows;
}

const PLACING = new Set(['vigil.incident.opened.v1', 'vigil.incident.alert-attached.v1']);

/**
 * Reads vigil.incidents.v1 from the start, as any consumer would, and keeps, per alert, the events
 * that put it on an incident (opened / alert attached): their ids and incidents. Reporting's
 * timeline entry of such an event has the event's id; the entry names the incident, the alert is
 * tied to it through reporting.incident_alert_links.
 */
export async function watchPlacements(stack) {
  const consumer = new Consumer({
    clientId: 'pipeline-placements', groupId: `pipeline-placements-${Date.now()}`, bootstrapBrokers: [stack.brokers],
    deserializers: stringDeserializers, maxWaitTime: 200, retries: 1000, retryDelay: 1000,
  });
  const byAlert = new Map(); // alert id → [{ eventId, incidentId }]
  const stream = await consumer.consume({ topics: ['vigil.incidents.v1'], mode: 'earliest', autocommit: false });
  // CloudEvents in Kafka's binary mode: id and type are ce_* headers, the value is the data.
  const header = (m, name) => {
    const v = m.headers instanceof Map ? m.headers.get(name) : m.headers?.[name];
    return v === undefined ? undefined : String(v);
  };
  stream.on('data', (m) => {
    if (!m.value || !PLACING.has(header(m, 'ce_type'))) return;
    try {
      const data = JSON.parse(m.value);
      const id = header(m, 'ce_id');
      if (!data.alert?.alertId || !id) return;
      const list = byAlert.get(data.alert.alertId) ?? [];
      if (!list.some((x) => x.eventId === id)) list.push({ eventId: id, incidentId: data.incident?.incidentId });
      byAlert.set(data.alert.alertId, list);
    } catch {
      /* not a Vigil event */
    }
  });
  stream.on('error', () => undefined); // the consumer retries (a broker restart in chaos)
  stack.placements = byAlert;
  stack.cleanups.push(async () => {
    await stream.close().catch(() => undefined);
    await consumer.close(true).catch(() => undefined);
  });
  return byAlert;
}

/**
 * Reporting's view of these alerts: the incident each is linked to, and of the events that placed
 * it (read from vigil.incidents.v1), which reporting has on a timeline and when it applied the
 * first (processed_at of the event in reporting.inbox: now() of the transaction that wrote it).
 */
export async function reportingRows(admin, alertIds, placements) {
  const links = new Map();
  const entries = new Map();
  for (let i = 0; i < alertIds.length; i += 20_000) {
    const ids = alertIds.slice(i, i + 20_000);
    const { rows: l } = await admin.query(`SELECT alert_id::text, incident_id::text FROM reporting.incident_alert_links WHERE alert_id = ANY($1::uuid[])`, [ids]);
    for (const r of l) links.set(r.alert_id, r.incident_id);
    if (!placements) continue;
    const eventIds = [];
    const alertOf = new Map();
    for (const id of ids) for (const p of placements.get(id) ?? []) eventIds.push(p.eventId), alertOf.set(p.eventId, id);
    const { rows: e } = await admin.query(
      `SELECT t.event_id, t.incident_id::text, extract(epoch FROM i.processed_at) * 1000 AS shown
         FROM reporting.timeline_entries t LEFT JOIN reporting.inbox i ON i.event_id = t.event_id
        WHERE t.event_id = ANY($1::text[])`,
      [eventIds],
    );
    for (const r of e) {
      const alertId = alertOf.get(r.event_id);
      const entry = entries.get(alertId) ?? { alert_id: alertId, incidents: [], entries: 0, shown: null };
      entry.entries++;
      if (!entry.incidents.includes(r.incident_id)) entry.incidents.push(r.incident_id);
      if (r.shown !== null && (entry.shown === null || Number(r.shown) < entry.shown)) entry.shown = Number(r.shown);
      entries.set(alertId, entry);
    }
  }
  return { links, entries };
}

/** Waits until triage has placed every accepted alert and reporting has it on a timeline (or time runs out). */
export async function waitForPlacement(stack, ledger, { timeoutMs = 300_000, log = () => undefined } = {}) {
  const keys = [...ledger.keys.keys()];
  const deadline = Date.now() + timeoutMs;
  let placed = 0;
  let shown = 0;
  for (;;) {
    try {
      const rows = await triageRows(stack.admin, keys);
      placed = new Set(rows.map((r) => r.dedup_key)).size;
      const attached = rows.filter((r) => r.disposition === 'attached').map((r) => r.alert_id);
      const { links } = await reportingRows(stack.admin, attached);
      shown = links.size;
      const lag = await consumerLag(stack.kafkaAdmin).catch(() => null);
      const quiet = lag && Object.values(lag).every((n) => n === 0);
      const watched = !stack.placements || attached.every((id) => stack.placements.has(id));
      if (placed >= keys.length && shown >= attached.length && quiet && watched) return { placed, shown, complete: true };
    } catch (e) {
      log(`  (waiting: ${e.message})`);
    }
    if (Date.now() > deadline) return { placed, shown, complete: false };
    await sleep(1000);
  }
}

/**
 * Every accepted alert placed exactly once, on one incident, on that incident's timeline once;
 * every incident of the run with its playbook's tasks exactly once and its automatic notices once
 * per audience. Counts what is off; `ok` is true when nothing is.
 */
export async function reconcile(stack, ledger, run) {
  const keys = [...ledger.keys.keys()];
  const rows = await triageRows(stack.admin, keys);
  const byKey = new Map();
  for (const r of rows) byKey.set(r.dedup_key, [...(byKey.get(r.dedup_key) ?? []), r]);
  const r = { accepted: keys.length, requestsAccepted: ledger.accepted, placed: 0, lost: 0, doubled: 0, pending: 0, notOnTimeline: 0, onOtherTimeline: 0, onTwoTimelines: 0, timelineDoubled: 0, placedEventsDoubled: 0, examples: [] };
  const example = (what, key) => r.examples.length < 10 && r.examples.push(`${what}: ${key}`);
  const attached = [];
  for (const key of keys) {
    const found = byKey.get(key) ?? [];
    if (found.length === 0) {
      r.lost++;
      example('lost', key);
      continue;
    }
    r.placed++;
    if (found.length > 1) {
      r.doubled++;
      example('placed twice', key);
    }
    if (found[0].disposition === 'attached') attached.push(found[0]);
    else r.pending++;
  }
  // Intake too: an accepted alert is one row there (a retried request must not make a second one).
  const { rows: intakeDup } = await stack.admin.query(
    `SELECT dedup_key, count(*)::int AS n FROM intake.alerts WHERE dedup_key = ANY($1::text[]) GROUP BY dedup_key HAVING count(*) > 1`,
    [keys],
  );
  r.intakeDoubled = intakeDup.length;
  for (const d of intakeDup) example('two alerts in intake', d.dedup_key);
  // Alerts of the run that nobody got a 202 for (a request cut off after its commit): not an error.
  const { rows: [extra] } = await stack.admin.query(
    `SELECT count(*)::int AS n FROM triage.alerts WHERE dedup_key LIKE $1 AND NOT (dedup_key = ANY($2::text[]))`,
    [`%${run}-%`, keys],
  );
  r.unacknowledgedButPlaced = extra.n;

  const { links, entries } = await reportingRows(stack.admin, attached.map((a) => a.alert_id), stack.placements);
  for (const a of attached) {
    const link = links.get(a.alert_id);
    const e = entries.get(a.alert_id);
    // Triage tells every occurrence of an alert (each repeat) with an event that places it; never
    // more than the requests that may have reached it.
    const events = stack.placements?.get(a.alert_id) ?? [];
    const sent = ledger.keys.get(a.dedup_key);
    const mayHaveSent = 1 + (sent?.repeats ?? 0) + (ledger.unsure.get(a.dedup_key) ?? 0);
    if (events.length > mayHaveSent) {
      r.placedEventsDoubled++;
      example(`placed by ${events.length} events for ${mayHaveSent} request(s)`, a.dedup_key);
    }
    if (new Set(events.map((x) => x.incidentId)).size > 1) {
      r.onTwoTimelines++;
      example('placed on two incidents', a.dedup_key);
    }
    if (!link || (stack.placements && !e)) {
      r.notOnTimeline++;
      example('not on a timeline', a.dedup_key);
      continue;
    }
    if (link && link !== a.incident_id) {
      r.onOtherTimeline++;
      example('on another incident in reporting', a.dedup_key);
    }
    if (e && e.incidents.length > 1) {
      r.onTwoTimelines++;
      example('on two timelines', a.dedup_key);
    } else if (e && e.entries > events.length) {
      r.timelineDoubled++;
      example('more timeline entries than events', a.dedup_key);
    }
  }

  // Incidents of the run: tasks once per playbook step, automatic notices once per audience.
  const incidents = [...new Set(attached.map((a) => a.incident_id))];
  r.incidents = incidents.length;
  // Each incident's tasks against the steps of the playbook version it got (tasking.incident_playbooks).
  const { rows: tasks } = await stack.admin.query(
    `SELECT ip.incident_id::text, jsonb_array_length(v.definition->'steps')::int AS expected,
            count(t.id)::int AS tasks, count(DISTINCT t.step_key)::int AS steps
       FROM tasking.incident_playbooks ip
       JOIN tasking.playbook_versions v ON v.key = ip.playbook_key AND v.version = ip.version
       LEFT JOIN tasking.tasks t ON t.incident_id = ip.incident_id AND t.playbook = ip.playbook_key
      WHERE ip.incident_id = ANY($1::uuid[])
      GROUP BY ip.incident_id, v.definition`,
    [incidents],
  );
  const taskRows = new Map(tasks.map((t) => [t.incident_id, t]));
  r.playbookSteps = tasks.length ? `${Math.min(...tasks.map((t) => t.expected))}–${Math.max(...tasks.map((t) => t.expected))}` : '0';
  r.tasksMissing = 0;
  r.tasksDoubled = 0;
  for (const id of incidents) {
    const t = taskRows.get(id);
    if (!t || t.steps < t.expected) {
      r.tasksMissing++;
      example('incident without all its tasks', id);
    } else if (t.tasks > t.steps) {
      r.tasksDoubled++;
      example('incident with a step twice', id);
    }
  }
  const { rows: notices } = await stack.admin.query(
    `SELECT m.incident_id::text, m.audience, count(DISTINCT m.id)::int AS messages, count(n.id)::int AS notifications,
            count(DISTINCT n.channel_id)::int AS channels
       FROM comms.messages m LEFT JOIN comms.notifications n ON n.message_id = m.id
      WHERE m.incident_id = ANY($1::uuid[]) AND m.purpose = 'initial_notice' AND m.automatic
      GROUP BY m.incident_id, m.audience`,
    [incidents],
  );
  // Which audiences hear an incident depends on the highest severity it reached while open (later
  // alerts may raise it, and an audience hears of it as soon as it comes into the audience's rule;
  // nothing here lowers a severity, so that is its severity now): an incident lacks a notice when
  // another of the same severity got one for an audience and it did not.
  const { rows: severities } = await stack.admin.query(`SELECT id::text AS id, severity FROM triage.incidents WHERE id = ANY($1::uuid[])`, [incidents]);
  const severityOf = new Map(severities.map((s) => [s.id, s.severity]));
  const heard = new Map();
  const told = new Map();
  for (const n of notices) {
    const sev = severityOf.get(n.incident_id);
    heard.set(sev, new Set([...(heard.get(sev) ?? []), n.audience]));
    told.set(n.incident_id, new Set([...(told.get(n.incident_id) ?? []), n.audience]));
  }
  r.notices = notices.length;
  r.noticesDoubled = notices.filter((n) => n.messages > 1 || n.notifications > n.channels).length;
  r.noticesMissing = 0;
  for (const id of incidents) {
    const expected = heard.get(severityOf.get(id)) ?? new Set();
    for (const audience of expected) {
      if (!told.get(id)?.has(audience)) {
        r.noticesMissing++;
        example(`no ${audience} notice`, id);
      }
    }
  }
  r.ok = r.lost + r.doubled + r.intakeDoubled + r.placedEventsDoubled + r.notOnTimeline + r.onOtherTimeline + r.onTwoTimelines + r.timelineDoubled + r.tasksMissing + r.tasksDoubled + r.noticesDoubled + r.noticesMissing === 0;
  return r;
}

/** `drained` false: the backlog had not drained, so what is missing may be late rather than lost. */
export function printReconciliation(r, log, drained = true) {
  const missing = drained ? `lost ${r.lost}` : `not placed (yet: the backlog did not drain, so late or lost) ${r.lost}`;
  log(`reconciliation: ${fmt(r.accepted)} alerts accepted (${fmt(r.requestsAccepted)} requests answered 202, the rest of them repeats), ` +
    `${fmt(r.placed)} placed (${fmt(r.pending)} pending), ${missing}, placed twice ${r.doubled}, two alerts in intake ${r.intakeDoubled}; ` +
    `${fmt(r.unacknowledgedButPlaced)} placed without a 202 (request cut off after its commit: allowed)`);
  log(`  timelines: not on one ${r.notOnTimeline}, on another incident ${r.onOtherTimeline}, on two ${r.onTwoTimelines}, twice on one ${r.timelineDoubled}; ` +
    `more placing events on vigil.incidents.v1 than requests for the alert ${r.placedEventsDoubled}`);
  log(`  ${fmt(r.incidents)} incidents: tasks (${r.playbookSteps} steps, as each one's playbook has) missing ${r.tasksMissing}, doubled ${r.tasksDoubled}; ` +
    `automatic notices ${fmt(r.notices)} (incident × audience), missing ${r.noticesMissing}, doubled ${r.noticesDoubled}`);
  if (r.examples.length) log(`  e.g. ${r.examples.join('; ')}`);
  log(`  => ${r.ok ? 'OK: none lost, none twice' : 'FAILED'}`);
}

// ---------------------------------------------------------------------------------------------
// Ceilings: the same messages through Kafka alone, the same rows into PostgreSQL alone
// ---------------------------------------------------------------------------------------------

/** Produces `count` copies of real alert events to a scratch topic and consumes them back. */
export async function kafkaCeiling(stack, count) {
  const brokers = [stack.brokers];
  const sample = new Consumer({ clientId: 'ceiling-sample', groupId: `ceiling-sample-${Date.now()}`, bootstrapBrokers: brokers, deserializers: stringDeserializers, maxWaitTime: 200 });
  const messages = [];
  const stream = await sample.consume({ topics: ['vigil.alerts.v1'], mode: 'earliest', autocommit: false, maxBytes: 1_000_000 });
  for await (const m of stream) {
    messages.push({ key: m.key, value: m.value, headers: m.headers });
    if (messages.length >= 200) break;
  }
  await stream.close();
  await sample.close(true);
  const topic = `bench.ceiling.${Date.now()}`;
  await stack.kafkaAdmin.createTopics({ topics: [topic], partitions: 6, replicas: 1 });
  const producer = new Producer({ clientId: 'ceiling', bootstrapBrokers: brokers, serializers: stringSerializers, acks: -1, idempotent: true });
  const consumer = new Consumer({ clientId: 'ceiling-read', groupId: `ceiling-${Date.now()}`, bootstrapBrokers: brokers, deserializers: stringDeserializers, maxWaitTime: 100 });
  let received = 0;
  const read = await consumer.consume({ topics: [topic], mode: 'earliest', autocommit: true });
  const done = new Promise((resolve) => read.on('data', () => ++received >= count && resolve()));
  const started = performance.now();
  const batch = 200;
  const inflight = [];
  for (let i = 0; i < count; i += batch) {
    const n = Math.min(batch, count - i);
    inflight.push(producer.send({ messages: Array.from({ length: n }, (_, j) => { const m = messages[(i + j) % messages.length]; return { topic, key: `${m.key}${i + j}`, value: m.value }; }) }));
    if (inflight.length >= 8) await inflight.shift();
  }
  await Promise.all(inflight);
  const produced = performance.now();
  await Promise.race([done, sleep(120_000)]);
  const consumed = performance.now();
  await read.close();
  await consumer.close(true);
  await producer.close();
  await stack.kafkaAdmin.deleteTopics({ topics: [topic] }).catch(() => undefined);
  return { count, producePerSecond: count / ((produced - started) / 1000), endToEndPerSecond: received / ((consumed - started) / 1000), received };
}

/** Inserts the run's triage rows again, in multi-row statements, into a scratch copy of the table. */
export async function postgresCeiling(stack, run, count) {
  const client = new pg.Client({ connectionString: stack.adminUrl });
  await client.connect();
  try {
    await client.query(`CREATE SCHEMA IF NOT EXISTS bench_ceiling`);
    await client.query(`DROP TABLE IF EXISTS bench_ceiling.alerts`);
    await client.query(`CREATE TABLE bench_ceiling.alerts (LIKE triage.alerts INCLUDING DEFAULTS INCLUDING INDEXES)`);
    const { rows } = await client.query(`SELECT * FROM triage.alerts WHERE dedup_key LIKE $1 LIMIT $2`, [`%${run}-%`, count]);
    if (rows.length === 0) return { count: 0, rowsPerSecond: NaN };
    const columns = Object.keys(rows[0]);
    const batch = 500;
    const started = performance.now();
    for (let i = 0; i < rows.length; i += batch) {
      const part = rows.slice(i, i + batch);
      // A fresh id per row: the copy must not collide with itself when rows repeat.
      const values = [];
      const tuples = part.map((row, j) => `(${columns.map((c, k) => {
        values.push(c === 'alert_id' ? crypto.randomUUID() : c === 'data' && row[c] !== null ? JSON.stringify(row[c]) : row[c]);
        return `$${j * columns.length + k + 1}`;
      }).join(',')})`);
      await client.query(`INSERT INTO bench_ceiling.alerts (${columns.map((c) => `"${c}"`).join(',')}) VALUES ${tuples.join(',')}`, values);
    }
    const seconds = (performance.now() - started) / 1000;
    return { count: rows.length, rowsPerSecond: rows.length / seconds };
  } finally {
    await client.query(`DROP SCHEMA IF EXISTS bench_ceiling CASCADE`).catch(() => undefined);
    await client.end();
  }
}
