// Compiles apps/ and libs/ to dist/ with swc (type checking is `npm run typecheck`).
// `@vigil/*` imports are rewritten to relative paths, so `node dist/apps/<svc>/src/main.js` runs as is.
import { transformFile } from '@swc/core';
import { copyFile, mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'dist');
const swcrc = JSON.parse(await readFile(join(root, '.swcrc'), 'utf8'));
const tsconfig = JSON.parse(await readFile(join(root, 'tsconfig.base.json'), 'utf8'));
const aliases = Object.fromEntries(
  Object.entries(tsconfig.compilerOptions.paths).map(([name, [target]]) => [name, join(root, target)]),
);

async function* sources(dir) {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name !== '__fixtures__') yield* sources(path); // test data, not code to ship
    }
    else if (entry.name.endsWith('.ts') && !/\.(spec|test|int-spec|e2e-spec)\.ts$/.test(entry.name) && !entry.name.endsWith('.d.ts')) yield path;
  }
}

/** Data an app reads at run time (e.g. reporting's exercise scenarios): copied beside the code. */
async function* assets(dir) {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name !== '__fixtures__' && entry.name !== 'node_modules') yield* assets(path);
    } else if (/\.ya?ml$/.test(entry.name)) yield path;
  }
}

function rewriteAliases(code, file) {
  return code.replace(/require\("(@vigil\/[a-z-]+)"\)/g, (match, name) => {
    const target = aliases[name];
    if (!target) return match;
    const compiled = join(out, relative(root, target)).replace(/\.ts$/, '.js');
    let rel = relative(dirname(join(out, relative(root, file))), compiled);
    if (!rel.startsWith('.')) rel = `./${rel}`;
    return `require("${rel}")`;
  });
}

export async function build({ quiet = false } = {}) {
const started = Date.now();
await rm(out, { recursive: true, force: true });
const files = [];
for (const top of ['apps', 'libs']) for await (const f of sources(join(root, top))) files.push(f);
await Promise.all(
  files.map(async (file) => {
    const target = join(out, relative(root, file)).replace(/\.ts$/, '.js');
    const { code, map } = await transformFile(file, { ...swcrc, swcrc: false, filename: file, sourceFileName: relative(dirname(target), file) });
    await mkdir(dirname(target), { recursive: true });
    await writeFile(target, `${rewriteAliases(code, file)}\n//# sourceMappingURL=${target.split('/').pop()}.map`);
    if (map) await writeFile(`${target}.map`, map);
  }),
);
const copied = [];
for await (const f of assets(join(root, 'apps'))) copied.push(f);
await Promise.all(
  copied.map(async (file) => {
    const target = join(out, relative(root, file));
    await mkdir(dirname(target), { recursive: true });
    await copyFile(file, target);
  }),
);
if (!quiet) console.log(`built ${files.length} files and copied ${copied.length} data files into dist/ in ${Date.now() - started} ms`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await build();
