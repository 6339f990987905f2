import { execFile, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseAllDocuments, parse as parseYaml } from 'yaml';

/** Shared by the deploy tests: pinned tools, the rendered chart, the services' own configuration. */

export const root = resolve(__dirname, '..', '..', '..');
export const chartDir = join(root, 'helm', 'vigil');
export const SERVICES = ['intake', 'triage', 'tasking', 'comms', 'reporting'] as const;
export type ServiceName = (typeof SERVICES)[number];

export interface Tools {
  helm: string;
  kubectl: string;
  kubeconform: string;
  schemas: { dir: string; versions: string[]; location: string };
  prometheus: string;
  promtool: string;
}

/**
 * The pinned tools (tools/deploy/ensure-tools.mjs), installed into .cache/tools on first use. Runs
 * as a child process so that a first-time download or build does not block this process.
 */
export function ensureTools(...names: Array<'helm' | 'kubeconform' | 'schemas' | 'prometheus'>): Promise<Tools> {
  return new Promise((resolvePromise, reject) => {
    execFile(
      process.execPath,
      [join(root, 'tools', 'deploy', 'ensure-tools.mjs'), '--json', ...names],
      { cwd: root, maxBuffer: 16 * 1024 * 1024, timeout: 600_000 },
      (error, stdout, stderr) => {
        if (error) reject(new Error(`tools/deploy/ensure-tools.mjs failed: ${stderr || error.message}`));
        else resolvePromise(JSON.parse(stdout) as Tools);
      },
    );
  });
}

export function run(command: string, args: string[], options: { env?: NodeJS.ProcessEnv; cwd?: string; input?: string } = {}): SpawnSyncReturns<string> {
  const result = spawnSync(command, args, { cwd: options.cwd ?? root, env: options.env ?? process.env, encoding: 'utf8', input: options.input, maxBuffer: 64 * 1024 * 1024 });
  if (result.error) throw result.error;
  return result;
}

/** Runs and expects exit 0; the error shows what the command printed. */
export function ok(command: string, args: string[], options: Parameters<typeof run>[2] = {}): string {
  const result = run(command, args, options);
  if (result.status !== 0) throw new Error(`${command.split('/').pop()} ${args.join(' ')} exited ${result.status}:\n${result.stdout}\n${result.stderr}`);
  return result.stdout;
}

export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [key: string]: any;
}

/**
 * The chart's defaults plus the two values it cannot default (auth.issuer and auth.audience):
 * what the tests render as "the default values".
 */
export const REQUIRED_VALUES = 'test-values/required-values.yaml';

/** `helm template` of the chart with the given values files (relative to the chart, or absolute). */
export function render(helm: string, valuesFiles: string[] = [REQUIRED_VALUES], release = 'vigil', namespace = 'vigil'): { text: string; objects: K8sObject[] } {
  const args = ['template', release, chartDir, '--namespace', namespace, '--kube-version', '1.37.0'];
  for (const file of valuesFiles) args.push('--values', resolve(chartDir, file));
  const text = ok(helm, args);
  const objects = parseAllDocuments(text)
    .map((doc) => {
      if (doc.errors.length) throw new Error(`rendered YAML does not parse: ${doc.errors[0].message}`);
      return doc.toJS() as K8sObject | null;
    })
    .filter((o): o is K8sObject => o !== null);
  return { text, objects };
}

export function yamlFile<T = any>(path: string): T {
  return parseYaml(readFileSync(join(root, path), 'utf8')) as T;
}

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `vigil-${prefix}-`));
}

export function writeTemp(dir: string, name: string, content: string): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

export interface ServiceConfigShape {
  /** Every variable the service's configuration schema knows. */
  keys: string[];
  /** Those without a default that must be set. */
  required: string[];
}

/**
 * Each service's own configuration schema, read from the compiled services (dist/, built by the
 * integration set-up) in a separate process, so the tests follow the services as they change.
 */
export function serviceConfigShapes(): Record<ServiceName, ServiceConfigShape> {
  const script = `
    const out = {};
    for (const name of ${JSON.stringify(SERVICES)}) {
      const { service } = require('./dist/apps/' + name + '/src/service.js');
      const shape = service.config.shape;
      const keys = Object.keys(shape);
      out[name] = { keys, required: keys.filter((k) => !shape[k].safeParse(undefined).success) };
    }
    process.stdout.write(JSON.stringify(out));`;
  return JSON.parse(ok(process.execPath, ['-e', script], { env: { ...process.env, LOG_LEVEL: 'silent' } }));
}

/** Problems the service's own configuration validation finds in `env` (none: an empty list). */
export function configProblems(envs: Partial<Record<ServiceName, Record<string, string>>>): Record<string, string[]> {
  const script = `
    const { parseConfig } = require('./dist/libs/platform/src/config.js');
    const envs = JSON.parse(process.argv[1]);
    const out = {};
    for (const [name, env] of Object.entries(envs)) {
      const { service } = require('./dist/apps/' + name + '/src/service.js');
      try { parseConfig(name, service.config, env); out[name] = []; } catch (error) { out[name] = error.problems ?? [error.message]; }
    }
    process.stdout.write(JSON.stringify(out));`;
  return JSON.parse(ok(process.execPath, ['-e', script, JSON.stringify(envs)], { env: { ...process.env, LOG_LEVEL: 'silent' } }));
}

/**
 * Variables the chart hands to services that do not read them yet (their support is proposed in
 * docs/deploy.md): Kafka SASL/TLS. Standard OTEL_* variables are read by the SDK, and
 * POD_NAME/POD_NAMESPACE feed OTEL_RESOURCE_ATTRIBUTES.
 */
export const PASSED_THROUGH = /^(OTEL_[A-Z_]+|POD_NAME|POD_NAMESPACE|KAFKA_SASL_(MECHANISM|USERNAME|PASSWORD)|KAFKA_TLS)$/;

/** The environment a rendered Deployment gives its container: ConfigMap data, then `env`. */
export function deploymentEnv(objects: K8sObject[], deployment: K8sObject, secretValue: (secret: string, key: string) => string): Record<string, string> {
  const container = deployment.spec.template.spec.containers[0];
  const env: Record<string, string> = {};
  for (const from of container.envFrom ?? []) {
    const configMap = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === from.configMapRef?.name);
    if (!configMap) throw new Error(`${deployment.metadata.name}: ConfigMap ${from.configMapRef?.name} is not rendered`);
    Object.assign(env, configMap.data);
  }
  for (const e of container.env ?? []) {
    if (e.value !== undefined) env[e.name] = e.value;
    else if (e.valueFrom?.secretKeyRef) env[e.name] = secretValue(e.valueFrom.secretKeyRef.name, e.valueFrom.secretKeyRef.key);
    else if (e.valueFrom?.fieldRef) env[e.name] = `field:${e.valueFrom.fieldRef.fieldPath}`;
  }
  return env;
}

export const componentOf = (o: K8sObject) => o.metadata.labels?.['app.kubernetes.io/component'] as string;
