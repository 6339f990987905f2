// Shared by `npm start` and the test set-up: database roles and schemas, Kafka topics, and the
// environment each service process gets. Uses the compiled libraries in dist/ (run the build first).
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const require = createRequire(import.meta.url);

export const SERVICES = ['intake', 'triage', 'tasking', 'comms', 'reporting'];

function dist(path) {
  const file = join(root, 'dist', path);
  if (!existsSync(file)) throw new Error(`${path} is not built: run \`npm run build\` first`);
  return require(file);
}

/**
 * Per-service database passwords: random, kept in a git-ignored file next to the data so that a
 * second start finds the same roles working.
 */
export function servicePasswords(file) {
  if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8'));
  const passwords = Object.fromEntries(SERVICES.map((s) => [s, randomBytes(18).toString('base64url')]));
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, JSON.stringify(passwords, null, 2), { mode: 0o600 });
  return passwords;
}

/** Creates each service's role and schema; returns each service's own DATABASE_URL. */
export async function provisionDatabase(adminUrl, passwords) {
  const { provisionServiceDatabase, serviceDatabaseUrl } = dist('libs/platform/src/persistence.js');
  await provisionServiceDatabase(
    adminUrl,
    SERVICES.map((s) => ({ schema: s, role: `vigil_${s}`, password: passwords[s] })),
  );
  return Object.fromEntries(SERVICES.map((s) => [s, serviceDatabaseUrl(adminUrl, `vigil_${s}`, passwords[s])]));
}

export async function provisionKafkaTopics(brokers, settings) {
  const { createAdmin, provisionTopics, vigilTopics } = dist('libs/messaging/src/kafka.js');
  const admin = createAdmin({ brokers: brokers.split(','), clientId: 'vigil-provisioner' });
  try {
    return await provisionTopics(admin, vigilTopics(), settings);
  } finally {
    await admin.close();
  }
}
