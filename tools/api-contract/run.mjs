// `npm run test:api`: schemathesis, with all its checks, against the OpenAPI document of every
// service, with real credentials: the access token of a person holding every Vigil role, and one
// intake API key per ingest route. Prints per service the cases run and the failures; exits 1 on
// any failure or error.
//
// Usage: npm run test:api [-- --max-examples N] [--max-time SECONDS] [--services intake,triage]
//          [--seed N] [--workers N] [--report-dir DIR] [--json FILE] [--keep] [--parallel]
//          [--url intake=http://host:port --url triage=…]
//   --max-examples  test cases per operation and phase (schemathesis' own budget; default 100)
//   --max-time      time budget per service, in seconds (fuzzing repeats until it is spent)
//   --url           test services that already run (every service named in --services, or all
//                   five): then VIGIL_CONTRACT_BEARER must hold an access token with every role,
//                   and the ingest keys are created through intake's API with it. Without --url,
//                   a throwaway PostgreSQL, Kafka, OpenID provider and the five services are
//                   started (DATABASE_URL / KAFKA_BROKERS name servers to use instead).
//   --json          write the per-service figures there (test/api-contract.e2e-spec.ts reads it)
//   --keep          keep the work directory (service logs, schemathesis reports)
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ensureSchemathesis, runSchemathesis, schemathesisVersion, stopSchemathesis } from './schemathesis.mjs';

const SERVICES = ['intake', 'triage', 'tasking', 'comms', 'reporting'];
/** intake's ingest routes, by integration kind (see schemathesis.toml). */
const INGEST_KINDS = ['canonical', 'alertmanager', 'pagerduty', 'ocsf', 'elastic', 'splunk', 'report'];

const { values: args } = parseArgs({
  options: {
    'max-examples': { type: 'string' },
    'max-time': { type: 'string' },
    services: { type: 'string', default: SERVICES.join(',') },
    seed: { type: 'string' },
    // One worker: schemathesis' generator trips over a CPython 3.11 bug in concurrent ast.parse.
    workers: { type: 'string', default: '1' },
    'report-dir': { type: 'string' },
    json: { type: 'string' },
    url: { type: 'string', multiple: true, default: [] },
    keep: { type: 'boolean', default: false },
    // All services at once (one schemathesis each): for long runs, which are bound by generation.
    parallel: { type: 'boolean', default: false },
    quiet: { type: 'boolean', default: false },
  },
});

