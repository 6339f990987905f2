import { Admin, Consumer, Producer, stringDeserializers, stringSerializers } from '@platformatic/kafka';
import { spawn } from 'node:child_process';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Client } from 'pg';

/**
 * A piece of the local stack run as its own process (tools/stack/serve.mjs), for tests that stop
 * and restart a dependency on purpose. Resolves with what it printed once ready.
 */
export async function serveStack<T>(args: string[], timeoutMs = 120_000): Promise<{ info: T; stop(): Promise<void> }> {
  const child = spawn(process.execPath, [join(__dirname, '..', '..', 'tools', 'stack', 'serve.mjs'), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const info = await new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve.mjs ${args[0]} not ready in ${timeoutMs} ms:\n${output}`)), timeoutMs);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const ready = /^ready (.*)$/m.exec(output);
      if (ready) {
        clearTimeout(timer);
        resolve(JSON.parse(ready[1]) as T);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`serve.mjs ${args[0]} exited (${code}):\n${output}`));
    });
  });
  return {
    info,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

const { startServiceProcess } = require('../../tools/stack/services.cjs') as {
  startServiceProcess: (name: string, env: Record<string, string>, options?: { logDir?: string }) => ServiceProcess;
};

export interface ServiceProcess {
  name: string;
  url: string;
  exited: Promise<{ code: number | null; signal: string | null }>;
  tail(): string;
  waitReady(timeoutMs?: number): Promise<void>;
  stop(graceMs?: number): Promise<{ code: number | null; signal: string | null }>;
  kill(): Promise<{ code: number | null; signal: string | null }>;
}

export const SERVICES = ['intake', 'triage', 'tasking', 'comms', 'reporting'] as const;
export type ServiceName = (typeof SERVICES)[number];

export function testEnv() {
  const need = (name: string) => {
    const value = process.env[name];
    if (!value) throw new Error(`${name} is not set: run the integration tests through \`npm test\` (global set-up)`);
    return value;
  };
  return {
    adminUrl: need('VIGIL_TEST_ADMIN_DATABASE_URL'),
    serviceUrls: JSON.parse(need('VIGIL_TEST_DATABASE_URLS')) as Record<ServiceName, string>,
    brokers: need('VIGIL_TEST_KAFKA_BROKERS'),
    workDir: need('VIGIL_TEST_WORKDIR'),
  };
}

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  await new Promise((r) => server.close(r));
  return port;
}

/**
 * The OpenID provider of the global set-up (tools/stack/oidc.mjs): its issuer and token endpoint,
 * the audience of its access tokens, and how their `groups` map to Vigil roles.
 */
export function oidcEnv() {
  const need = (name: string) => {
    const value = process.env[name];
    if (!value) throw new Error(`${name} is not set: run the integration tests through \`npm test\` (global set-up)`);
    return value;
  };
  return {
    issuer: need('VIGIL_TEST_OIDC_ISSUER'),
    tokenUrl: need('VIGIL_TEST_OIDC_TOKEN_URL'),
    audience: need('VIGIL_TEST_OIDC_AUDIENCE'),
    rolesClaim: need('VIGIL_TEST_OIDC_ROLES_CLAIM'),
    roleMapping: JSON.parse(need('VIGIL_TEST_OIDC_ROLE_MAPPING')) as Record<string, string | string[]>,
  };
}

/** The audience of the test provider's access tokens (DEMO_AUDIENCE of tools/stack/oidc.mjs). */
export const DEMO_AUDIENCE = process.env.VIGIL_TEST_OIDC_AUDIENCE ?? '';
/** IdP group → Vigil role(s) of the test provider (DEMO_ROLE_MAPPING of tools/stack/oidc.mjs). */
export const DEMO_ROLE_MAPPING: Record<string, string | string[]> = JSON.parse(process.env.VIGIL_TEST_OIDC_ROLE_MAPPING ?? '{}');

/** What a service process needs to verify the test provider's access tokens. */
export function authEnv(): Record<string, string> {
  const oidc = oidcEnv();
  return {
    AUTH_ISSUER: oidc.issuer,
    AUTH_AUDIENCE: oidc.audience,
    AUTH_ROLES_CLAIM: oidc.rolesClaim,
    AUTH_ROLE_MAPPING: JSON.stringify(oidc.roleMapping),
  };
}

/** A refusal from the test provider's token endpoint (`error` is the OAuth error code). */
export class TokenRequestError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly error?: string,
    readonly description?: string,
  ) {
    super(message);
  }
}

