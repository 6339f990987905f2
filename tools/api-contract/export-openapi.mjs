// Each service's OpenAPI document, offline: the compiled service (dist/, built first) is created
// with Nest's `preview: true`, which builds its module graph and connects to nothing, and its
// document is built exactly as /openapi.json serves it.
//
//   node tools/api-contract/export-openapi.mjs [--out DIR] [--services intake,triage] [--no-build]
// writes DIR/<service>.openapi.json, or without --out prints { "<service>": document, … }.
import { mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = resolve(fileURLToPath(import.meta.url), '..', '..', '..');
const require = createRequire(import.meta.url);
export const SERVICES = ['intake', 'triage', 'tasking', 'comms', 'reporting'];

/** Settings that only have to pass each service's config validation: nothing is connected to. */
const OFFLINE_ENV = {
  DATABASE_URL: 'postgres://vigil:offline@127.0.0.1:1/vigil',
  KAFKA_BROKERS: '127.0.0.1:1',
  AUTH_ISSUER: 'https://idp.invalid/',
  AUTH_AUDIENCE: 'urn:vigil:api',
  INTAKE_API_KEY_PEPPER: 'offline-openapi-export-pepper',
  LOG_LEVEL: 'fatal',
  PORT: '1',
};

/** The OpenAPI documents of `services` (compiled code in dist/ must be current). */
export async function exportOpenApi(services = SERVICES) {
  require(join(root, 'node_modules', 'reflect-metadata'));
  const { NestFactory } = require('@nestjs/core');
  const { FastifyAdapter } = require('@nestjs/platform-fastify');
  const platform = require(join(root, 'dist', 'libs', 'platform', 'src', 'index.js'));
  const { createLogger } = require(join(root, 'dist', 'libs', 'telemetry', 'src', 'index.js'));
  const documents = {};
  for (const name of services) {
    const { service: definition } = require(join(root, 'dist', 'apps', name, 'src', 'service.js'));
    const parsed = definition.config.safeParse({ ...OFFLINE_ENV, ...process.env.VIGIL_OPENAPI_EXPORT_ENV ? JSON.parse(process.env.VIGIL_OPENAPI_EXPORT_ENV) : {} });
    if (!parsed.success) throw new Error(`${name}: the offline settings do not pass its config: ${JSON.stringify(parsed.error.issues)}`);
    const config = parsed.data;
    const logger = createLogger(name, 'fatal');
    const dataSource = platform.createServiceDataSource({ url: config.DATABASE_URL, schema: name, entities: definition.entities, migrations: definition.migrations, poolSize: 1 });
    const module = definition.module(platform.PlatformModule.forRoot({ service: name, config, logger, dataSource }), config);
    const app = await NestFactory.create(module, new FastifyAdapter(), { preview: true, logger: false, abortOnError: false });
    documents[name] = platform.buildOpenApiDocument(app, definition.info);
  }
  return documents;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({ options: { out: { type: 'string' }, services: { type: 'string' }, 'no-build': { type: 'boolean', default: false } } });
  if (!values['no-build']) await (await import('../build.mjs')).build({ quiet: true });
  const documents = await exportOpenApi(values.services ? values.services.split(',') : SERVICES);
  if (values.out) {
    mkdirSync(values.out, { recursive: true });
    for (const [name, document] of Object.entries(documents)) writeFileSync(join(values.out, `${name}.openapi.json`), `${JSON.stringify(document, null, 2)}\n`);
    process.exit(0);
  } else {
    // Exit once the (large) document is flushed: a pipe is written asynchronously.
    process.stdout.write(`${JSON.stringify(documents)}\n`, () => process.exit(0));
  }
}
