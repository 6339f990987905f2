import { Client } from 'pg';
import { DataSource, type DataSourceOptions, type EntityManager, type EntitySchema, type EntityTarget, type MixedList } from 'typeorm';
import { AUDIT_OWNER_ROLE, AUDIT_TABLE, auditImmutabilityDdl, auditTableDdl } from './audit/audit-trail';

/** Limits every session of a pool runs under (milliseconds; 0: none). */
export interface SessionTimeouts {
  /** `statement_timeout`: longest a statement may run. */
  statementMs: number;
  /** `lock_timeout`: longest a statement waits for a lock (row, table or advisory). */
  lockMs: number;
  /** `idle_in_transaction_session_timeout`: a session idle inside an open transaction is ended, and its locks freed. */
  idleInTransactionMs: number;
}

/**
 * The defaults of DATABASE_STATEMENT_TIMEOUT_MS, DATABASE_LOCK_TIMEOUT_MS and
 * DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS: far above anything a request or an event needs (single
 * milliseconds to tens of them), low enough that one hung transaction holding key locks cannot
 * stall a service for longer than a retry.
 */
export const DEFAULT_SESSION_TIMEOUTS: SessionTimeouts = { statementMs: 30_000, lockMs: 10_000, idleInTransactionMs: 60_000 };

/**
 * Migrations may rewrite large tables and wait behind running transactions for their locks, and
 * they run under the migrations advisory lock while other replicas wait for it: no limits, set
 * explicitly so that neither the service's limits nor a role's defaults apply to them.
 */
export const MIGRATION_SESSION_OPTIONS = '-c statement_timeout=0 -c lock_timeout=0 -c idle_in_transaction_session_timeout=0';

/**
 * node-postgres pool settings for `timeouts`, sent as startup parameters of every connection (no
 * extra round trip). A 0 is left out, so the server's default (no limit) applies.
 */
export function sessionTimeoutSettings(timeouts: SessionTimeouts): Record<string, number> {
  const settings: Record<string, number> = {};
  if (timeouts.statementMs > 0) settings.statement_timeout = timeouts.statementMs;
  if (timeouts.lockMs > 0) settings.lock_timeout = timeouts.lockMs;
  if (timeouts.idleInTransactionMs > 0) settings.idle_in_transaction_session_timeout = timeouts.idleInTransactionMs;
  return settings;
}

export interface ServiceDataSourceOptions {
  url: string;
  schema: string;
  entities: MixedList<Function | string | EntitySchema>;
  migrations: MixedList<Function | string>;
  poolSize?: number;
  applicationName?: string;
  /** Default: DEFAULT_SESSION_TIMEOUTS. */
  timeouts?: SessionTimeouts;
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
      // Notice a connection whose server went away (a failover, a dropped route) before a query
      // waits on it indefinitely.
      keepAlive: true,
      keepAliveInitialDelayMillis: 10_000,
      ...sessionTimeoutSettings(options.timeouts ?? DEFAULT_SESSION_TIMEOUTS),
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
      await provisionAuditTable(client, schema, role);
    }
    await client.query('REVOKE CREATE ON SCHEMA public FROM PUBLIC');
  } finally {
    await client.end();
  }
}

/**
 * The service's audit table, owned by a role that never logs in: the service role may read and
 * append, never update, delete or truncate. A table an earlier migration created (owned by the
 * service role) is handed over the same way.
 */
async function provisionAuditTable(client: Client, schema: string, role: string): Promise<void> {
  const ident = (s: string) => `"${s.replace(/"/g, '""')}"`;
  const owner = await client.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [AUDIT_OWNER_ROLE]);
  if (owner.rowCount === 0) await client.query(`CREATE ROLE ${AUDIT_OWNER_ROLE} NOLOGIN`);
  await client.query(auditTableDdl(schema));
  for (const statement of auditImmutabilityDdl(schema)) await client.query(statement);
  const table = `${ident(schema)}.${AUDIT_TABLE}`;
  await client.query(`GRANT USAGE ON SCHEMA ${ident(schema)} TO ${AUDIT_OWNER_ROLE}`);
  await client.query(`ALTER TABLE ${table} OWNER TO ${AUDIT_OWNER_ROLE}`);
  await client.query(`ALTER FUNCTION ${ident(schema)}.audit_record_immutable() OWNER TO ${AUDIT_OWNER_ROLE}`);
  await client.query(`REVOKE ALL ON ${table} FROM ${ident(role)}`);
  await client.query(`GRANT SELECT, INSERT ON ${table} TO ${ident(role)}`);
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
 * that start together (or a Helm hook and a pod) never run the same migration twice. They run on
 * a small DataSource of their own, with the service's settings but none of its session timeouts
 * (MIGRATION_SESSION_OPTIONS): waiting for the lock while another replica migrates, or rewriting
 * a large table, may take far longer than any request.
 */