const tokens = new Map<string, Promise<{ token: string; expiresAt: number }>>();

/** A token from the cache, or a new one when there is none or it has under a minute left. */
async function cachedToken(key: string, form: Record<string, string>, headers: Record<string, string> = {}): Promise<string> {
  const cached = tokens.get(key);
  if (cached) {
    const entry = await cached.catch(() => undefined);
    if (entry && entry.expiresAt - 60_000 > Date.now()) return entry.token;
  }
  // The promise is cached, so concurrent callers share one request.
  const request = (async () => {
    const res = await fetch(oidcEnv().tokenUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json', ...headers },
      body: new URLSearchParams(form),
    });
    const body = (await res.json().catch(() => ({}))) as { access_token?: string; expires_in?: number; error?: string; error_description?: string };
    if (!res.ok || !body.access_token) {
      throw new TokenRequestError(`token request (${key}) refused: ${res.status} ${body.error ?? ''} ${body.error_description ?? ''}`.trim(), res.status, body.error, body.error_description);
    }
    return { token: body.access_token, expiresAt: Date.now() + (body.expires_in ?? 0) * 1000 };
  })();
  tokens.set(key, request);
  try {
    return (await request).token;
  } catch (error) {
    tokens.delete(key);
    throw error;
  }
}

/** A demo person's access token (`tester` has every role; see tools/stack/oidc.mjs for the rest). */
export function tokenFor(username: string): Promise<string> {
  return cachedToken(`user:${username}`, { grant_type: 'urn:vigil:params:oauth:grant-type:demo-login', client_id: 'vigil-cli', username });
}

/** A machine client's access token (client credentials), e.g. `clientToken('vigil-automation', 'vigil-automation-secret')`. */
export function clientToken(clientId: string, secret: string): Promise<string> {
  const enc = (s: string) => encodeURIComponent(s).replace(/%20/g, '+');
  const basic = Buffer.from(`${enc(clientId)}:${enc(secret)}`).toString('base64');
  return cachedToken(`client:${clientId}:${secret}`, { grant_type: 'client_credentials' }, { authorization: `Basic ${basic}` });
}

/** Headers that make a request as a demo person: `http('GET', url, undefined, await as('alice'))`. */
export async function as(username: string): Promise<{ authorization: string }> {
  return { authorization: `Bearer ${await tokenFor(username)}` };
}

/** Test-only secret the test intake hashes API keys with. */
const INTAKE_API_KEY_PEPPER = 'test-pepper-0123456789';

/** A running Vigil service process against the test database, broker and OpenID provider. */
export async function startService(name: ServiceName, extraEnv: Record<string, string> = {}, port?: number): Promise<ServiceProcess> {
  const env = testEnv();
  const service = startServiceProcess(
    name,
    {
      PORT: String(port ?? (await freePort())),
      HOST: '127.0.0.1',
      DATABASE_URL: env.serviceUrls[name],
      KAFKA_BROKERS: env.brokers,
      // Fail fast in tests when a dependency is gone, so outage tests see it within seconds.
      DATABASE_POOL_SIZE: '10',
      MIGRATIONS_RUN: 'true',
      LOG_LEVEL: 'info',
      ...authEnv(),
      ...(name === 'intake' ? { INTAKE_API_KEY_PEPPER } : {}),
      // The tests' webhook receivers are local: pages may reach them (the default refuses internal addresses).
      ...(name === 'comms' ? { COMMS_PAGE_WEBHOOKS_ALLOW_PRIVATE_NETWORK: 'true', COMMS_PAGE_WEBHOOKS_ALLOW_HTTP: 'true' } : {}),
      ...extraEnv,
    },
    { logDir: join(env.workDir, 'logs') },
  );
  try {
    await service.waitReady(90_000);
  } catch (error) {
    // A service that never became ready is not left running behind the failed test.
    await service.kill().catch(() => undefined);
    throw error;
  }
  return service;
}

/** Polls until `probe` returns a value that is not undefined, or fails with the last error. */
export async function eventually<T>(probe: () => Promise<T | undefined>, timeoutMs = 30_000, intervalMs = 200): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      throw new Error(`condition not met within ${timeoutMs} ms${lastError ? `: ${(lastError as Error).message}` : ''}`);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/**
 * One HTTP request, as `tester` (every role) unless `headers` has an `authorization` of its own;
 * an empty `authorization` sends none at all.
 */
