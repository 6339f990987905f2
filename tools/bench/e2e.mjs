// `npm run bench:e2e`: the whole pipeline at rising fixed rates. All five services as separate
// processes, a real PostgreSQL and Kafka on this machine, an open-loop load of a realistic mix
// (about one alert in ten opens an incident, the rest repeats and correlated alerts, one storm of
// thousands of alerts on one incident; canonical, Alertmanager, PagerDuty Events v2 and OCSF).
// Per step: offered and accepted alerts/s; latency from the alert's scheduled send time to triage's
// decision and to the alert on its incident's timeline in reporting; consumer lag per service; CPU
// per process. Then a reconciliation of every accepted alert, and the bare ceilings (Kafka alone,
// PostgreSQL alone) beside the targets.
// Usage: npm run bench:e2e [-- --rates 500,1000,2500 --seconds 60 --storm 3000 --quick --keep --statements]
// (--statements: where each service's database time went over the measured steps, from pg_stat_statements)
import { cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { build } from '../build.mjs';
import { printStatements, resetStatements, statementsSettings } from './statements.mjs';
import {
  AlertMix, CONSUMERS, cpuBetween, cpuSnapshot, postgresCpuByWho, fmt, kafkaCeiling, Ledger, openLoop, postgresCeiling, printReconciliation, reconcile,
  reportingRows, startPipeline, summary, triageRows, waitForPlacement, watchLag, watchPlacements,
} from './pipeline.mjs';

const { values: args } = parseArgs({
  options: {
    rates: { type: 'string' },
    seconds: { type: 'string' },
    storm: { type: 'string' },
    quick: { type: 'boolean', default: false },
    connections: { type: 'string', default: '256' },
    seed: { type: 'string', default: '1' },
    keep: { type: 'boolean', default: false },
    statements: { type: 'boolean', default: false },
  },
});
const quick = args.quick;
const rates = (args.rates ?? (quick ? '100,250' : '500,1000,2500')).split(',').map(Number);
const seconds = Number(args.seconds ?? (quick ? 10 : 60));
const stormSize = Number(args.storm ?? (quick ? 300 : 3000));
if (rates.some((r) => !(r > 0)) || !(seconds > 0) || !(stormSize >= 0)) throw new Error('--rates, --seconds and --storm take positive numbers');
const TARGET = { rate: 2500, seconds: 60, triageP99: 250, stretchP99: 100 };

const log = (m) => console.log(m);
const ms = (v) => (Number.isFinite(v) ? Math.round(v).toLocaleString('en-US') : 'n/a');

async function main() {
  log(`end-to-end benchmark — ${cpus().length} cores, load average ${loadavg()[0].toFixed(2)} at start, steps ${rates.join(', ')} alerts/s × ${seconds} s, a storm of ${stormSize} alerts in step ${Math.min(1, rates.length - 1) + 1}, everything on this machine`);
  await build({ quiet: true });
  const started = Date.now();
  const stack = await startPipeline({ log, keep: args.keep, pgSettings: args.statements ? statementsSettings : {} });
  await watchPlacements(stack);
  log(`stack up in ${((Date.now() - started) / 1000).toFixed(0)} s (PostgreSQL, Kafka, OpenID provider, ${Object.keys(stack.services).join(', ')})`);
  const run = `e${Date.now().toString(36)}`;
  const mix = new AlertMix(run, { seed: Number(args.seed) });
  const ledger = new Ledger();
  const rows = [];
  const lagRows = [];
  const cpuRows = [];
  const results = [];
  try {
    // Warm-up, not measured: JIT, connection pools, plans, topic metadata.
    ledger.step = -1;
    await openLoop({ url: stack.services.intake.url, keys: stack.keys, mix, ledger, rate: Math.min(100, rates[0]), seconds: 5 });
    await waitForPlacement(stack, ledger, { timeoutMs: 120_000 });

    if (args.statements) await resetStatements(stack.admin);
    const measureStart = performance.now();
    const cpuStart = cpuSnapshot(stack);
    const acceptedBefore = ledger.accepted;
    const sessions = async () => Number((await stack.admin.query(`SELECT sum(sessions)::bigint AS n FROM pg_stat_database`)).rows[0].n);
    const sessionsBefore = await sessions();
    for (const [i, rate] of rates.entries()) {
      ledger.step = i;
      if (i === Math.min(1, rates.length - 1) && stormSize > 0) mix.storm(stormSize);
      const lag = watchLag(stack);
      const cpu0 = cpuSnapshot(stack);
      const t0 = performance.now();
      const load = await openLoop({ url: stack.services.intake.url, keys: stack.keys, mix, ledger, rate, seconds, connections: Number(args.connections) });
      const sendSeconds = (performance.now() - t0) / 1000;
      const cpu = cpuBetween(cpu0, cpuSnapshot(stack), sendSeconds);
      const drainStart = performance.now();
      const drained = await waitForPlacement(stack, ledger, { timeoutMs: Math.max(120_000, seconds * 5_000), log });
      const drainSeconds = (performance.now() - drainStart) / 1000;
      const lagSeen = await lag.stop();

      results.push({ rate, load, drained, drainSeconds });
      lagRows.push(`| ${fmt(rate)} | ${CONSUMERS.map((c) => `${fmt(lagSeen.max[c] ?? 0)}`).join(' | ')} |`);
      cpuRows.push(`| ${fmt(rate)} | ${['intake', 'triage', 'tasking', 'comms', 'reporting', 'postgres', 'kafka', 'load'].map((p) => cpu[p]).join(' | ')} |`);
      log(`step ${i + 1}: ${fmt(rate)}/s offered, ${fmt(Math.round(load.acceptedPerSecond))}/s accepted, backlog drained ${drained.complete ? `in ${drainSeconds.toFixed(1)} s` : `NOT within ${drainSeconds.toFixed(0)} s`}`);
    }

    // A step that did not drain leaves a backlog: let it finish before measuring and counting.
    const final = await waitForPlacement(stack, ledger, { timeoutMs: 1_800_000, log });
    // What the whole pipeline spent, per process, on each request it accepted (backlogs included).
    const cpuEnd = cpuSnapshot(stack);
    const cpuSeconds = Object.fromEntries(Object.keys(cpuEnd).map((p) => [p, cpuEnd[p] - (cpuStart[p] ?? 0)]));
    const acceptedRequests = ledger.accepted - acceptedBefore;
    const sessionsOpened = (await sessions()) - sessionsBefore;
    // What the pipeline placed over the whole measurement, backlogs included: its rate when no step kept up.
    const measured = [...ledger.keys.values()].filter((k) => k.step >= 0).length;
    const placedRate = measured / ((performance.now() - measureStart) / 1000);
    log(`placed ${fmt(measured)} new alerts in ${((performance.now() - measureStart) / 1000).toFixed(0)} s from the first step's start to the last backlog's end: ${fmt(Math.round(placedRate))} alerts/s`);
    if (!final.complete) log('the pipeline did NOT finish its backlog within 30 minutes: latencies below leave out what was still unplaced, and what is missing may be late rather than lost');
    for (const [i, r] of results.entries()) {
      const keys = [...ledger.keys].filter(([, k]) => k.step === i);
      const triage = await triageRows(stack.admin, keys.map(([key]) => key));
      const due = new Map(keys);
      const decided = triage.map((row) => row.decided - due.get(row.dedup_key).due);
      const attached = triage.filter((row) => row.disposition === 'attached');
      const { entries } = await reportingRows(stack.admin, attached.map((row) => row.alert_id), stack.placements);
      const dueOfAlert = new Map(attached.map((row) => [row.alert_id, due.get(row.dedup_key).due]));
      const shown = [...entries.values()].filter((e) => e.shown !== null).map((e) => e.shown - dueOfAlert.get(e.alert_id));
      r.d = summary(decided);
      const t = summary(shown);
      const { load, drained, drainSeconds } = r;
      rows.push(
        `| ${fmt(r.rate)} | ${fmt(Math.round(load.acceptedPerSecond))} | ${fmt(keys.length)} | ${ms(load.httpP50)} / ${ms(load.httpP99)} | ` +
          `${ms(r.d.p50)} / ${ms(r.d.p99)} / ${ms(r.d.max)} (${fmt(r.d.n)}) | ${ms(t.p50)} / ${ms(t.p99)} / ${ms(t.max)} (${fmt(t.n)}) | ` +
          `${drained.complete ? `${drainSeconds.toFixed(1)} s` : `NOT within ${drainSeconds.toFixed(0)} s`} | ${load.failed ? JSON.stringify(load.statuses) : '–'} |`,
      );
    }

    log('');
    log('Per step (alerts/s; latencies in ms from the alert\'s scheduled send time; "new alerts" are those first sent in the step, repeats excluded):');
    log('');
    log('| offered /s | accepted /s | new alerts | HTTP p50 / p99 | → triage decision p50 / p99 / max (n) | → on the incident\'s timeline p50 / p99 / max (n) | backlog drained after the step | errors |');
    log('|---|---|---|---|---|---|---|---|');
    for (const r of rows) log(r);
    log('');
    log('Triage decision = attached_at of the alert\'s row in triage.alerts (now() of the placing transaction, which commits moments later).');
    log('On the timeline = processed_at in reporting.inbox of the event that put the alert on its incident\'s timeline (incident opened / alert attached, read from vigil.incidents.v1): now() of reporting\'s transaction.');
    log('');
    log('Consumer lag, maximum during the step (messages behind, from Kafka\'s committed offsets against the topics\' ends):');
    log('');
    log(`| offered /s | ${CONSUMERS.join(' | ')} |`);
    log(`|---|${CONSUMERS.map(() => '---').join('|')}|`);
    for (const r of lagRows) log(r);
    log('');
    log('CPU per process while sending (% of one core; 200 = both cores; from /proc):');
    log('');
    log('| offered /s | intake | triage | tasking | comms | reporting | postgres | kafka | load generator |');
    log('|---|---|---|---|---|---|---|---|---|');
    for (const r of cpuRows) log(r);
    log('');
    // The budget that the target leaves: every core's second shared by TARGET.rate alerts.
    const processes = ['intake', 'triage', 'tasking', 'comms', 'reporting', 'postgres', 'kafka', 'load'];
    const perRequest = Object.fromEntries(processes.map((p) => [p, (cpuSeconds[p] * 1000) / acceptedRequests]));
    const total = processes.reduce((sum, p) => sum + perRequest[p], 0);
    const budget = (cpus().length * 1000) / TARGET.rate;
    log(`CPU per accepted request over the whole measurement, backlogs included (ms of one core; ${fmt(acceptedRequests)} requests answered 202):`);
    log('');
    log('| intake | triage | tasking | comms | reporting | postgres | kafka | load generator | all | budget at the target |');
    log('|---|---|---|---|---|---|---|---|---|---|');
    log(`| ${processes.map((p) => perRequest[p].toFixed(2)).join(' | ')} | **${total.toFixed(2)}** | ${budget.toFixed(2)} |`);
    log('');
    const pgBy = Object.entries(postgresCpuByWho(cpuStart, cpuEnd)).filter(([, v]) => v > 0).sort((a, b) => b[1] - a[1]);
    log(`PostgreSQL sessions opened during the measurement: ${fmt(sessionsOpened)} (each a new backend process: fork, authentication, cold caches).`);
    log(`PostgreSQL's part by whom it worked for (backends by role, its own processes by kind), ms a request: ${pgBy.map(([who, v]) => `${who} ${((v * 1000) / acceptedRequests).toFixed(2)}`).join(', ')}`);
    log('');
    log(`At ${total.toFixed(2)} ms of CPU a request, ${cpus().length} cores place at most ${fmt(Math.round((cpus().length * 1000) / total))} requests/s end to end; ${fmt(TARGET.rate)}/s needs ${total <= budget ? 'no more than that' : `${(total / budget).toFixed(1)} times less CPU a request`}.`);
    log('');

    if (args.statements) {
      log('Database time per service over the measured steps (pg_stat_statements, the services\' roles):');
      log('');
      const { rows: roles } = await stack.admin.query(
        `SELECT r.rolname AS role, sum(s.calls)::bigint AS calls, round(sum(s.total_exec_time))::bigint AS total_ms
           FROM pg_stat_statements s JOIN pg_roles r ON r.oid = s.userid WHERE r.rolname LIKE 'vigil_%' GROUP BY 1 ORDER BY 3 DESC`,
      );
      log('| role | statements | total ms |\n|---|---|---|');
      for (const r of roles) log(`| ${r.role} | ${fmt(Number(r.calls))} | ${fmt(Number(r.total_ms))} |`);
      for (const service of ['triage', 'reporting', 'tasking', 'comms', 'intake']) await printStatements(stack.admin, `vigil_${service}`, log, 10);
      log('');
    }
    const rec = await reconcile(stack, ledger, run);
    printReconciliation(rec, log, final.complete);

    log('');
    log('Ceilings (the same work with nothing else in the way):');
    const sampleCount = Math.min(50_000, Math.max(5_000, ledger.keys.size));
    const kafka = await kafkaCeiling(stack, sampleCount);
    const pg = await postgresCeiling(stack, run, sampleCount);
    const best = results.reduce((a, b) => ((b.drained.complete && b.load.acceptedPerSecond > (a?.load.acceptedPerSecond ?? 0)) ? b : a), undefined);
    const pipeline = best ? best.load.acceptedPerSecond : placedRate;
    log(`| what | alerts/s | pipeline (${best ? 'best step that drained' : 'no step drained: placed over the whole run'}: ${fmt(Math.round(pipeline))}/s) as a share |`);
    log('|---|---|---|');
    log(`| Kafka: produce ${fmt(kafka.count)} alert events (acks all, batches of 200) | ${fmt(Math.round(kafka.producePerSecond))} | ${(pipeline / kafka.producePerSecond).toFixed(3)} |`);
    log(`| Kafka: produce and consume them back | ${fmt(Math.round(kafka.endToEndPerSecond))} | ${(pipeline / kafka.endToEndPerSecond).toFixed(3)} |`);
    log(`| PostgreSQL: the run's triage.alerts rows again, INSERTs of 500 rows | ${fmt(Math.round(pg.rowsPerSecond))} | ${(pipeline / pg.rowsPerSecond).toFixed(3)} |`);
    log('');
    const top = results.find((r) => r.rate >= TARGET.rate);
    const met = top && top.load.acceptedPerSecond >= 0.99 * TARGET.rate && seconds >= TARGET.seconds && top.drained.complete && top.d.p99 <= TARGET.triageP99;
    log('Targets (2 cores, everything co-located):');
    log(`- end to end ${fmt(TARGET.rate)} alerts/s sustained for ${TARGET.seconds} s: ${top ? `${fmt(Math.round(top.load.acceptedPerSecond))}/s accepted for ${top.load.seconds.toFixed(0)} s, triage p99 ${ms(top.d.p99)} ms → ${met ? 'MET' : 'not met'}` : `not measured (no step at ${fmt(TARGET.rate)}/s)`}`);
    for (const r of results) log(`- p99 request → triage decision ≤ ${TARGET.triageP99} ms (stretch ${TARGET.stretchP99} ms) at ${fmt(r.rate)}/s: ${ms(r.d.p99)} ms → ${r.d.p99 <= TARGET.stretchP99 ? 'stretch met' : r.d.p99 <= TARGET.triageP99 ? 'met' : 'not met'}`);
    log(`- zero lost, zero duplicated: lost ${rec.lost}, doubled ${rec.doubled + rec.intakeDoubled + rec.timelineDoubled + rec.onTwoTimelines} → ${rec.ok ? 'MET' : 'not met'}`);
    log(`load average at the end: ${loadavg().map((l) => l.toFixed(2)).join(' ')} (${cpus().length} cores; other work on this machine counts)`);
    if (!rec.ok) process.exitCode = 1;
  } finally {
    await stack.stop();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