export async function runMigrationsExclusively(dataSource: DataSource, schema: string): Promise<string[]> {
  const options = dataSource.options;
  const {
    statement_timeout: _statement,
    lock_timeout: _lock,
    idle_in_transaction_session_timeout: _idle,
    ...extra
  } = ((options as { extra?: Record<string, unknown> }).extra ?? {}) as Record<string, unknown>;
  const migrations = new DataSource({ ...options, extra: { ...extra, max: 2, options: MIGRATION_SESSION_OPTIONS } } as DataSourceOptions);
  await migrations.initialize();
  try {
    const lock = migrations.createQueryRunner();
    await lock.connect();
    try {
      await lock.query('SELECT pg_advisory_lock(hashtext($1))', [`vigil-migrations:${schema}`]);
      const ran = await migrations.runMigrations({ transaction: 'each' });
      return ran.map((m) => m.name);
    } finally {
      await lock.query('SELECT pg_advisory_unlock(hashtext($1))', [`vigil-migrations:${schema}`]).catch(() => undefined);
      await lock.release();
    }
  } finally {
    await migrations.destroy();
  }
}

/**
 * Writes rows of an entity in one statement, the rows as ONE JSON parameter read back as the
 * table's row type (`jsonb_populate_recordset`), instead of TypeORM's builder: the builder binds
 * every value as a parameter of its own and rewrites the SQL for each, which for a run's rows
 * (hundreds of rows × tens of columns) cost the services more CPU than PostgreSQL spent on them.
 * `conflict`: the entity's properties of a unique key; a row whose key exists replaces the stored
 * one (every column), as TypeORM's `upsert` does. Without it, rows are inserted.
 */
export async function writeEntities<T extends object>(
  manager: Pick<EntityManager, 'query' | 'connection'>,
  entity: EntityTarget<T>,
  rows: readonly T[],
  conflict?: ReadonlyArray<keyof T & string>,
): Promise<void> {
  if (rows.length === 0) return;
  const metadata = manager.connection.getMetadata(entity);
  const columns = metadata.columns.filter((c) => !c.isVirtual && !c.isGenerated);
  const quote = (name: string) => `"${name.replaceAll('"', '""')}"`;
  const table = `${quote(metadata.schema ?? 'public')}.${quote(metadata.tableName)}`;
  const names = columns.map((c) => quote(c.databaseName));
  // An unset property takes the column's default, as with TypeORM: a literal one in the JSON, an SQL
  // one (a function) where the column may not be null.
  const json = rows.map((row) =>
    Object.fromEntries(columns.map((c) => [c.databaseName, c.getEntityValue(row) ?? (c.default !== undefined && typeof c.default !== 'function' ? c.default : null)])),
  );
  const selected = columns.map((c, i) => (typeof c.default === 'function' && !c.isNullable ? `coalesce(${names[i]}, ${(c.default as () => string)()})` : names[i]));
  let sql = `INSERT INTO ${table} (${names.join(', ')}) SELECT ${selected.join(', ')} FROM jsonb_populate_recordset(NULL::${table}, $1::jsonb)`;
  if (conflict?.length) {
    const keys = conflict.map((property) => {
      const column = metadata.findColumnWithPropertyName(property);
      if (!column) throw new Error(`${metadata.name} has no property ${property}`);
      return column.databaseName;
    });
    const updated = columns.filter((c) => !keys.includes(c.databaseName)).map((c) => `${quote(c.databaseName)} = EXCLUDED.${quote(c.databaseName)}`);
    sql += ` ON CONFLICT (${keys.map(quote).join(', ')}) DO ${updated.length ? `UPDATE SET ${updated.join(', ')}` : 'NOTHING'}`;
  }
  await manager.query(sql, [JSON.stringify(json)]);
}

/** Raw rows of an entity's table (`SELECT *`, `RETURNING *`: column names) as the entity (property names). */
export function entitiesFromRows<T extends object>(dataSource: Pick<DataSource, 'getMetadata' | 'getRepository'>, entity: EntityTarget<T>, rows: ReadonlyArray<Record<string, unknown>>): T[] {
  const columns = dataSource.getMetadata(entity).columns;
  const repository = dataSource.getRepository(entity);
  return rows.map((row) => repository.create(Object.fromEntries(columns.map((c) => [c.propertyName, row[c.databaseName]])) as T));
}
