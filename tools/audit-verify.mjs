// `npm run audit:verify`: recomputes every service's audit hash chain straight from the database
// and names the first record that no longer matches. Exits 1 on any mismatch, 2 when it cannot
// read a chain. With `--jsonl`, also writes every record as JSON Lines to stdout (for a SIEM).
//
//   DATABASE_URL=postgres://…  npm run audit:verify [-- --service triage] [--jsonl]
//
// Without DATABASE_URL it reads the local stack of `npm start` (PostgreSQL on VIGIL_PG_PORT).
// Any role that may read the audit tables will do (an administrator, or each service's own).
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { build } from './build.mjs';
import { root, SERVICES } from './stack/provision.mjs';

const require = createRequire(import.meta.url);
const args = process.argv.slice(2);
const only = args.includes('--service') ? [args[args.indexOf('--service') + 1]] : SERVICES;
const jsonl = args.includes('--jsonl');
const unknown = only.filter((s) => !SERVICES.includes(s));
if (unknown.length) {
  console.error(`audit:verify: unknown service ${unknown.join(', ')}; one of ${SERVICES.join(', ')}`);
  process.exit(2);
}

if (!existsSync(join(root, 'dist', 'libs', 'platform', 'src', 'audit', 'audit-trail.js'))) await build({ quiet: true });
const { verifyChain, AUDIT_TABLE } = require(join(root, 'dist', 'libs', 'platform', 'src', 'audit', 'audit-trail.js'));
const pg = require('pg');

const url = process.env.DATABASE_URL ?? `postgres://postgres:postgres@127.0.0.1:${process.env.VIGIL_PG_PORT ?? 7432}/vigil`;
const client = new pg.Client({ connectionString: url });
try {
  await client.connect();
} catch (error) {
  console.error(`audit:verify: cannot reach PostgreSQL (${error.message}); is npm start running, or is DATABASE_URL set?`);
  process.exit(2);
}
const log = (line) => (jsonl ? process.stderr : process.stdout).write(`${line}\n`);
let failed = false;
for (const service of only) {
  const table = `"${service}".${AUDIT_TABLE}`;
  try {
    const result = await verifyChain(service, async (after, limit) => {
      const { rows } = await client.query(`SELECT seq, recorded_at, body, prev_hash, hash FROM ${table} WHERE seq > $1 ORDER BY seq LIMIT $2`, [after, limit]);
      if (jsonl) {
        for (const r of rows) process.stdout.write(`${JSON.stringify({ service, seq: Number(r.seq), recordedAt: r.recorded_at.toISOString(), prevHash: r.prev_hash, hash: r.hash, record: JSON.parse(r.body) })}\n`);
      }
      return rows;
    });
    if (result.ok) log(`${service.padEnd(9)} ok        ${result.records} records, head ${result.headHash ?? '(empty)'}`);
    else {
      failed = true;
      log(`${service.padEnd(9)} MISMATCH  record ${result.firstMismatch.seq}: ${result.firstMismatch.reason} (${result.records} records before it verify)`);
    }
  } catch (error) {
    failed = true;
    log(`${service.padEnd(9)} UNREADABLE ${error.message}`);
  }
}
await client.end();
process.exit(failed ? 1 : 0);
