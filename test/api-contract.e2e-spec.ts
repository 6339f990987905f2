import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { createIntegration, eventually, freePort, http, serveStack, SERVICES, startService, testEnv, tokenFor, withDatabase, type ServiceName, type ServiceProcess } from './support/harness';

// The compiled platform (the set-up builds dist/): its index pulls in Nest, which ships as ES
// modules only and does not load under Jest.
const { provisionServiceDatabase } = require('../dist/libs/platform/src/persistence.js') as {
  provisionServiceDatabase: (adminUrl: string, roles: Array<{ schema: string; role: string; password: string }>) => Promise<void>;
};

/** What tools/api-contract/run.mjs writes with --json. */
interface ContractFigures {
  results: Array<{
    service: ServiceName;
    operations: number;
    cases: number;
    failures: Array<{ operation: string; check: string; title: string }>;
    errors: Array<{ operation: string; message: string }>;
    exitCode: number;
  }>;
}

/**
 * `npm run test:api` on a budget, inside `npm test`: schemathesis with all its checks against the
 * OpenAPI document of every service, with a real token of someone holding every role and real
 * intake keys. Any failure (a server error, an undocumented status or content type, a request the
 * document calls valid being refused or the reverse, a wrong answer to an undeclared method) fails
 * this test. The longer run and its figures are in docs/api-contract.md.
 *
 * schemathesis writes what it likes (suppression rules, restricted incidents, disabled correlation
 * rules), so the services run against a database and a Kafka broker of their own, not the ones
 * other suites share: with the shared broker, the events this suite's services left unread (and the
 * offsets they committed) went to the services of the suites after it, into the shared database.
 */
describe('API contract (schemathesis against every service)', () => {
  const services = {} as Record<ServiceName, ServiceProcess>;
  const database = `vigil_api_contract_${process.pid}`;
  let kafka: Awaited<ReturnType<typeof serveStack<{ brokers: string }>>> | undefined;

  beforeAll(async () => {
    const env = testEnv();
    const kafkaDir = mkdtempSync(join(env.workDir, 'api-contract-kafka-'));
    kafka = await serveStack<{ brokers: string }>(['kafka', '--data-dir', join(kafkaDir, 'data'), '--port', String(await freePort()), '--controller-port', String(await freePort()), '--fresh']);
    await serveStack(['topics', '--brokers', kafka.info.brokers, '--partitions', '3']);
    await withDatabase((client) => client.query(`CREATE DATABASE ${database}`));
    const inContractDatabase = (url: string) => Object.assign(new URL(url), { pathname: `/${database}` }).toString();
    // The login roles are the cluster's (the global set-up made them); only the schemas are new.
    await provisionServiceDatabase(
      inContractDatabase(env.adminUrl),
      SERVICES.map((s) => ({ schema: s, role: `vigil_${s}`, password: decodeURIComponent(new URL(env.serviceUrls[s]).password) })),
    );
    const brokers = kafka.info.brokers;
    await Promise.all(SERVICES.map(async (s) => (services[s] = await startService(s, { DATABASE_URL: inContractDatabase(env.serviceUrls[s]), KAFKA_BROKERS: brokers, LOG_LEVEL: 'warn' }))));
  }, 300_000);

  afterAll(async () => {
    await Promise.all(SERVICES.map((s) => services[s]?.stop()));
    await kafka?.stop();
  }, 120_000);

  it('takes UUIDs in any case, in paths and in bodies (links, move, merge)', async () => {
    const triage = services.triage.url;
    const { apiKey } = await createIntegration(services.intake.url, 'canonical');
    const send = async (title: string, host: string) =>
      (
        await http(
          'POST',
          `${services.intake.url}/v1/alerts`,
          { title, source: 'uuid-case', severity: 'high', category: 'malware', dedupKey: randomUUID(), assets: [{ hostname: host }] },
          { authorization: `Bearer ${apiKey}` },
        )
      ).json.alertId as string;
    const placed = (alertId: string) =>
      eventually(async () => {
        const res = await http('GET', `${triage}/v1/alerts/${alertId.toUpperCase()}`);
        return res.status === 200 && res.json.incidentId ? (res.json.incidentId as string) : undefined;
      }, 60_000);
    // Two alerts on one host and category make one incident (C), whose second alert can move.
    const a = await send('Case A', 'web-11');
    const b = await send('Case B', 'web-12');
    const c1 = await send('Case C', 'web-13');
    const [incidentA, incidentB, incidentC] = await Promise.all([a, b, c1].map(placed));
    const c = await send('Case C again', 'web-13');
    expect(await placed(c)).toBe(incidentC);
    expect(new Set([incidentA, incidentB, incidentC]).size).toBe(3);
    const A = `${triage}/v1/incidents/${incidentA.toUpperCase()}`;

    expect((await http('GET', A)).json.incidentId).toBe(incidentA);
    const link = await http('POST', `${A}/links`, { incidentId: incidentB.toUpperCase(), relation: 'related' });
    expect([link.status, link.json.items?.map((l: { incidentId: string }) => l.incidentId)]).toEqual([201, [incidentB]]);
    const move = await http('POST', `${A}/alerts`, { alertId: c.toUpperCase(), reason: 'same campaign' }, { 'if-match': '*' });
    expect(move.status).toBe(200);
    expect((await http('GET', `${triage}/v1/alerts/${c}`)).json.incidentId).toBe(incidentA);
    const merge = await http('POST', `${A}/merge`, { incidentIds: [incidentB.toUpperCase()], reason: 'same campaign' }, { 'if-match': '*' });
    expect(merge.status).toBe(200);
    expect((await http('GET', `${triage}/v1/incidents/${incidentB}`)).json.phase).toBe('merged');
  }, 180_000);

  it('finds no failure in any service', async () => {
    const work = mkdtempSync(join(testEnv().workDir, 'api-contract-'));
    const figuresFile = join(work, 'figures.json');
    const args = [
      join(__dirname, '..', 'tools', 'api-contract', 'run.mjs'),
      ...SERVICES.flatMap((s) => ['--url', `${s}=${services[s].url}`]),
      '--max-examples', '3',
      '--seed', '1',
      '--json', figuresFile,
      '--report-dir', join(work, 'reports'),
      '--quiet',
    ];
    const child = spawn(process.execPath, args, { env: { ...process.env, VIGIL_CONTRACT_BEARER: await tokenFor('tester') }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));

    const figures = JSON.parse(readFileSync(figuresFile, 'utf8')) as ContractFigures;
    expect(figures.results.map((r) => r.service)).toEqual([...SERVICES]);
    for (const r of figures.results) {
      // Every operation was exercised, and nothing failed: the list of failures names each one.
      expect({ service: r.service, tested: r.operations > 0 && r.cases >= r.operations }).toEqual({ service: r.service, tested: true });
      expect({ service: r.service, failures: r.failures, errors: r.errors }).toEqual({ service: r.service, failures: [], errors: [] });
    }
    expect({ code, output: code === 0 ? '' : output }).toEqual({ code: 0, output: '' });
  }, 600_000);
});
