// schemathesis (PyPI), pinned in requirements.txt beside this file, installed on first use into a
// virtualenv under .cache/schemathesis/ (git-ignored), and run against one service's OpenAPI
// document. Used by `npm run test:api` (run.mjs) and by test/api-contract.e2e-spec.ts through it.
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
export const root = resolve(here, '..', '..');
const requirementsFile = join(here, 'requirements.txt');
const configFile = join(here, 'schemathesis.toml');

const say = (msg) => process.stderr.write(`vigil api-contract: ${msg}\n`);

/** The pinned schemathesis version (the line `schemathesis==X` of requirements.txt). */
export function schemathesisVersion() {
  return /^schemathesis==(\S+)$/m.exec(readFileSync(requirementsFile, 'utf8'))?.[1];
}

/**
 * The virtualenv's python with the pinned schemathesis in it, installing it first when missing.
 * The directory is named after a hash of requirements.txt, so a changed pin gets a fresh venv;
 * it is built aside and renamed into place, so an interrupted install is never taken for a
 * finished one (the venv is run as `python -c`, which survives the rename; its scripts would not).
 */
export function ensureSchemathesis() {
  const requirements = readFileSync(requirementsFile, 'utf8');
  const digest = createHash('sha256').update(requirements).digest('hex').slice(0, 12);
  const venv = join(root, '.cache', 'schemathesis', `${schemathesisVersion()}-${digest}`);
  const python = join(venv, 'bin', 'python');
  if (existsSync(python)) return python;
  const python3 = process.env.PYTHON ?? 'python3';
  const partial = `${venv}.partial-${process.pid}`;
  mkdirSync(dirname(venv), { recursive: true });
  rmSync(partial, { recursive: true, force: true });
  say(`installing schemathesis ${schemathesisVersion()} from PyPI into ${venv.slice(root.length + 1)} (first run only)…`);
  const run = (command, args) => {
    const result = spawnSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    if (result.error) throw new Error(`${command} could not be run (${result.error.code}); schemathesis needs Python 3.10+ with venv and pip (set PYTHON to another interpreter)`);
    if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed (exit ${result.status}):\n${(result.stderr || result.stdout).trim().slice(-3000)}`);
  };
  try {
    run(python3, ['-m', 'venv', partial]);
    const pip = join(partial, 'bin', 'python');
    // Every dependency is pinned: --no-deps installs exactly the list, `pip check` proves it whole.
    run(pip, ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', '--no-deps', '-r', requirementsFile]);
    run(pip, ['-m', 'pip', 'check', '--disable-pip-version-check']);
    try {
      renameSync(partial, venv);
    } catch (error) {
      if (!existsSync(python)) throw error; // otherwise a parallel run finished first: use its venv
    }
  } finally {
    rmSync(partial, { recursive: true, force: true });
  }
  return python;
}

const running = new Set();

/** Stops the schemathesis runs in progress (on Ctrl-C). */
export function stopSchemathesis() {
  for (const child of running) child.kill('SIGTERM');
}

/**
 * Runs schemathesis against one service: all checks, all phases, its OpenAPI document from
 * `${url}/openapi.json`. Credentials come from the environment (see schemathesis.toml):
 * VIGIL_CONTRACT_BEARER for the bearer scheme, VIGIL_CONTRACT_KEY_<KIND> for intake's ingest routes.
 * Resolves with the counts from schemathesis' NDJSON event stream.
 */
export async function runSchemathesis({ python, service, url, env, maxExamples, maxTime, seed, workers, reportDir, onLine }) {
  mkdirSync(reportDir, { recursive: true });
  const ndjson = join(reportDir, `${service}.ndjson`);
  const junit = join(reportDir, `${service}.junit.xml`);
  rmSync(ndjson, { force: true });
  // A service's own settings (<service>.toml) only in its run: elsewhere they would match nothing.
  const own = join(here, `${service}.toml`);
  const config = join(reportDir, `${service}.toml`);
  writeFileSync(config, readFileSync(configFile, 'utf8') + (existsSync(own) ? readFileSync(own, 'utf8') : ''));
  const args = [
    '-c',
    'import sys; from schemathesis.cli import schemathesis; sys.argv[0] = "schemathesis"; schemathesis()',
    '--config-file', config,
    'run', `${url}/openapi.json`,
    '--url', url,
    '--checks', 'all',
    '--workers', String(workers),
    '--report', 'ndjson,junit',
    '--report-ndjson-path', ndjson,
    '--report-junit-path', junit,
    '--no-color',
    '--wait-for-schema', '30',
    ...(maxExamples ? ['--max-examples', String(maxExamples)] : []),
    ...(maxTime ? ['--max-time', String(maxTime)] : []),
    ...(seed !== undefined ? ['--seed', String(seed)] : []),
  ];
  // Its own working directory: schemathesis keeps its example database there (.hypothesis/).
  const cwd = join(reportDir, service);
  mkdirSync(cwd, { recursive: true });
  const child = spawn(python, args, { cwd, env: { ...process.env, ...env, PYTHONUNBUFFERED: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  child.on('close', () => running.delete(child));
  let output = '';
  const collect = (chunk) => {
    const text = chunk.toString();
    output += text;
    if (onLine) for (const line of text.split('\n')) if (line.trim()) onLine(line);
  };
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  const code = await new Promise((r) => child.on('close', (c, signal) => r(c ?? signal)));
  writeFileSync(join(reportDir, `${service}.txt`), output);
  return { service, url, exitCode: code, output, ...(await summarise(ndjson)), report: { ndjson, junit } };
}

/**
 * Counts from the NDJSON event stream: test cases sent (every scenario's requests), operations,
 * and the distinct failures schemathesis reports, each with its operation and title. Read line by
 * line: a long run's stream is larger than a string may be.
 */
export async function summarise(ndjsonFile) {
  const result = { cases: 0, operations: 0, failures: [], errors: [] };
  if (!existsSync(ndjsonFile)) return { ...result, missing: true };
  const lines = createInterface({ input: createReadStream(ndjsonFile), crlfDelay: Infinity });
  for await (const line of lines) {
    // Only these events count; the rest (and their large bodies) are not parsed at all.
    if (!/^\{"(LoadingFinished|ScenarioFinished|NonFatalError|FatalError)"/.test(line)) continue;
    const event = JSON.parse(line);
    const [kind, body] = Object.entries(event)[0] ?? [];
    if (kind === 'LoadingFinished') {
      result.operations = body.statistic?.operations?.selected ?? 0;
    } else if (kind === 'ScenarioFinished') {
      const recorder = body.recorder ?? {};
      result.cases += Object.keys(recorder.cases ?? {}).length;
      for (const checks of Object.values(recorder.checks ?? {})) {
        for (const check of checks) {
          if (check.status === 'FAILURE' || check.status === 'failure') {
            result.failures.push({ operation: recorder.label, check: check.name, title: check.failure_info?.failure?.title ?? check.failure_info?.failure?.message ?? '' });
          }
        }
      }
    } else if (kind === 'NonFatalError') {
      result.errors.push({ operation: body.label, message: body.info?.message ?? body.value?.message ?? JSON.stringify(body).slice(0, 300) });
    } else if (kind === 'FatalError') {
      result.errors.push({ operation: '(run)', message: body.exception?.message ?? JSON.stringify(body).slice(0, 300) });
    }
  }
  return result;
}
