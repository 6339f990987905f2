// `npm run bench:triage`: latency of GET /v1/incidents (the analysts' incident list) over HTTP against
// a real triage service, on a throwaway PostgreSQL seeded in bulk with a year of incidents and their
// alerts, and a single-node Kafka (triage does not start without its consumer). Requests are sent
// one at a time, so each figure is one request's own latency; the filter values change from request
// to request so that no single cached page flatters them.
// Usage: npm run bench:triage [-- --incidents 100000 --alerts-per-incident 10 --assets 5000 --requests 200
//        --warmup 20 --seed 1 --explain --keep]
//   --explain  after timing each filter, log one request's list query with auto_explain (ANALYZE, BUFFERS)
//   --keep     keep the data directory (PostgreSQL, Kafka and service logs) instead of deleting it
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { Pool } from 'undici';
import { buildSearchDocuments } from '../../apps/triage/src/incidents/search/search-text.ts';
import { build } from '../build.mjs';
import { startKafka } from '../stack/kafka.mjs';
import { DEMO_AUDIENCE, DEMO_ROLE_MAPPING, DEMO_ROLES_CLAIM, demoLoginToken, startOidcProvider } from '../stack/oidc.mjs';
import { freePort } from '../stack/ports.mjs';
import { startPostgres } from '../stack/postgres.mjs';
import { provisionDatabase, provisionKafkaTopics, root } from '../stack/provision.mjs';

const require = createRequire(import.meta.url);
const { startServiceProcess } = require('../stack/services.cjs');

