// Runs before `npm start` and `npm test` (possibly on the machine's older Node): installs the
// dependencies when node_modules is missing or older than package-lock.json, so both commands
// work on a fresh clone with nothing installed by hand.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const lock = join(root, 'package-lock.json');
const stamp = join(root, 'node_modules', '.vigil-install-stamp');
const digest = () => createHash('sha256').update(readFileSync(lock)).digest('hex');

if (existsSync(stamp) && readFileSync(stamp, 'utf8') === digest() && existsSync(join(root, 'node_modules', '.bin', 'node'))) {
  process.exit(0);
}
// `npm install`, not `npm ci`: the lock file pins every version either way, but `npm ci` refuses a
// lock that lacks the optional per-platform packages a registry did not list (e.g. @swc/core's).
console.log('vigil: installing dependencies…');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const result = spawnSync(npm, ['install', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: root, stdio: 'inherit' });
if (result.status !== 0) {
  console.error('vigil: npm install failed; see the output above.');
  process.exit(result.status ?? 1);
}
writeFileSync(stamp, digest());