export async function http(method: string, url: string, body?: unknown, headers: Record<string, string> = {}) {
  const sent = { ...headers };
  if (!('authorization' in sent)) sent.authorization = `Bearer ${await tokenFor('tester')}`;
  else if (sent.authorization === '') delete sent.authorization;
  const response = await fetch(url, {
    method,
    headers: body === undefined || body === null ? sent : { 'content-type': 'application/json', ...sent },
    body: body === undefined || body === null ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await response.text();
  let json: any;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: response.status, headers: response.headers, json, text };
}

/**
 * An analyst's change to an incident (`path` is the incident's URL): reads its ETag first and
 * sends it as If-Match, as a client of the triage API does. `headers` go with both requests
 * (e.g. `await as('alice')`).
 */
export async function incidentAction(path: string, action: string, body: unknown, headers: Record<string, string> = {}) {
  const current = await http('GET', path, undefined, headers);
  return http('POST', `${path}/${action}`, body, { ...headers, 'if-match': current.headers.get('etag') ?? '' });
}

export interface RecordedRequest {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/**
 * Stands in for a system outside Vigil (a chat webhook, an OTLP collector): records every request
 * and answers with whatever `respond` decides (204 by default).
 */
export async function startReceiver(respond: (req: RecordedRequest) => number = () => 204) {
  const requests: RecordedRequest[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const recorded = { path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString() };
      requests.push(recorded);
      res.writeHead(respond(recorded), { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, requests, close: () => new Promise((r) => server.close(r)) };
}

export function kafkaProducer() {
  return new Producer({
    clientId: 'vigil-test-producer',
    bootstrapBrokers: testEnv().brokers.split(','),
    serializers: stringSerializers,
    autocreateTopics: false,
  });
}

/** Reads a topic from the beginning until `until` is satisfied by what has been read. */
export async function readTopic<T>(
  topic: string,
  until: (messages: Array<{ key: string; value: string; headers: Record<string, string>; partition: number }>) => T | undefined,
  timeoutMs = 30_000,
  brokers = testEnv().brokers,
  /** Keep reading this long after the condition first holds, then evaluate it again (to catch duplicates). */
  settleMs = 0,
): Promise<T> {
  const consumer = new Consumer({
    clientId: 'vigil-test-reader',
    groupId: `vigil-test-reader-${Math.random().toString(36).slice(2)}`,
    bootstrapBrokers: brokers.split(','),
    deserializers: stringDeserializers,
    autocommit: false,
    maxWaitTime: 200,
  });
  const stream = await consumer.consume({ topics: [topic], mode: 'earliest' });
  const seen: Array<{ key: string; value: string; headers: Record<string, string>; partition: number }> = [];
  let settling = false;
  try {
    return await new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${topic}: condition not met within ${timeoutMs} ms (${seen.length} messages read)`)), timeoutMs);
      stream.on('data', (m) => {
        seen.push({ key: m.key, value: m.value, headers: Object.fromEntries(m.headers), partition: m.partition });
        if (settling) return;
        const result = until(seen);
        if (result !== undefined) {
          clearTimeout(timer);
          if (settleMs === 0) return resolve(result);
          settling = true;
          setTimeout(() => resolve(until(seen) as T), settleMs);
        }
      });
      stream.on('error', reject);
    });
  } finally {
    await stream.close().catch(() => undefined);
    await consumer.close(true).catch(() => undefined);
  }
}

/** Runs `fn` with a connection to the test database (or to the one at `url`). */
type Offsets = Map<string, bigint>;

async function withAdmin<T>(fn: (admin: Admin) => Promise<T>): Promise<T> {
  const admin = new Admin({ clientId: 'vigil-test-admin', bootstrapBrokers: testEnv().brokers.split(',') });
  try {
    return await fn(admin);
  } finally {
    await admin.close();
  }
}

/** A group's committed offsets, by `topic:partition`. */
async function committed(group: string): Promise<Offsets> {
  return withAdmin(async (admin) => {
    const [g] = await admin.listConsumerGroupOffsets({ groups: [group] });
    const out: Offsets = new Map();
    for (const t of g?.topics ?? []) for (const p of t.partitions) if (p.committedOffset >= 0n) out.set(`${t.name}:${p.partitionIndex}`, p.committedOffset);
    return out;
  });
}

/** Every partition (`topic:partition`) of the topics the members of a group subscribe to. */
export async function subscribedPartitions(group: string): Promise<string[]> {
  return withAdmin(async (admin) => {
    const described = await admin.describeGroups({ groups: [group] });
    const topics = new Set<string>();
    for (const member of described.get(group)?.members.values() ?? []) for (const t of member.metadata?.topics ?? []) topics.add(t);
    if (topics.size === 0) return [];
    const metadata = await admin.metadata({ topics: [...topics] });
    return [...metadata.topics].flatMap(([name, t]) => Array.from({ length: t.partitionsCount }, (_, i) => `${name}:${i}`)).sort();
  });
}

/** The end offsets of the partitions named. */
async function ends(partitions: string[]): Promise<Offsets> {
  const byTopic = new Map<string, number[]>();
  for (const tp of partitions) {
    const i = tp.lastIndexOf(':');
    byTopic.set(tp.slice(0, i), [...(byTopic.get(tp.slice(0, i)) ?? []), Number(tp.slice(i + 1))]);
  }
  return withAdmin(async (admin) => {
    const listed = await admin.listOffsets({
      topics: [...byTopic].map(([name, ps]) => ({ name, partitions: ps.map((partitionIndex) => ({ partitionIndex, timestamp: -1n })) })),
    });
    const out: Offsets = new Map();
    for (const t of listed) for (const p of t.partitions) out.set(`${t.name}:${p.partitionIndex}`, p.offset);
    return out;
  });
}

/** Whether a group has committed up to the end of each partition named. */
export async function caughtUp(group: string, partitions: string[]): Promise<boolean> {
  const [done, end] = await Promise.all([committed(group), ends(partitions)]);
  return partitions.every((tp) => (done.get(tp) ?? 0n) >= (end.get(tp) ?? 0n));
}

/**
 * Waits until each group has read to the end of every partition it subscribes to: what earlier
 * suites left on the topics has been applied before a test changes how the services react to it
 * (escalation routing, say).
 */
export async function consumersCaughtUp(groups: string[], timeoutMs = 120_000): Promise<void> {
  await eventually(async () => {
    for (const group of groups) {
      const partitions = await subscribedPartitions(group);
      if (partitions.length === 0 || !(await caughtUp(group, partitions))) return undefined;
    }
    return true;
  }, timeoutMs, 500);
}

export async function withDatabase<T>(fn: (client: Client) => Promise<T>, url = testEnv().adminUrl): Promise<T> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** Creates an integration through intake's API and returns its API key. */
export async function createIntegration(intakeUrl: string, kind: string, extra: Record<string, unknown> = {}): Promise<{ apiKey: string; integrationId: string }> {
  const res = await http('POST', `${intakeUrl}/v1/integrations`, { name: `test ${kind}`, kind, ...extra }, await as('adam'));
  if (res.status !== 201) throw new Error(`creating a ${kind} integration failed: ${res.status} ${res.text}`);
  return res.json;
}

/**
 * Does every open playbook task of an incident, each once it is no longer blocked, so that its mandatory
 * tasks no longer hold up closing (the incident should be in post_incident, where every phase's
 * tasks may start). Waits for the playbook's tasks to exist first.
 */
export async function finishTasks(taskingUrl: string, incidentId: string, headers: Record<string, string> = {}): Promise<void> {
  const list = `${taskingUrl}/v1/incidents/${incidentId}/tasks`;
  await eventually(async () => ((await http('GET', list, undefined, headers)).json?.items?.length ? true : undefined), 60_000);
  await eventually(async () => {
    const items: Array<{ taskId: string; status: string; blocked?: boolean; actionItemId?: string }> = (await http('GET', list, undefined, headers)).json.items;
    // The playbook's tasks only: an action item's task is the test's own business.
    const open = items.filter((t) => !t.actionItemId && (t.status === 'open' || t.status === 'in_progress'));
    for (const t of open.filter((t) => !t.blocked)) await http('POST', `${list}/${t.taskId}/completion`, {}, headers);
    return open.length === 0 ? true : undefined;
  }, 60_000);
}

/**
 * The escalation rules are one setting for the whole test database: a suite that changes them
 * leaves none behind (best effort, in an afterAll; `taskingUrl` undefined when tasking never started).
 */
export async function resetEscalationRouting(taskingUrl: string | undefined): Promise<void> {
  if (!taskingUrl) return;
  await http('PUT', `${taskingUrl}/v1/escalation-routing`, { rules: [], defaultPolicyId: null }, await as('irene')).catch(() => undefined);
}
