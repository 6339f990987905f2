// The Helm chart can only read files inside its own directory, so it carries copies of the
// Grafana dashboards and Prometheus rules under helm/vigil/files/. deploy/ holds the originals.
//
//   node tools/deploy/sync-chart-files.mjs           copy deploy/ → helm/vigil/files/
//   node tools/deploy/sync-chart-files.mjs --check   exit 1, naming the files, if the copies differ
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const CHART_COPIES = [
  { from: join(root, 'deploy', 'grafana', 'dashboards'), to: join(root, 'helm', 'vigil', 'files', 'dashboards'), suffix: '.json' },
  { from: join(root, 'deploy', 'prometheus', 'rules'), to: join(root, 'helm', 'vigil', 'files', 'rules'), suffix: '.yaml' },
];

/** Files whose chart copy is missing, stale or left over. */
export function staleChartCopies() {
  const stale = [];
  for (const { from, to, suffix } of CHART_COPIES) {
    const originals = readdirSync(from).filter((f) => f.endsWith(suffix));
    const copies = existsSync(to) ? readdirSync(to).filter((f) => f.endsWith(suffix)) : [];
    for (const f of originals) {
      if (!copies.includes(f) || !readFileSync(join(from, f)).equals(readFileSync(join(to, f)))) stale.push(relative(root, join(to, f)));
    }
    for (const f of copies) if (!originals.includes(f)) stale.push(relative(root, join(to, f)));
  }
  return stale;
}

function sync() {
  for (const { from, to, suffix } of CHART_COPIES) {
    mkdirSync(to, { recursive: true });
    for (const f of readdirSync(to).filter((f) => f.endsWith(suffix))) rmSync(join(to, f));
    for (const f of readdirSync(from).filter((f) => f.endsWith(suffix))) copyFileSync(join(from, f), join(to, f));
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  if (process.argv.includes('--check')) {
    const stale = staleChartCopies();
    if (stale.length) {
      console.error(`out of date: ${stale.join(', ')}; run node tools/deploy/sync-chart-files.mjs`);
      process.exit(1);
    }
  } else {
    sync();
  }
}