const positive = (name) => {
  if (args[name] === undefined) return undefined;
  const n = Number(args[name]);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a positive integer, not ${args[name]}`);
  return n;
};
const say = (msg) => console.log(`vigil api-contract: ${msg}`);

async function startStack(services, workDir) {
  const stops = [];
  const require = createRequire(import.meta.url);
  const { build } = await import('../build.mjs');
  const { startKafka } = await import('../stack/kafka.mjs');
  const { DEMO_AUDIENCE, DEMO_ROLE_MAPPING, DEMO_ROLES_CLAIM, demoLoginToken, startOidcProvider } = await import('../stack/oidc.mjs');
  const { freePort } = await import('../stack/ports.mjs');
  const { startPostgres } = await import('../stack/postgres.mjs');
  const { provisionDatabase, provisionKafkaTopics, localCredentials, root } = await import('../stack/provision.mjs');
  const { startServiceProcess } = require('../stack/services.cjs');
  try {
    say('building…');
    await build({ quiet: true });
    // One person with every role, so that a check is never stopped by a 403; tokens outlive a long run.
    const everyone = { username: 'contract', sub: 'u-contract', name: 'API Contract', email: 'contract@soc.example', groups: Object.keys(DEMO_ROLE_MAPPING) };
    const oidc = await startOidcProvider({ port: 0, users: [everyone], accessTokenTtlSeconds: 24 * 3600 });
    stops.push(oidc.stop);
    let adminUrl = process.env.DATABASE_URL;
    if (!adminUrl) {
      say('starting PostgreSQL…');
      const pg = await startPostgres({ dataDir: join(workDir, 'postgres'), port: await freePort(), fresh: true });
      stops.push(pg.stop);
      adminUrl = pg.url;
    }
    let brokers = process.env.KAFKA_BROKERS;
    if (!brokers) {
      say('starting Kafka…');
      const kafka = await startKafka({
        cacheDir: join(root, '.cache', 'kafka'),
        dataDir: join(workDir, 'kafka'),
        port: await freePort(),
        controllerPort: await freePort(),
        logFile: join(workDir, 'kafka.log'),
        fresh: true,
      });
      stops.push(kafka.stop);
      brokers = kafka.brokers;
    }
    const credentials = localCredentials(join(workDir, 'credentials.json'));
    const urls = await provisionDatabase(adminUrl, credentials);
    await provisionKafkaTopics(brokers, { partitions: 3, replicationFactor: 1, minInsyncReplicas: 1 });
    say(`starting ${services.join(', ')}…`);
    const processes = [];
    for (const name of services) {
      const service =
        startServiceProcess(
          name,
          {
            PORT: String(await freePort()),
            HOST: '127.0.0.1',
            DATABASE_URL: urls[name],
            KAFKA_BROKERS: brokers,
            MIGRATIONS_RUN: 'true',
            LOG_LEVEL: 'warn',
            AUTH_ISSUER: oidc.issuer,
            AUTH_AUDIENCE: DEMO_AUDIENCE,
            AUTH_ROLES_CLAIM: DEMO_ROLES_CLAIM,
            AUTH_ROLE_MAPPING: JSON.stringify(DEMO_ROLE_MAPPING),
            ...(name === 'intake' ? { INTAKE_API_KEY_PEPPER: credentials.intakeApiKeyPepper } : {}),
          },
          { logDir: join(workDir, 'logs') },
        );
      processes.push(service);
      stops.push(() => service.stop());
    }
    // Stopped in reverse: services first, then the broker, the database and the provider.
    const stopsInOrder = [...stops];
    await Promise.all(processes.map((p) => p.waitReady(120_000)));
    const bearer = (await demoLoginToken(oidc.tokenEndpoint, 'contract')).accessToken;
    return { urls: Object.fromEntries(processes.map((p) => [p.name, p.url])), bearer, stop: () => runStops(stopsInOrder) };
  } catch (error) {
    await runStops(stops);
    throw error;
  }
}

async function runStops(stops) {
  for (const stop of stops.reverse()) await stop().catch((e) => console.error(`while stopping: ${e.message}`));
}

/** One integration per ingest kind, created through intake's API; returns VIGIL_CONTRACT_KEY_<KIND>. */
async function ingestKeys(intakeUrl, bearer) {
  const env = {};
  for (const kind of INGEST_KINDS) {
    const res = await fetch(`${intakeUrl}/v1/integrations`, {
      method: 'POST',
      headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: `api contract ${kind}`, kind }),
    });
    if (res.status !== 201) throw new Error(`creating a ${kind} integration failed: HTTP ${res.status} ${await res.text()}`);
    env[`VIGIL_CONTRACT_KEY_${kind.toUpperCase()}`] = (await res.json()).apiKey;
  }
  return env;
}

function parseUrls(list) {
  const urls = {};
  for (const item of list) {
    const m = /^(\w+)=(https?:\/\/\S+?)\/?$/.exec(item);
    if (!m || !SERVICES.includes(m[1])) throw new Error(`--url takes <service>=<base URL> with a service of ${SERVICES.join(', ')}, not ${item}`);
    urls[m[1]] = m[2];
  }
  return urls;
}

async function main() {
  const services = args.services.split(',').map((s) => s.trim()).filter(Boolean);
  for (const s of services) if (!SERVICES.includes(s)) throw new Error(`unknown service ${s} (one of ${SERVICES.join(', ')})`);
  const maxExamples = positive('max-examples') ?? (args['max-time'] ? undefined : 100);
  const maxTime = positive('max-time');
  const workers = positive('workers');
  const seed = args.seed === undefined ? undefined : Number(args.seed);
  const given = parseUrls(args.url);

  const python = ensureSchemathesis();
  const workDir = mkdtempSync(join(tmpdir(), 'vigil-api-contract-'));
  chmodSync(workDir, 0o755); // PostgreSQL runs as 'postgres' when we are root
  const reportDir = resolve(args['report-dir'] ?? join(workDir, 'reports'));

  let stack;
  let interrupted = false;
  for (const signal of ['SIGINT', 'SIGTERM']) {
    process.once(signal, () => {
      interrupted = true;
      say(`${signal}: stopping…`);
      stopSchemathesis();
      void (stack?.stop() ?? Promise.resolve()).finally(() => process.exit(130));
    });
  }
  let urls;
  let bearer;
  if (Object.keys(given).length) {
    const missing = services.filter((s) => !given[s]);
    if (missing.length) throw new Error(`--url given for some services but not for ${missing.join(', ')}`);
    bearer = process.env.VIGIL_CONTRACT_BEARER;
    if (!bearer) throw new Error('with --url, set VIGIL_CONTRACT_BEARER to an access token of someone holding every Vigil role');
    urls = given;
  } else {
    stack = await startStack(services, workDir);
    urls = stack.urls;
    bearer = stack.bearer;
  }

  const results = [];
  try {
    const intakeUrl = urls.intake;
    const keys = services.includes('intake') ? await ingestKeys(intakeUrl, bearer) : {};
    const env = { VIGIL_CONTRACT_BEARER: bearer, ...keys };
    for (const kind of INGEST_KINDS) env[`VIGIL_CONTRACT_KEY_${kind.toUpperCase()}`] ??= '';
    const budget = [maxExamples && `${maxExamples} examples per operation`, maxTime && `${maxTime} s per service`].filter(Boolean).join(', ');
    say(`schemathesis ${schemathesisVersion()}, all checks, ${budget}; reports in ${reportDir}`);
    const runOne = async (service) => {
      const started = Date.now();
      say(`${service}: ${urls[service]}/openapi.json …`);
      const result = await runSchemathesis({
        python,
        service,
        url: urls[service],
        env,
        maxExamples,
        maxTime,
        seed,
        workers,
        reportDir,
        onLine: args.quiet ? undefined : (line) => console.log(`  [${service}] ${line}`),
      });
      result.seconds = Math.round((Date.now() - started) / 1000);
      return result;
    };
    if (args.parallel) {
      results.push(...(await Promise.all(services.map(runOne))));
    } else {
      for (const service of services) {
        if (interrupted) break;
        results.push(await runOne(service));
      }
    }
  } finally {
    await stack?.stop();
  }

  console.log('\nservice     operations  cases   failures  errors  seconds');
  for (const r of results) {
    console.log(`${r.service.padEnd(12)}${String(r.operations).padStart(10)}${String(r.cases).padStart(7)}${String(r.failures.length).padStart(11)}${String(r.errors.length).padStart(8)}${String(r.seconds).padStart(9)}`);
  }
  for (const r of results) {
    for (const f of r.failures) console.log(`  ${r.service}: ${f.operation}: ${f.check}: ${f.title}`);
    for (const e of r.errors) console.log(`  ${r.service}: ${e.operation}: error: ${e.message}`);
    if (r.exitCode !== 0 && !r.failures.length && !r.errors.length) console.log(`  ${r.service}: schemathesis exited ${r.exitCode}:\n${r.output.slice(-3000)}`);
  }
  if (args.json) {
    const figures = results.map(({ service, operations, cases, failures, errors, exitCode, seconds, report }) => ({ service, operations, cases, failures, errors, exitCode, seconds, report }));
    writeFileSync(args.json, JSON.stringify({ schemathesis: schemathesisVersion(), maxExamples, maxTime, seed, date: new Date().toISOString(), results: figures }, null, 2));
  }
  if (!args.keep && !args['report-dir'] && results.every((r) => r.exitCode === 0)) rmSync(workDir, { recursive: true, force: true });
  else say(`work directory kept: ${workDir}`);
  const ok = results.every((r) => r.exitCode === 0 && !r.failures.length && !r.errors.length);
  return ok ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error) => {
    console.error(`vigil api-contract: ${error.message}`);
    process.exit(1);
  },
);
