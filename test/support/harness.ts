import { Consumer, Producer, stringDeserializers, stringSerializers } from '@platformatic/kafka';
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

/** A running Vigil service process against the test database and broker. */
/** Secrets the test intake runs with (test-only values). */
export const INTAKE_ADMIN_TOKEN = 'test-admin-token-0123456789abcdef';
const INTAKE_API_KEY_PEPPER = 'test-pepper-0123456789';

export async function startService(name: ServiceName, extraEnv: Record<string, string> = {}, port?: number): Promise<ServiceProcess> {
  const env = testEnv();
  if (name === 'intake') extraEnv = { INTAKE_ADMIN_TOKEN, INTAKE_API_KEY_PEPPER, ...extraEnv };
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
      ...extraEnv,
    },
    { logDir: join(env.workDir, 'logs') },
  );
  await service.waitReady(90_000);
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

export async function http(method: string, url: string, body?: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(url, {
    method,
    headers: body === undefined || body === null ? headers : { 'content-type': 'application/json', ...headers },
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
 * sends it as If-Match, as a client of the triage API does.
 */
export async function incidentAction(path: string, action: string, body: unknown) {
  const current = await http('GET', path);
  return http('POST', `${path}/${action}`, body, { 'if-match': current.headers.get('etag') ?? '' });
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
  const res = await http('POST', `${intakeUrl}/v1/integrations`, { name: `test ${kind}`, kind, ...extra }, { authorization: `Bearer ${INTAKE_ADMIN_TOKEN}` });
  if (res.status !== 201) throw new Error(`creating a ${kind} integration failed: ${res.status} ${res.text}`);
  return res.json;
}