const { values: args } = parseArgs({
  options: {
    incidents: { type: 'string', default: '100000' },
    'alerts-per-incident': { type: 'string', default: '10' },
    assets: { type: 'string', default: '5000' },
    requests: { type: 'string', default: '200' },
    warmup: { type: 'string', default: '20' },
    seed: { type: 'string', default: '1' },
    explain: { type: 'boolean', default: false },
    keep: { type: 'boolean', default: false },
  },
});
const count = (name, min) => {
  const n = Number(args[name]);
  if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be an integer >= ${min}, not ${args[name]}`);
  return n;
};
const INCIDENTS = count('incidents', 1);
const ALERTS_PER_INCIDENT = count('alerts-per-incident', 1); // incidents.alert_count must be > 0
const ASSETS = count('assets', 1);
const REQUESTS = count('requests', 1);
const WARMUP = count('warmup', 0);
const SEED = count('seed', 0);
const DAYS = 365;

const log = (m) => console.log(m);
const fmt = (n) => n.toLocaleString('en-US');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const secs = (t0) => ((performance.now() - t0) / 1000).toFixed(1);

// ---------------------------------------------------------------------------------------------
// The data: a mid-size SOC's year. Everything below is a constant of this file; the SQL inlines it
// (and the validated counts) because CREATE TABLE AS takes no bind parameters.

const PEOPLE = [
  'alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'grace', 'heidi', 'ivan', 'judy', 'mallory', 'niaj', 'olivia', 'peggy',
  'rupert', 'sybil', 'trent', 'uma', 'victor', 'walter', 'xena', 'yusuf', 'zoe', 'aisha', 'bruno', 'chen', 'dmitri', 'elena',
  'farah', 'goran', 'hana', 'ines', 'jonas', 'kenji', 'lena', 'marco', 'nadia', 'omar', 'priya', 'quinn', 'rosa', 'sven',
  'tariq', 'ulla', 'vera', 'wen', 'ximena', 'yara', 'zain', 'amara',
];
const PHRASES = [
  'Credential dumping', 'Suspicious login', 'Beaconing to rare domain', 'Ransomware note dropped', 'Phishing email reported',
  'Lateral movement via SMB', 'Malware quarantined', 'Brute force against SSH', 'Data exfiltration over DNS',
  'Privilege escalation attempt', 'Port scan from internal host', 'Webshell upload', 'USB storage policy violation',
  'DDoS traffic spike', 'Impossible travel login', 'Encoded PowerShell command', 'Suspicious OAuth consent',
  'Mass file encryption', 'Unusual admin share access', 'Outbound connection to TOR',
];
// Words the free-text filter looks for (each appears in one or two phrases).
const WORDS = ['credential', 'suspicious', 'beaconing', 'ransomware', 'phishing', 'lateral', 'malware', 'brute', 'exfiltration',
  'privilege', 'webshell', 'powershell', 'encryption', 'impossible', 'oauth', 'tor', 'dns', 'smb', 'login', 'scan'];
const ASSET_KINDS = ['wks', 'wks', 'wks', 'wks', 'wks', 'web', 'app', 'db', 'mail', 'dc', 'vpn', 'fs', 'k8s', 'jump'];
const TEAMS = ['it-ops', 'web-platform', 'data-platform', 'corp-it', 'identity', 'network', 'payments', 'sre'];
const SERVICES = ['payments', 'crm', 'email', 'hr', 'website', 'erp', 'vpn', 'data-warehouse'];

// Phases: most incidents of the year are closed; the open ones are mostly recent (see the seed).
const OPEN_PHASES = [['detected', 25], ['triaged', 25], ['contained', 20], ['eradicated', 12], ['recovered', 10], ['post_incident', 8]];
const TERMINAL_PHASES = [['closed', 82], ['false_positive', 16], ['merged', 2]];
const SEVERITIES = [['SEV1', 3], ['SEV2', 12], ['SEV3', 40], ['SEV4', 45]];
const CATEGORIES = [
  ['phishing', 22], ['malware', 20], ['unauthorized_access', 14], ['policy_violation', 10], ['web_application_attack', 8],
  ['other', 7], ['denial_of_service', 5], ['data_breach', 4], ['lost_or_stolen_device', 4], ['ransomware', 3], ['insider', 3],
];
const SOURCES = [['edr', 30], ['siem', 25], ['alertmanager', 15], ['pagerduty', 10], ['elastic', 10], ['splunk', 5], ['manual', 5]];

const lit = (v) => `'${String(v).replaceAll("'", "''")}'`;
const textArray = (values) => `ARRAY[${values.map(lit).join(',')}]::text[]`;
/** A CASE choosing one of [value, weight] by `r`, a uniform draw in [0, 1). */
function weighted(r, choices) {
  const total = choices.reduce((s, [, w]) => s + w, 0);
  let acc = 0;
  const arms = choices.slice(0, -1).map(([v, w]) => `WHEN ${r} < ${(acc += w) / total} THEN ${lit(v)}`);
  return `(CASE ${arms.join(' ')} ELSE ${lit(choices.at(-1)[0])} END)`;
}

/** Seeds assets, incidents, their asset links and correlation keys, and the alerts, in a few big statements. */
async function seed(db) {
  const t0 = performance.now();
  const step = async (what, sql) => {
    const t = performance.now();
    const { rowCount } = await db.query(sql);
    log(`  ${what.padEnd(34)} ${fmt(rowCount ?? 0).padStart(11)} rows  ${secs(t)} s`);
  };
  const now = new Date().toISOString();
  const width = Math.max(4, String(ASSETS).length);
  await db.query(`SELECT setseed(${(SEED % 1000) / 1000})`); // same spread and counts for the same --seed (not the same ids)
  await db.query(`SET temp_buffers = '512MB'`);
  await db.query(`SET work_mem = '128MB'`);
  await db.query(`SET maintenance_work_mem = '512MB'`);

  // Staging tables hold the draws that several tables must agree on (which asset, which phase).
  await step('staging assets', `CREATE TEMP TABLE seed_assets AS
    SELECT m, gen_random_uuid() AS id, kind, kind || '-' || lpad(m::text, ${width}, '0') AS ident,
           CASE kind WHEN 'dc' THEN 'critical' WHEN 'db' THEN 'high' WHEN 'wks' THEN (ARRAY['low','low','medium'])[1 + m % 3]
                     ELSE (ARRAY['medium','high','high','critical'])[1 + m % 4] END AS criticality
      FROM (SELECT m, (${textArray(ASSET_KINDS)})[1 + m % ${ASSET_KINDS.length}] AS kind FROM generate_series(1, ${ASSETS}) AS m) AS k`);
  await db.query(`CREATE UNIQUE INDEX ON seed_assets (m)`);
  await step('triage.assets', `INSERT INTO triage.assets (id, identifier, name, hostnames, ips, owner, business_service,
                                criticality, data_classification, created_at, updated_at)
    SELECT id, ident, upper(kind) || ' ' || m, ARRAY[ident || '.corp.example.com'],
           ARRAY['10.' || (m >> 16) % 256 || '.' || (m >> 8) % 256 || '.' || m % 256],
           (${textArray(TEAMS)})[1 + m % ${TEAMS.length}],
           CASE WHEN kind <> 'wks' THEN (${textArray(SERVICES)})[1 + m % ${SERVICES.length}] END,
           criticality, CASE criticality WHEN 'critical' THEN 'restricted' WHEN 'high' THEN 'confidential' ELSE 'internal' END,
           ${lit(now)}::timestamptz - interval '400 days' + m * interval '1 minute',
           ${lit(now)}::timestamptz - interval '400 days' + m * interval '1 minute'
      FROM seed_assets ORDER BY m`);

  // d: the draws; incidents arrive in order over the year (n ascending = detected_at ascending), so
  // the heap is in time order as in production. The chance of still being open falls with age: a few
  // stale ones from months ago, most from the last weeks.
  await step('staging incidents', `CREATE TEMP TABLE seed AS
    WITH d AS MATERIALIZED (
      SELECT n, gen_random_uuid() AS id,
             ${lit(now)}::timestamptz - interval '${DAYS} days' + (n - random()) * (${DAYS * 86400} / ${INCIDENTS}::float8) * interval '1 second' AS detected_at,
             random() AS r_open, random() AS r_phase, random() AS r_owner, random() AS r_ack,
             1 + floor(${ASSETS} * random() ^ 2)::int AS m, -- a few hosts appear in many incidents
             floor(random() * 3)::int AS extra_assets, floor(random() * 4)::int AS responder_count,
             random() AS r_severity, random() AS r_category, random() AS r_functional, random() AS r_information, random() AS r_recoverability,
             (${textArray(PHRASES)})[1 + floor(random() * ${PHRASES.length})::int] AS phrase,
             random() < 0.02 AS exercise,
             random() * interval '2 hours' AS before_detection,
             (1 + 4 * random()) * interval '1 second' AS declare_after,
             (2 + 118 * random() ^ 2) * interval '1 minute' AS ack_after,
             (0.5 + 47.5 * random() ^ 2) * interval '1 hour' AS contain_after,
             (1 + 71 * random()) * interval '1 hour' AS eradicate_after,
             (1 + 71 * random()) * interval '1 hour' AS recover_after,
             (1 + 13 * random()) * interval '1 day' AS close_after,
             (10 + 2870 * random()) * interval '1 minute' AS dismiss_after,
             random() < 0.4 AS classified, random() < 0.01 AS backdated,
             n - 1 - floor(random() * 20)::int AS merge_n
        FROM generate_series(1, ${INCIDENTS}) AS n
    ), p AS MATERIALIZED (
      SELECT d.*,
             CASE WHEN r_open < 0.015 + 0.6 * exp(-extract(epoch FROM ${lit(now)}::timestamptz - detected_at) / 86400 / 10)
                  THEN ${weighted('r_phase', OPEN_PHASES)} ELSE ${weighted('r_phase', TERMINAL_PHASES)} END AS phase,
             ${weighted('r_severity', SEVERITIES)} AS severity,
             ${weighted('r_category', CATEGORIES)} AS category,
             ${weighted('r_functional', [['none', 40], ['low', 30], ['medium', 20], ['high', 10]])} AS functional_impact,
             ${weighted('r_information', [['none', 60], ['privacy', 15], ['proprietary', 15], ['integrity', 10]])} AS information_impact,
             ${weighted('r_recoverability', [['regular', 70], ['supplemented', 20], ['extended', 8], ['not_recoverable', 2]])} AS recoverability
        FROM d
    ), t AS MATERIALIZED (
      SELECT p.*,
             array_position(ARRAY['detected','triaged','contained','eradicated','recovered','post_incident','closed'], phase) AS step,
             detected_at + declare_after AS declared_at,
             CASE WHEN phase = 'detected' AND r_owner < 0.6 THEN NULL
                  ELSE (${textArray(PEOPLE)})[1 + floor(${PEOPLE.length} * r_owner ^ 1.3)::int] END AS owner
        FROM p
    )
    SELECT t.*,
           ARRAY(SELECT DISTINCT (${textArray(PEOPLE)})[1 + floor(random() * ${PEOPLE.length})::int]
                   FROM generate_series(1, t.responder_count)) AS responders,
           ARRAY[t.m] || ARRAY(SELECT 1 + floor(random() * ${ASSETS})::int FROM generate_series(1, t.extra_assets)) AS asset_ms,
           'vigil:' || substr(md5(t.id::text), 1, 24) AS dedup_key,
           CASE WHEN t.phase <> 'detected' OR t.r_ack < 0.3 THEN least(${lit(now)}::timestamptz, t.declared_at + t.ack_after) END AS acknowledged_at,
           CASE WHEN t.step >= 3 THEN least(${lit(now)}::timestamptz, t.declared_at + t.ack_after + t.contain_after) END AS contained_at,
           CASE WHEN t.step >= 4 THEN least(${lit(now)}::timestamptz, t.declared_at + t.ack_after + t.contain_after + t.eradicate_after) END AS eradicated_at,
           CASE WHEN t.step >= 5 THEN least(${lit(now)}::timestamptz, t.declared_at + t.ack_after + t.contain_after + t.eradicate_after + t.recover_after) END AS recovered_at,
           CASE WHEN t.phase = 'closed' THEN least(${lit(now)}::timestamptz, t.declared_at + t.ack_after + t.contain_after + t.eradicate_after + t.recover_after + t.close_after)
                WHEN t.phase = 'false_positive' THEN least(${lit(now)}::timestamptz, t.declared_at + t.ack_after + t.dismiss_after) END AS closed_at
      FROM t`);
  await db.query(`CREATE UNIQUE INDEX ON seed (n)`);
  await db.query(`ANALYZE seed`);
  await db.query(`ANALYZE seed_assets`);

  const title = `s.phrase || ' on ' || a.ident`;
  await step('triage.incidents', `INSERT INTO triage.incidents (id, dedup_key, title, severity, category, phase, exercise,
        alert_count, version, occurred_at, detected_at, declared_at, acknowledged_at, contained_at, eradicated_at, recovered_at,
        closed_at, created_at, updated_at, functional_impact, information_impact, recoverability, asset_criticality,
        classified_by, owner, responders, merged_into, clock_notes)
    SELECT s.id, s.dedup_key, ${title}, s.severity, s.category, s.phase, s.exercise,
           ${ALERTS_PER_INCIDENT}, 1 + coalesce(s.step, 3) + (s.acknowledged_at IS NOT NULL)::int + (s.owner IS NOT NULL)::int,
           s.detected_at - s.before_detection, s.detected_at, s.declared_at, s.acknowledged_at, s.contained_at, s.eradicated_at,
           s.recovered_at, s.closed_at, s.declared_at,
           greatest(s.declared_at, s.acknowledged_at, s.contained_at, s.eradicated_at, s.recovered_at, s.closed_at),
           s.functional_impact, s.information_impact, s.recoverability, a.criticality,
           CASE WHEN s.classified THEN coalesce(s.owner, 'alice') END, s.owner, s.responders,
           CASE WHEN s.phase = 'merged' THEN target.id END,
           CASE WHEN s.backdated AND s.acknowledged_at IS NOT NULL
                THEN jsonb_build_object('acknowledgedAt', jsonb_build_object('by', coalesce(s.owner, 'alice'),
                       'reason', 'acknowledged by phone first', 'at', s.acknowledged_at + interval '1 hour'))
                ELSE '{}'::jsonb END
      FROM seed s
      JOIN seed_assets a ON a.m = s.m
      LEFT JOIN seed target ON target.n = s.merge_n AND s.phase = 'merged'
     ORDER BY s.n`);
  await step('triage.incident_assets', `INSERT INTO triage.incident_assets (incident_id, asset_id)
    SELECT DISTINCT s.id, a.id FROM seed s CROSS JOIN LATERAL unnest(s.asset_ms) AS x(m) JOIN seed_assets a ON a.m = x.m`);
  // What correlation would have registered: the dedup key and asset + category, scoped real/exercise.
  await step('triage.incident_keys', `INSERT INTO triage.incident_keys (kind, key, incident_id, last_seen_at)
    SELECT 'dedup_key', CASE WHEN s.exercise THEN 'exercise|' ELSE 'real|' END || s.dedup_key, s.id, s.declared_at FROM seed s
    UNION ALL
    SELECT DISTINCT 'asset_category', CASE WHEN s.exercise THEN 'exercise|' ELSE 'real|' END || 'asset:' || a.id || '|' || s.category, s.id, s.declared_at
      FROM seed s CROSS JOIN LATERAL unnest(s.asset_ms) AS x(m) JOIN seed_assets a ON a.m = x.m`);

  // Alerts in ten time slices (a few big statements, with progress in between). The first alert of an
  // incident opened it; later ones joined it by its dedup key or, with a key of their own, by asset.
  const alertsTotal = INCIDENTS * ALERTS_PER_INCIDENT;
  const slices = Math.min(10, INCIDENTS);
  const t = performance.now();
  let done = 0;
  for (let i = 0; i < slices; i++) {
    const lo = Math.floor((i * INCIDENTS) / slices) + 1;
    const hi = Math.floor(((i + 1) * INCIDENTS) / slices);
    const { rowCount } = await db.query(`INSERT INTO triage.alerts (alert_id, incident_id, dedup_key, title, source, severity,
          occurred_at, received_at, attached_at, occurrences, source_status, last_seen_at, resolved_at, disposition,
          correlated_by, category, exercise, data)
      SELECT v.alert_id, v.incident_id, v.dedup_key, v.title, v.source, v.severity, v.occurred_at, v.received_at,
             v.received_at + interval '40 milliseconds', v.occurrences, v.status, v.received_at,
             CASE WHEN v.status = 'resolved' THEN v.received_at + interval '1 hour' END, 'attached',
             CASE WHEN v.k = 1 THEN NULL WHEN v.same_key THEN 'dedup_key' ELSE 'asset_category' END, v.category, v.exercise,
             jsonb_build_object('alertId', v.alert_id, 'dedupKey', v.dedup_key, 'title', v.title, 'source', v.source,
               'severity', v.severity, 'category', v.category, 'occurredAt', v.occurred_at, 'receivedAt', v.received_at,
               'labels', jsonb_build_object('env', 'prod', 'team', v.team), 'assets', jsonb_build_array(jsonb_build_object('hostname', v.host)),
               'observables', '[]'::jsonb, 'exercise', v.exercise, 'format', 'canonical')
        FROM (
          SELECT x.k, x.alert_id, x.incident_id, x.same_key, x.category, x.exercise, x.title, x.host, x.team, x.occurrences,
                 CASE WHEN x.same_key THEN x.dedup_key ELSE x.own_key END AS dedup_key,
                 ${weighted('x.r_source', SOURCES)} AS source,
                 CASE x.incident_severity WHEN 'SEV1' THEN 'critical' WHEN 'SEV2' THEN 'high' WHEN 'SEV3' THEN 'medium' ELSE 'low' END AS severity,
                 x.received_at - x.delay AS occurred_at, x.received_at,
                 CASE WHEN x.step IS NULL OR x.step = 7 THEN 'resolved' WHEN x.r_status < 0.5 THEN 'acknowledged' ELSE 'triggered' END AS status
            FROM (
              SELECT k, gen_random_uuid() AS alert_id, s.id AS incident_id, k = 1 OR random() < 0.6 AS same_key,
                     s.dedup_key, 'vigil:' || substr(md5(random()::text), 1, 24) AS own_key, s.category, s.exercise, s.step,
                     s.severity AS incident_severity, ${title} AS title, a.ident AS host,
                     (${textArray(TEAMS)})[1 + s.m % ${TEAMS.length}] AS team,
                     random() AS r_source, random() AS r_status, 1 + floor(4 * random() ^ 3)::int AS occurrences,
                     least(${lit(now)}::timestamptz, s.detected_at + (k - 1) * (0.5 + random()) * interval '7 minutes') AS received_at,
                     random() * interval '30 seconds' AS delay
                FROM seed s JOIN seed_assets a ON a.m = s.m CROSS JOIN generate_series(1, ${ALERTS_PER_INCIDENT}) AS k
               WHERE s.n BETWEEN ${lo} AND ${hi}
              OFFSET 0 -- draw once per row, then derive
            ) AS x
        ) AS v
       ORDER BY v.received_at`);
    done += rowCount;
    log(`  triage.alerts ${`${fmt(done)} / ${fmt(alertsTotal)}`.padStart(29)} rows  ${secs(t)} s`);
  }

  // The search documents, as triage writes them (its own code, so that the words are cut the same way).
  const s = performance.now();
  const documents = await buildSearchDocuments(async (sql, params) => (await db.query(sql, params)).rows, { batchSize: 2000 });
  log(`  triage.incidents.search ${fmt(documents).padStart(22)} rows  ${secs(s)} s`);
  // Triage writes the document with the incident; written afterwards here, every row moved to the
  // end of the table in id order. Put the heap back in time order, as production has it.
  const c = performance.now();
  await db.query(`CLUSTER triage.incidents USING incidents_created`);
  log(`  cluster triage.incidents by created_at ${secs(c).padStart(17)} s`);

  // VACUUM as well as ANALYZE: sets hint bits and the visibility map now, so that neither the first
  // reads nor an autovacuum triggered by a million inserts write during the measurements.
  const v = performance.now();
  await db.query(`VACUUM (ANALYZE) triage.assets, triage.incidents, triage.incident_assets, triage.incident_keys, triage.alerts`);
  await db.query(`CHECKPOINT`);
  log(`  vacuum, analyze, checkpoint ${secs(v).padStart(27)} s`);
  await db.query(`DROP TABLE seed, seed_assets`);
  return (performance.now() - t0) / 1000;
}

/** What is in the database now, as the report prints it. */
async function describe(db) {
  const { rows: [c] } = await db.query(`SELECT
      (SELECT count(*) FROM triage.incidents) AS incidents,
      (SELECT count(*) FROM triage.incidents WHERE phase <> ALL('{closed,false_positive,merged}'::text[])) AS open,
      (SELECT count(*) FROM triage.incidents WHERE exercise) AS exercise,
      (SELECT count(*) FROM triage.alerts) AS alerts,
      (SELECT count(*) FROM triage.assets) AS assets,
      (SELECT count(*) FROM triage.incident_assets) AS incident_assets,
      (SELECT count(*) FROM triage.incident_keys) AS incident_keys,
      pg_size_pretty(pg_total_relation_size('triage.incidents')) AS incidents_size,
      pg_size_pretty(pg_total_relation_size('triage.alerts')) AS alerts_size,
      pg_size_pretty(pg_database_size(current_database())) AS database_size`);
  const { rows: phases } = await db.query(`SELECT phase, count(*)::int AS n FROM triage.incidents GROUP BY 1 ORDER BY 2 DESC`);
  const { rows: severities } = await db.query(`SELECT severity, count(*)::int AS n FROM triage.incidents GROUP BY 1 ORDER BY 1`);
  log(`  incidents ${fmt(Number(c.incidents))} (${c.incidents_size}; ${fmt(Number(c.open))} open, ${fmt(Number(c.exercise))} exercises), alerts ${fmt(Number(c.alerts))} (${c.alerts_size}),`);
  log(`  assets ${fmt(Number(c.assets))}, incident_assets ${fmt(Number(c.incident_assets))}, incident_keys ${fmt(Number(c.incident_keys))}; database ${c.database_size}`);
  log(`  phases: ${phases.map((r) => `${r.phase} ${fmt(r.n)}`).join(', ')}`);
  log(`  severities: ${severities.map((r) => `${r.severity} ${fmt(r.n)}`).join(', ')}`);
  return c;
}

// ---------------------------------------------------------------------------------------------
// Measuring

/** mulberry32: a small seeded PRNG, so the same --seed asks for the same values. */
function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Nearest-rank percentile of sorted values. */
const percentile = (sorted, p) => sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)];

