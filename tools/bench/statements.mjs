// --statements in the benchmarks: where a service's database time went, from pg_stat_statements.

/** Server settings that load pg_stat_statements (it must be preloaded at server start). */
export const statementsSettings = { shared_preload_libraries: 'pg_stat_statements', 'pg_stat_statements.track': 'all' };

/** Creates the extension and starts counting from now (e.g. after a warm-up). */
export async function resetStatements(db) {
  await db.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
  await db.query('SELECT pg_stat_statements_reset()');
}

/** Prints, as a Markdown table, the statements the service's role spent the most time on. */
export async function printStatements(db, service, log, limit = 15) {
  await db.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
  const { rows } = await db.query(
    `SELECT s.calls, round(s.total_exec_time)::int AS total_ms, round((s.total_exec_time / s.calls)::numeric, 3) AS mean_ms, s.rows,
            regexp_replace(left(s.query, 160), '\\s+', ' ', 'g') AS query
       FROM pg_stat_statements s JOIN pg_roles r ON r.oid = s.userid
      WHERE r.rolname LIKE $1 ORDER BY s.total_exec_time DESC LIMIT $2`,
    [`%${service}%`, limit],
  );
  const fmt = (n) => Number(n).toLocaleString('en-US');
  log(`\n| calls | total ms | mean ms | rows | statement (${service} role) |\n|---|---|---|---|---|`);
  for (const q of rows) log(`| ${fmt(q.calls)} | ${fmt(q.total_ms)} | ${q.mean_ms} | ${fmt(q.rows)} | \`${q.query.replaceAll('|', '\\|')}\` |`);
}
