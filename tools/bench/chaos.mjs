// `npm run chaos`: the end-to-end load at a fixed rate while parts of the system die: each service
// SIGKILLed in turn (and started again), the Kafka broker restarted, PostgreSQL restarted, and a
// consumer paused past its session timeout (SIGSTOP, then SIGCONT). Afterwards every alert that got
// a 202 must be placed exactly once, on one incident and on that incident's timeline once, and every
// incident must have its playbook's tasks and its automatic notices exactly once. A 503 (or a
// refused connection) while something is down is allowed; a lost or doubled accepted alert is not.
// Prints accepted, placed, lost, doubled and the seconds to recover per fault; exits 1 on any loss,
// doubling or fault not recovered from.
// Usage: npm run chaos [-- --rate 1000 --short --pause triage --keep]
//   --short  one fault of each kind (triage killed, broker restarted, database restarted, reporting
//            paused) at a few alerts a second: a few minutes, for CI
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { build } from '../build.mjs';
import { SERVICES } from '../stack/provision.mjs';
import { AlertMix, fmt, groupOffsets, Ledger, openLoop, printReconciliation, reconcile, sleep, startPipeline, waitForPlacement, watchPlacements } from './pipeline.mjs';

const { values: args } = parseArgs({
  options: {
    rate: { type: 'string' },
    short: { type: 'boolean', default: false },
    pause: { type: 'string' },
    'session-timeout': { type: 'string', default: '10' },
    'recover-timeout': { type: 'string', default: '180' },
    keep: { type: 'boolean', default: false },
    seed: { type: 'string', default: '7' },
  },
});
const short = args.short;
const rate = Number(args.rate ?? (short ? 5 : 1000));
const sessionTimeout = Number(args['session-timeout']); // the consumers' (libs/messaging), in seconds
const recoverTimeout = Number(args['recover-timeout']) * 1000;
const paused = args.pause ?? (short ? 'reporting' : 'triage');
if (!(rate > 0)) throw new Error('--rate takes a positive number');
if (!['triage', 'tasking', 'comms', 'reporting'].includes(paused)) throw new Error('--pause names a consuming service: triage, tasking, comms or reporting');

const log = (m) => console.log(`[${new Date().toISOString().slice(11, 19)}] ${m}`);

/** The faults, in order: [label, what to do]. */
function faults(stack) {
  const kill = (name) => [`SIGKILL ${name}, start it again`, () => stack.killAndRestart(name)];
  const list = short ? [kill('triage')] : SERVICES.map(kill);
  list.push(['restart the Kafka broker', () => stack.restartKafka()]);
  list.push(['restart PostgreSQL', () => stack.restartPostgres()]);
  list.push([
    `pause ${paused} (SIGSTOP ${sessionTimeout + 5} s, past its ${sessionTimeout} s session timeout; then SIGCONT)`,
    async () => {
      stack.signal(paused, 'SIGSTOP');
      await sleep((sessionTimeout + 5) * 1000);
      stack.signal(paused, 'SIGCONT');
    },
  ]);
  return list;
}

/**
 * Recovered: every service answers ready, intake accepts alerts again, and every consumer that had
 * something to read has committed progress since the fault was injected (it consumes again). The
 * backlog the fault left is not waited for here: on a machine that cannot keep up with the rate it
 * would never go; the final reconciliation waits for it.
 */
async function waitRecovered(stack, since, accepted) {
  const before = await groupOffsets(stack.kafkaAdmin).catch(() => null);
  while (Date.now() - since < recoverTimeout) {
    const now = await groupOffsets(stack.kafkaAdmin).catch(() => null);
    const consuming = now && Object.entries(now).every(([g, o]) => o.lag === 0 || (before?.[g] && o.committed > before[g].committed));
    if (consuming && accepted() && (await stack.ready())) return { seconds: (Date.now() - since) / 1000, lag: now };
    await sleep(500);
  }
  return null;
}

