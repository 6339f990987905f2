// `npm test`: unit and integration tests (the integration set-up starts a throwaway PostgreSQL
// and Kafka). Tests run in band: integration suites start and kill real service processes that
// share consumer groups, so they must not overlap. Jest's JSON results go to reports/jest.json.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const jest = require.resolve('jest/bin/jest');
const report = join(root, 'reports', 'jest.json');
mkdirSync(dirname(report), { recursive: true });
rmSync(report, { force: true });

// Static checks first: a type error or a broken module boundary fails the run before any test.
const bin = (name) => join(root, 'node_modules', '.bin', name);
const nxEnv = { ...process.env, NX_DAEMON: 'false', NX_NO_CLOUD: 'true' };
for (const [what, command, commandArgs] of [
  ['type check', bin('tsc'), ['-p', 'tsconfig.json', '--noEmit']],
  ['project graph', bin('nx'), ['show', 'projects']],
  ['lint', bin('eslint'), ['.']],
]) {
  const check = spawnSync(command, commandArgs, { cwd: root, stdio: ['ignore', what === 'project graph' ? 'ignore' : 'inherit', 'inherit'], env: nxEnv });
  if (check.status !== 0) {
    console.error(`vigil: ${what} failed`);
    console.log('0 passed, 1 failed');
    process.exit(1);
  }
}

const args = [jest, '--ci', '--runInBand', '--json', `--outputFile=${report}`, ...process.argv.slice(2)];
const result = spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit', env: nxEnv });

let summary = 'no Jest results were written';
try {
  const r = JSON.parse(readFileSync(report, 'utf8'));
  summary = `${r.numPassedTests} passed, ${r.numFailedTests} failed`;
  if (r.numPendingTests) summary += `, ${r.numPendingTests} skipped`;
} catch {
  /* keep the message above */
}
console.log(summary);
process.exit(result.status ?? 1);
