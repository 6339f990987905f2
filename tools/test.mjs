// `npm test`: unit and integration tests (the integration set-up starts a throwaway PostgreSQL
// and Kafka). Jest's JSON results go to reports/jest.json; the totals end the output.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const jest = require.resolve('jest/bin/jest');
const report = join(root, 'reports', 'jest.json');
mkdirSync(dirname(report), { recursive: true });

const args = [jest, '--ci', '--maxWorkers=2', '--json', `--outputFile=${report}`, ...process.argv.slice(2)];
const result = spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit' });

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
