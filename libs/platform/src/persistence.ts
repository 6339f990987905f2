import { Client } from 'pg';
import { DataSource, type MixedList, type EntitySchema } from 'typeorm';

export interface ServiceDataSourceOptions {
  url: string;
  schema: string;
  entities: MixedList<Function | string | EntitySchema>;
  migrations: MixedList<Function | string>;
  poolSize?: number;
  applicationName?: string;
}

/** One DataSource per service, bound to its own schema; schema changes only through migrations. */
export function createServiceDataSource(options: ServiceDataSourceOptions): DataSource {
  return new DataSource({
    type: 'postgres',
    url: options.url,
    schema: options.schema,
    entities: options.entities,
    migrations: options.migrations,
    migrationsTableName: 'schema_migrations',
    migrationsTransactionMode: 'each',
    synchronize: false,
    migrationsRun: false,
    logging: ['error'],
    extra: {
      max: options.poolSize ?? 10,
      application_name: options.applicationName ?? `vigil-${options.schema}`,
      connectionTimeoutMillis: 5000,
    },
  });
}

export interface ServiceDatabaseRole {
  schema: string;
  role: string;
  password: string;
}

/**
 * Creates a service's login role and the schema it owns, and nothing more: the role gets no
 * rights on any other schema, so no service can read another's tables. Idempotent. Runs with
 * an administrative connection (local stack, tests, the Helm migrations job).
 */
export async function provisionServiceDatabase(adminUrl: string, roles: ServiceDatabaseRole[]): Promise<void> {
  const client = new Client({ connectionString: adminUrl });
  await client.connect();
  try {
    for (const { schema, role, password } of roles) {
      const ident = (s: string) => `"${s.replace(/"/g, '""')}"`;
      const literal = (s: string) => `'${s.replace(/'/g, "''")}'`;
      const exists = await client.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [role]);
      if (exists.rowCount === 0) {
        await client.query(`CREATE ROLE ${ident(role)} LOGIN PASSWORD ${literal(password)}`);
      } else {
        await client.query(`ALTER ROLE ${ident(role)} LOGIN PASSWORD ${literal(password)}`);
      }
      await client.query(`CREATE SCHEMA IF NOT EXISTS ${ident(schema)} AUTHORIZATION ${ident(role)}`);
      await client.query(`ALTER ROLE ${ident(role)} SET search_path = ${ident(schema)}`);
      await client.query(`REVOKE ALL ON SCHEMA public FROM ${ident(role)}`);
    }
    await client.query('REVOKE CREATE ON SCHEMA public FROM PUBLIC');
  } finally {
    await client.end();
  }
}

/** The URL a service uses: the admin URL's host and database with the service's own role. */
export function serviceDatabaseUrl(baseUrl: string, role: string, password: string): string {
  const url = new URL(baseUrl);
  url.username = role;
  url.password = password;
  return url.toString();
}

/**
 * Runs the service's pending migrations while holding a database-wide advisory lock, so replicas
 * that start together (or a Helm hook and a pod) never run the same migration twice.
 */
export async function runMigrationsExclusively(dataSource: DataSource, schema: string): Promise<string[]> {
  const lock = dataSource.createQueryRunner();
  await lock.connect();
  try {
    await lock.query('SELECT pg_advisory_lock(hashtext($1))', [`vigil-migrations:${schema}`]);
    const ran = await dataSource.runMigrations({ transaction: 'each' });
    return ran.map((m) => m.name);
  } finally {
    await lock.query('SELECT pg_advisory_unlock(hashtext($1))', [`vigil-migrations:${schema}`]).catch(() => undefined);
    await lock.release();
  }
}