/** The list filters analysts use, each a function of a random draw so that values vary per request. */
function filters({ assets, firstDetected, lastDetected }) {
  const week = 7 * 86_400_000;
  return [
    { name: 'no filter (newest first)', params: () => ({}) },
    { name: 'phase=detected', params: () => ({ phase: 'detected' }) },
    { name: 'open=true', params: () => ({ open: 'true' }) },
    { name: 'severity=SEV1', params: () => ({ severity: 'SEV1' }) },
    { name: 'category=ransomware', params: () => ({ category: 'ransomware' }) },
    { name: 'assignee=<person>', params: (r) => ({ assignee: PEOPLE[Math.floor(r() * PEOPLE.length)] }) },
    {
      // The asset as analysts type it: its identifier, its hostname or its address.
      name: 'asset=<identifier, hostname or ip>',
      params: (r) => {
        const a = assets[Math.floor(r() * assets.length)];
        return { asset: [a.identifier, a.hostname, a.ip][Math.floor(r() * 3)] };
      },
    },
    {
      name: 'detectedFrom/To (one week)',
      params: (r) => {
        const from = firstDetected + r() * (lastDetected - firstDetected - week);
        return { detectedFrom: new Date(from).toISOString(), detectedTo: new Date(from + week).toISOString() };
      },
    },
    { name: 'q=<word>', params: (r) => ({ q: WORDS[Math.floor(r() * WORDS.length)] }) },
    // What analysts paste: a host as the titles name it (wks-0042), or an address, found whole.
    { name: 'q=<hostname>', params: (r) => ({ q: assets[Math.floor(r() * assets.length)].identifier }) },
    { name: 'q=<ip>', params: (r) => ({ q: assets[Math.floor(r() * assets.length)].ip }) },
    { name: 'open=true&severity=SEV1,SEV2&sort=severity', params: () => ({ open: 'true', severity: 'SEV1,SEV2', sort: 'severity' }) },
    { name: 'page 5 via nextCursor (no filter)', params: () => ({}), page: 5 },
  ];
}

