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
 * Local credentials (per-service database passwords, intake's API key pepper): random, kept in a
 * git-ignored file next to the data so that a second start finds them working.
 */
export function localCredentials(file) {
  const stored = existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : {};
  const secret = () => randomBytes(24).toString('base64url');
  let changed = false;
  // Intake no longer has an admin token of its own (admins sign in with OpenID); an old one left
  // here would only mislead.
  if ('intakeAdminToken' in stored) {
    delete stored.intakeAdminToken;
    changed = true;
  }
  for (const name of [...SERVICES, 'intakeApiKeyPepper']) {
    if (!stored[name]) {
      stored[name] = secret();
      changed = true;
    }
  }
  if (changed) saveCredentials(file, stored);
  return stored;
}

export function saveCredentials(file, credentials) {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, JSON.stringify(credentials, null, 2), { mode: 0o600 });
}

/**
 * An API key for the canonical alert endpoint, created once through intake's own API and kept
 * with the other local credentials (Vigil stores only its hash, so it cannot be shown again).
 * `accessToken` is an OpenID access token of someone with the admin role.
 */
export async function ensureLocalApiKey(intakeUrl, credentials, file, accessToken) {
  const auth = { authorization: `Bearer ${accessToken}` };
  if (credentials.localApiKey) {
    const res = await fetch(`${intakeUrl}/v1/integrations`, { headers: auth });
    if (!res.ok) throw new Error(`could not list intake's integrations: HTTP ${res.status} ${await res.text()}`);
    const { items } = await res.json();
    if (items.some((i) => i.keyPrefix === credentials.localApiKey.slice(0, 8) && !i.revokedAt)) return credentials.localApiKey;
  }
  const res = await fetch(`${intakeUrl}/v1/integrations`, {
    method: 'POST',
    headers: { ...auth, 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'local default', kind: 'canonical' }),
  });
  if (!res.ok) throw new Error(`could not create the local API key: HTTP ${res.status} ${await res.text()}`);
  credentials.localApiKey = (await res.json()).apiKey;
  saveCredentials(file, credentials);
  return credentials.localApiKey;
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