async function main() {
  log(`chaos — ${cpus().length} cores, load average ${loadavg()[0].toFixed(2)}, ${fmt(rate)} alerts/s${short ? ' (short)' : ''}, everything on this machine`);
  await build({ quiet: true });
  const stack = await startPipeline({ log, keep: args.keep });
  await watchPlacements(stack);
  log(`stack up: ${Object.keys(stack.services).join(', ')}`);
  const run = `c${Date.now().toString(36)}`;
  const mix = new AlertMix(run, { seed: Number(args.seed) });
  const ledger = new Ledger();
  const rows = [];
  let failedFaults = 0;
  try {
    await openLoop({ url: stack.services.intake.url, keys: stack.keys, mix, ledger, rate: Math.min(rate, 50), seconds: 3 });
    await waitForPlacement(stack, ledger, { timeoutMs: 120_000 });

    let done = false;
    ledger.step = 1;
    const load = openLoop({ url: stack.services.intake.url, keys: stack.keys, mix, ledger, rate, seconds: 24 * 3600, connections: short ? 32 : 256, stop: () => done });
    await sleep(5000);
    for (const [label, inject] of faults(stack)) {
      const before = { accepted: ledger.accepted, failures: ledger.failures, statuses: { ...ledger.statuses } };
      const since = Date.now();
      log(`fault: ${label}`);
      await inject();
      const acceptedAt = ledger.accepted;
      const recovered = await waitRecovered(stack, since, () => ledger.accepted > acceptedAt);
      const refused = Object.fromEntries(Object.entries(ledger.statuses).map(([s, n]) => [s, n - (before.statuses[s] ?? 0)]).filter(([s, n]) => s !== '202' && n > 0));
      if (recovered === null) failedFaults++;
      const backlog = recovered ? Object.entries(recovered.lag).map(([g, o]) => `${g} ${fmt(o.lag)}`).join(', ') : '–';
      rows.push(`| ${label} | ${recovered === null ? `NOT within ${recoverTimeout / 1000} s` : recovered.seconds.toFixed(1)} | ${backlog} | ${fmt(ledger.accepted - before.accepted)} | ${Object.keys(refused).length ? JSON.stringify(refused) : '–'} |`);
      log(`  recovered ${recovered === null ? 'NOT' : `in ${recovered.seconds.toFixed(1)} s`}`);
      await sleep(3000);
    }
    done = true;
    const sent = await load;
    log(`load: ${fmt(sent.requests)} requests in ${sent.seconds.toFixed(0)} s, ${fmt(sent.accepted)} answered 202, others ${JSON.stringify(Object.fromEntries(Object.entries(sent.statuses).filter(([s]) => s !== '202')))}`);
    const drained = await waitForPlacement(stack, ledger, { timeoutMs: 1_200_000, log });
    log(`pipeline ${drained.complete ? 'drained' : 'NOT drained within 20 minutes'}: ${fmt(drained.placed)} placed, ${fmt(drained.shown)} on a timeline`);

    console.log('');
    console.log('| fault | seconds to recover | backlog then (messages) | 202s meanwhile | other answers meanwhile |');
    console.log('|---|---|---|---|---|');
    for (const r of rows) console.log(r);
    console.log('');
    console.log('Recovered = seconds from the fault until every service answers ready, intake accepts alerts again and every consumer with a backlog has committed progress (Kafka committed offsets); the backlog is what was left to read then.');
    console.log('');
    printUnhandledErrors(stack.logDir);
    const rec = await reconcile(stack, ledger, run);
    printReconciliation(rec, (m) => console.log(m), drained.complete);
    console.log(`\naccepted ${fmt(rec.accepted)}, placed ${fmt(rec.placed)}, lost ${rec.lost}, doubled ${rec.doubled + rec.intakeDoubled + rec.timelineDoubled + rec.onTwoTimelines + rec.tasksDoubled + rec.noticesDoubled}`);
    if (!rec.ok || failedFaults > 0 || !drained.complete) {
      console.log(`chaos: FAILED${failedFaults ? ` (${failedFaults} fault(s) not recovered from)` : ''}`);
      process.exitCode = 1;
    } else {
      console.log('chaos: OK');
    }
  } finally {
    await stack.stop();
  }
}

/**
 * A 500 is a defect even under a fault (a dependency down must be a 503 with Retry-After): the
 * services log each one as "unhandled error" with its cause, printed here so a run says why.
 */
function printUnhandledErrors(logDir) {
  if (!logDir || !existsSync(logDir)) return;
  const found = [];
  for (const file of readdirSync(logDir).filter((f) => f.endsWith('.log'))) {
    for (const line of readFileSync(join(logDir, file), 'utf8').split('\n')) {
      if (!line.includes('"unhandled error"')) continue;
      try {
        const entry = JSON.parse(line);
        const frame = String(entry.err?.stack ?? '').split('\n').find((l) => l.trim().startsWith('at ') && !l.includes('node_modules')) ?? '';
        found.push(`${entry.time} ${file.replace(/\.log$/, '')}: ${entry.err?.type ?? 'Error'}: ${entry.err?.message ?? '?'} ${frame.trim()}`);
      } catch {
        found.push(line.slice(0, 300));
      }
    }
  }
  console.log(found.length ? `\nunhandled errors (answered 500) in the services' logs: ${found.length}` : "\nunhandled errors (answered 500) in the services' logs: none");
  for (const f of found.slice(0, 10)) console.log(`  ${f}`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