/** The analyst's access token every request carries (verified by triage like any other). */
let bearer = '';

async function measure(http, filter, r, requests) {
  const get = async (params) => {
    const path = `/v1/incidents${Object.keys(params).length ? `?${new URLSearchParams(params)}` : ''}`;
    const t = performance.now();
    const res = await http.request({ method: 'GET', path, headers: { authorization: bearer } });
    const text = await res.body.text();
    const ms = performance.now() - t;
    if (res.statusCode !== 200) throw new Error(`GET ${path}: HTTP ${res.statusCode} ${text.slice(0, 500)}`);
    const body = JSON.parse(text);
    return { ms, items: body.items.length, nextCursor: body.nextCursor, path };
  };
  const once = async () => {
    const params = filter.params(r);
    if (!filter.page) return get(params);
    // Only the last page is timed: the pages before it are how a client gets its cursor.
    let res;
    for (let page = 1; page <= filter.page; page++) {
      res = await get(page === 1 ? params : { ...params, cursor: res.nextCursor });
      if (page < filter.page && !res.nextCursor) throw new Error(`${filter.name}: no page ${page + 1}`);
    }
    return res;
  };
  const samples = [];
  for (let i = 0; i < requests; i++) samples.push(await once());
  const ms = samples.map((s) => s.ms).sort((a, b) => a - b);
  const items = samples.map((s) => s.items);
  return {
    name: filter.name,
    example: decodeURIComponent(samples[0].path).replace(/cursor=[^&]+/, 'cursor=…'),
    p50: percentile(ms, 50),
    p99: percentile(ms, 99),
    max: ms.at(-1),
    itemsMean: items.reduce((a, b) => a + b, 0) / items.length,
    itemsMin: Math.min(...items),
    itemsMax: Math.max(...items),
    once,
  };
}

