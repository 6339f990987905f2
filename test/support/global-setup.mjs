// Integration set-up, once per Jest run: a throwaway PostgreSQL and Kafka (or the ones named by
// DATABASE_URL / KAFKA_BROKERS), an OpenID provider, the compiled services, database roles and
// topics. What the tests need travels to the workers in VIGIL_TEST_* variables.
import { chmodSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from '../../tools/build.mjs';
import { startKafka } from '../../tools/stack/kafka.mjs';
import { DEMO_AUDIENCE, DEMO_ROLE_MAPPING, DEMO_ROLES_CLAIM, DEMO_USERS, startOidcProvider } from '../../tools/stack/oidc.mjs';
import { freePort } from '../../tools/stack/ports.mjs';
import { startPostgres } from '../../tools/stack/postgres.mjs';
import { provisionDatabase, provisionKafkaTopics, root, localCredentials } from '../../tools/stack/provision.mjs';

export default async function globalSetup() {
  const started = Date.now();
  const log = (msg) => process.stdout.write(`\n[integration set-up] ${msg}`);
  const stops = [];
  globalThis.__vigilStack = { stops };
  await build({ quiet: true });
  // The demo people; `tester`, who holds every role so that a test not about authorization is
  // never stopped by it; and `nobody`, signed in but in no group that maps to a Vigil role.
  // Keys live in memory: no token outlives the run.
  const tester = { username: 'tester', sub: 'u-tester', name: 'Test User', email: 'tester@soc.example', groups: Object.keys(DEMO_ROLE_MAPPING) };
  const nobody = { username: 'nobody', sub: 'u-nobody', name: 'No Role', email: 'nobody@soc.example', groups: ['contractors'] };
  const oidc = await startOidcProvider({ port: 0, users: [...DEMO_USERS, tester, nobody] });
  stops.push(oidc.stop);
  // PostgreSQL as root runs as the 'postgres' user, which must be able to enter the data dir.
  const work = mkdtempSync(join(tmpdir(), 'vigil-test-'));
  chmodSync(work, 0o755);

  let adminUrl = process.env.DATABASE_URL;
  if (!adminUrl) {
    const pg = await startPostgres({ dataDir: join(work, 'postgres'), port: await freePort(), fresh: true });
    stops.push(pg.stop);
    adminUrl = pg.url;
  }
  let brokers = process.env.KAFKA_BROKERS;
  if (!brokers) {
    const kafka = await startKafka({
      cacheDir: join(root, '.cache', 'kafka'),
      dataDir: join(work, 'kafka'),
      port: await freePort(),
      controllerPort: await freePort(),
      logFile: join(work, 'kafka.log'),
      fresh: true,
    });
    stops.push(kafka.stop);
    brokers = kafka.brokers;
  }
  const urls = await provisionDatabase(adminUrl, localCredentials(join(work, 'credentials.json')));
  await provisionKafkaTopics(brokers, { partitions: 3, replicationFactor: 1, minInsyncReplicas: 1 });
  Object.assign(process.env, {
    VIGIL_TEST_ADMIN_DATABASE_URL: adminUrl,
    VIGIL_TEST_DATABASE_URLS: JSON.stringify(urls),
    VIGIL_TEST_KAFKA_BROKERS: brokers,
    VIGIL_TEST_WORKDIR: work,
    VIGIL_TEST_OIDC_ISSUER: oidc.issuer,
    VIGIL_TEST_OIDC_TOKEN_URL: oidc.tokenEndpoint,
    VIGIL_TEST_OIDC_AUDIENCE: DEMO_AUDIENCE,
    VIGIL_TEST_OIDC_ROLES_CLAIM: DEMO_ROLES_CLAIM,
    VIGIL_TEST_OIDC_ROLE_MAPPING: JSON.stringify(DEMO_ROLE_MAPPING),
  });
  log(`PostgreSQL and Kafka ready in ${((Date.now() - started) / 1000).toFixed(1)} s (work dir ${work})\n`);
}