// auto_explain, loaded into every session but off (-1) until asked: the plan the server really ran
// for the controller's own SQL and parameters, with ANALYZE and BUFFERS, without copying the
// controller's query building here.
async function enableAutoExplain(db) {
  await db.query(`LOAD 'auto_explain'`);
  for (const sql of [
    `ALTER SYSTEM SET session_preload_libraries = 'auto_explain'`,
    `ALTER SYSTEM SET auto_explain.log_min_duration = -1`,
    `ALTER SYSTEM SET auto_explain.log_analyze = on`,
    `ALTER SYSTEM SET auto_explain.log_buffers = on`,
  ]) await db.query(sql);
  await db.query(`SELECT pg_reload_conf()`);
}

async function explainOne(db, logFile, run) {
  const setMinDuration = async (ms) => {
    await db.query(`ALTER SYSTEM SET auto_explain.log_min_duration = ${ms}`);
    await db.query(`SELECT pg_reload_conf()`);
    await sleep(300); // the reload reaches the service's sessions asynchronously
  };
  await setMinDuration(0);
  const from = statSync(logFile).size;
  try {
    await run();
    await sleep(300); // the server's log arrives through a pipe
  } finally {
    await setMinDuration(-1);
  }
  const lines = readFileSync(logFile).subarray(from).toString().split('\n');
  const plans = [];
  for (let i = 0; i < lines.length; i++) {
    if (!/LOG: {2}duration: .* plan:/.test(lines[i])) continue;
    const block = [lines[i].replace(/^.*LOG: {2}/, '')];
    while (i + 1 < lines.length && lines[i + 1].startsWith('\t')) block.push(lines[++i].slice(1));
    plans.push(block.join('\n'));
  }
  // The request also loads the page's incidents and their assets; the list query is the one that matters.
  return plans.filter((p) => p.includes('FROM triage.incidents i')).at(-1) ?? '(no plan found in the PostgreSQL log)';
}

// ---------------------------------------------------------------------------------------------

async function main() {
  const stops = [];
  let work;
  let stopping;
  const stopAll = () =>
    (stopping ??= (async () => {
      for (const stop of stops.splice(0)) await stop().catch((e) => console.error(e.message));
      if (work && !args.keep) rmSync(work, { recursive: true, force: true });
      else if (work) log(`data, PostgreSQL, Kafka and service logs kept in ${work}`);
    })());
  // Ctrl-C: the same orderly stop as a normal end (services, Kafka, PostgreSQL, the data directory).
  for (const signal of ['SIGINT', 'SIGTERM']) {
    process.once(signal, () => {
      log(`\n${signal}: stopping what the benchmark started…`);
      stopAll().finally(() => process.exit(130));
    });
  }

  try {
    log(`triage list benchmark — ${cpus().length} cores, everything on this machine; load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
    log(`${fmt(INCIDENTS)} incidents × ${ALERTS_PER_INCIDENT} alerts, ${fmt(ASSETS)} assets; ${REQUESTS} sequential requests per filter after ${WARMUP} warm-up requests`);
    await build({ quiet: true });
    work = mkdtempSync(join(tmpdir(), 'vigil-bench-triage-'));
    chmodSync(work, 0o755); // PostgreSQL runs as the 'postgres' user when we are root
    const pgLog = join(work, 'postgres.log');
    const t0 = performance.now();
    const [pgServer, kafka] = await Promise.all([
      startPostgres({ dataDir: join(work, 'pg'), port: await freePort(), fresh: true, logFile: pgLog }),
      startKafka({ cacheDir: join(root, '.cache', 'kafka'), dataDir: join(work, 'kafka'), port: await freePort(), controllerPort: await freePort(), logFile: join(work, 'kafka.log'), fresh: true }),
    ]);
    stops.push(() => kafka.stop(), () => pgServer.stop());
    const db = new pg.Client({ connectionString: pgServer.url });
    // A server going away (Ctrl-C reaches PostgreSQL too) fails the query in hand; not a crash before cleanup.
    db.on('error', () => {});
    await db.connect();
    stops.unshift(() => db.end());
    if (args.explain) await enableAutoExplain(db);

    const urls = await provisionDatabase(pgServer.url, { intake: 't1', triage: 't2', tasking: 't3', comms: 't4', reporting: 't5' });
    await provisionKafkaTopics(kafka.brokers, { partitions: 6, replicationFactor: 1, minInsyncReplicas: 1 });
    const oidc = await startOidcProvider({});
    stops.unshift(() => oidc.stop());
    bearer = `Bearer ${(await demoLoginToken(oidc.tokenEndpoint, 'alice')).accessToken}`;
    const triage = startServiceProcess('triage', {
      PORT: String(await freePort()), HOST: '127.0.0.1', DATABASE_URL: urls.triage, KAFKA_BROKERS: kafka.brokers,
      MIGRATIONS_RUN: 'true', LOG_LEVEL: 'warn', DATABASE_POOL_SIZE: '10',
      AUTH_ISSUER: oidc.issuer, AUTH_AUDIENCE: DEMO_AUDIENCE, AUTH_ROLES_CLAIM: DEMO_ROLES_CLAIM, AUTH_ROLE_MAPPING: JSON.stringify(DEMO_ROLE_MAPPING),
    }, { logDir: work });
    stops.unshift(() => triage.stop());
    await triage.waitReady(); // migrations have run once it is ready
    log(`PostgreSQL, Kafka and triage (migrations applied) up in ${secs(t0)} s`);

    log('\nseeding');
    const seedSeconds = await seed(db);
    log(`seeded in ${seedSeconds.toFixed(1)} s:`);
    const counts = await describe(db);

    const { rows: assets } = await db.query(`SELECT a.identifier, a.hostnames[1] AS hostname, a.ips[1] AS ip
       FROM triage.assets a WHERE EXISTS (SELECT 1 FROM triage.incident_assets ia WHERE ia.asset_id = a.id)
      ORDER BY md5(a.id::text) LIMIT 500`);
    const { rows: [span] } = await db.query(`SELECT min(detected_at) AS first, max(detected_at) AS last FROM triage.incidents`);
    const list = filters({ assets, firstDetected: span.first.getTime(), lastDetected: span.last.getTime() });

    const http = new Pool(triage.url, { connections: 1, keepAliveTimeout: 60_000 });
    stops.unshift(() => http.close());
    const r = prng(SEED);
    // Warm the service up (JIT, connection pool, the indexes' upper pages) across all filters first.
    for (const f of list) await measure(http, f, r, Math.max(1, Math.ceil(WARMUP / 4)));

    log(`\nGET /v1/incidents, ${REQUESTS} requests per filter, one at a time (latency of the whole HTTP request, ms)`);
    const load = [loadavg()[0]];
    const results = [];
    for (const f of list) {
      if (WARMUP) await measure(http, f, r, WARMUP);
      const res = await measure(http, f, r, REQUESTS);
      results.push(res);
      log(`  ${res.name.padEnd(46)} p50 ${res.p50.toFixed(1).padStart(7)}  p99 ${res.p99.toFixed(1).padStart(7)}  max ${res.max.toFixed(1).padStart(7)}  items ${itemsText(res)}   e.g. ${res.example}`);
    }
    load.push(loadavg()[0]);

    log(`\nseeded ${fmt(Number(counts.incidents))} incidents, ${fmt(Number(counts.alerts))} alerts, ${fmt(Number(counts.assets))} assets, ${fmt(Number(counts.incident_assets))} incident–asset links in ${seedSeconds.toFixed(1)} s`);
    log(`load average (1 min) ${load[0].toFixed(2)} before, ${load[1].toFixed(2)} after the requests on ${cpus().length} cores: other work on this machine shows up in these figures`);
    log('\n| filter | p50 ms | p99 ms | max ms | items per request |');
    log('|---|---|---|---|---|');
    for (const res of results) log(`| ${res.name} | ${res.p50.toFixed(1)} | ${res.p99.toFixed(1)} | ${res.max.toFixed(1)} | ${itemsText(res)} |`);

    if (args.explain) {
      log('\nplans of the list query (auto_explain: ANALYZE, BUFFERS), one request per filter');
      for (const res of results) {
        log(`\n### ${res.name}\n`);
        log(await explainOne(db, pgLog, () => res.once()));
      }
    }
  } finally {
    await stopAll();
  }
}

function itemsText(res) {
  return res.itemsMin === res.itemsMax ? String(res.itemsMin) : `${res.itemsMean.toFixed(1)} (${res.itemsMin}–${res.itemsMax})`;
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
