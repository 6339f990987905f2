import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join, relative } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { testEnv } from '../support/harness';
import {
  componentOf,
  configProblems,
  deploymentEnv,
  ensureTools,
  PASSED_THROUGH,
  render,
  root,
  run,
  serviceConfigShapes,
  SERVICES,
  type K8sObject,
  type ServiceName,
} from './support/deploy';

// dockerfile-utils is CommonJS without type declarations.
const { validate: lintDockerfile } = require('dockerfile-utils') as { validate: (content: string) => Array<{ message: string; range: { start: { line: number } } }> };

interface Instruction {
  keyword: string;
  args: string;
  stage: string;
}

/** The Dockerfile's instructions, continuation lines joined, each with the stage it belongs to. */
function instructions(text: string): Instruction[] {
  const joined = text.replace(/\\\n/g, ' ');
  const out: Instruction[] = [];
  let stage = '(global)';
  for (const line of joined.split('\n')) {
    const m = /^\s*([A-Za-z]+)\s+(.*)$/.exec(line);
    if (!m || line.trim().startsWith('#')) continue;
    const keyword = m[1].toUpperCase();
    if (keyword === 'FROM') stage = /\sAS\s+(\S+)/i.exec(m[2])?.[1] ?? m[2];
    out.push({ keyword, args: m[2].trim(), stage });
  }
  return out;
}

/**
 * The image recipe, checked without a Docker engine (none runs here): the Dockerfile lints clean
 * and has the shape the issue asks for; the build context carries what it copies; the runtime
 * needs production dependencies only; what the chart runs in the image exists; the compose file
 * says what the chart says; and the provisioning the hook Job runs works against a real
 * PostgreSQL and Kafka.
 */
describe('Images, compose and the migrations hook', () => {
  const dockerfile = readFileSync(join(root, 'deploy/docker/Dockerfile'), 'utf8');
  const steps = instructions(dockerfile);
  const values = parseYaml(readFileSync(join(root, 'helm/vigil/values.yaml'), 'utf8'));
  const compose = parseYaml(readFileSync(join(root, 'deploy/compose/compose.yaml'), 'utf8'), { merge: true });
  let chart: { text: string; objects: K8sObject[] };
  let production: { text: string; objects: K8sObject[] };

  beforeAll(async () => {
    const tools = await ensureTools('helm');
    chart = render(tools.helm);
    production = render(tools.helm, ['ci/production-values.yaml']);
  }, 600_000);

  describe('deploy/docker/Dockerfile', () => {
    it('lints clean (dockerfile-utils), and the linter does catch a broken file', () => {
      expect(lintDockerfile(dockerfile).map((d) => `line ${d.range.start.line + 1}: ${d.message}`)).toEqual([]);
      expect(lintDockerfile('FROM node:24\nRUNN echo\nEXPOSE 99999\n').length).toBeGreaterThan(0);
    });

    it('is multi-stage on Node 24, runs as a numeric non-root user, carries OCI labels and no HEALTHCHECK', () => {
      const nodeImage = /^ARG NODE_IMAGE=(\S+)$/m.exec(dockerfile)?.[1];
      expect(nodeImage).toMatch(/^node:24[-.]/);
      const froms = steps.filter((s) => s.keyword === 'FROM');
      expect(froms.length).toBeGreaterThanOrEqual(3);
      for (const from of froms) expect(from.args).toContain('${NODE_IMAGE}');
      expect(froms.at(-1)!.stage).toBe('runtime');
      expect(steps.some((s) => s.keyword === 'HEALTHCHECK')).toBe(false);

      const runtime = steps.filter((s) => s.stage === 'runtime');
      const user = runtime.filter((s) => s.keyword === 'USER').at(-1)!.args;
      expect(user).toBe(`${values.securityContext.runAsUser}:${values.securityContext.runAsGroup}`);
      expect(Number(user.split(':')[0])).toBeGreaterThan(0);
      expect(compose['x-vigil-hardening'].user).toBe(user);

      const labels = runtime.filter((s) => s.keyword === 'LABEL').map((s) => s.args).join(' ');
      for (const key of ['title', 'description', 'version', 'revision', 'created', 'source', 'licenses']) {
        expect(labels).toContain(`org.opencontainers.image.${key}=`);
      }
      // The runtime stage takes node_modules from the production-only install, never from the build.
      const deps = steps.filter((s) => s.stage === 'dependencies' && s.keyword === 'RUN').map((s) => s.args).join(' ');
      expect(deps).toMatch(/npm install --omit=dev/);
      const copies = runtime.filter((s) => s.keyword === 'COPY').map((s) => s.args);
      expect(copies).toContain('--from=dependencies /app/node_modules ./node_modules');
      expect(copies.some((c) => c.startsWith('--from=build') && c.includes('node_modules'))).toBe(false);
      // The chart's port.
      expect(runtime.find((s) => s.keyword === 'EXPOSE')!.args).toBe(String(values.containerPort));
      expect(runtime.find((s) => s.keyword === 'ENV')!.args).toContain(`PORT=${values.containerPort}`);
    });

    it('copies only what .dockerignore lets into the build context', () => {
      const ignore = readFileSync(join(root, '.dockerignore'), 'utf8').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
      expect(ignore[0]).toBe('*'); // everything out, then the sources back in
      const fromContext = steps.filter((s) => s.keyword === 'COPY' && !s.args.startsWith('--from')).flatMap((s) => s.args.split(/\s+/).slice(0, -1));
      expect(fromContext.length).toBeGreaterThan(5);
      for (const source of fromContext) {
        expect(existsSync(join(root, source))).toBe(true);
        const path = source.replace(/\/$/, '');
        expect(ignore.some((p) => p === `!${path}` || p === `!${path}/`)).toBe(true);
      }
      for (const secretish of ['.data', '.cache', '.git', 'node_modules', 'dist']) expect(ignore.some((p) => p === `!${secretish}` || p === `!${secretish}/`)).toBe(false);
    });

    it('runs on production dependencies: nothing the services or provision.cjs load is a devDependency', () => {
      const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
      const production = new Set(Object.keys(pkg.dependencies));
      const files: string[] = [join(root, 'deploy/docker/provision.cjs')];
      const walk = (dir: string) => {
        for (const entry of readdirSync(dir)) {
          const path = join(dir, entry);
          if (statSync(path).isDirectory()) walk(path);
          else if (path.endsWith('.js')) files.push(path);
        }
      };
      walk(join(root, 'dist'));
      expect(files.length).toBeGreaterThan(50); // the build is there (the integration set-up makes it)
      const offenders = new Set<string>();
      for (const file of files) {
        for (const [, specifier] of readFileSync(file, 'utf8').matchAll(/require\("([^"]+)"\)/g)) {
          if (specifier.startsWith('.') || specifier.startsWith('node:') || builtinModules.includes(specifier)) continue;
          const name = specifier.startsWith('@') ? specifier.split('/').slice(0, 2).join('/') : specifier.split('/')[0];
          if (!production.has(name)) offenders.add(`${relative(root, file)} → ${name}`);
        }
      }
      expect([...offenders]).toEqual([]);
    });

    it('contains what the chart runs: each service, its migrations and the provisioning script', () => {
      const commands = new Set<string>();
      for (const o of [...chart.objects, ...production.objects]) {
        const pod = o.kind === 'Pod' ? o.spec : o.spec?.template?.spec;
        for (const c of [...(pod?.initContainers ?? []), ...(pod?.containers ?? [])]) if (c.args?.[0]?.match(/\.(c?js)$/)) commands.add(c.args[0]);
      }
      expect([...commands].sort()).toEqual(
        [...SERVICES.flatMap((s) => [`dist/apps/${s}/src/main.js`, `dist/apps/${s}/src/migrate.js`]), 'deploy/docker/provision.cjs'].sort(),
      );
      for (const command of commands) expect(existsSync(join(root, command))).toBe(true);
      // …and the image copies them where the chart expects them (WORKDIR /app mirrors the repository).
      expect(dockerfile).toContain('COPY --from=build /src/dist/apps/${SERVICE} ./dist/apps/${SERVICE}');
      expect(dockerfile).toContain('COPY --from=build /src/dist/libs ./dist/libs');
      expect(dockerfile).toContain('COPY deploy/docker/provision.cjs ./deploy/docker/provision.cjs');
      expect(dockerfile).toMatch(/ENTRYPOINT \["node", "--enable-source-maps"\]/);
    });
  });

  describe('deploy/compose/compose.yaml', () => {
    const vigil = (name: string) => compose.services[name];

    it('runs Kafka, PostgreSQL, the five services, Prometheus and Grafana, hardened like the chart', () => {
      expect(Object.keys(compose.services)).toEqual(expect.arrayContaining(['postgres', 'kafka', ...SERVICES, 'prometheus', 'grafana', 'provision-database', 'provision-topics']));
      for (const s of SERVICES) {
        expect(vigil(s).build.args.SERVICE).toBe(s);
        expect(vigil(s).build.dockerfile).toBe('deploy/docker/Dockerfile');
        expect(vigil(s)).toMatchObject({ user: '1000:1000', read_only: true, tmpfs: ['/tmp'], cap_drop: ['ALL'] });
        expect(vigil(`migrate-${s}`).command).toEqual(['migrate.js']);
        expect(vigil('provision-topics').depends_on[`migrate-${s}`]).toEqual({ condition: 'service_completed_successfully' });
      }
      expect(vigil('provision-topics').command).toEqual(['deploy/docker/provision.cjs', 'topics']);
      expect(vigil('provision-database').command).toEqual(['deploy/docker/provision.cjs', 'database']);
      expect(vigil('kafka').environment.KAFKA_AUTO_CREATE_TOPICS_ENABLE).toBe('false');
    });

    it('sets the variables the chart sets, with values the services accept', () => {
      const shapes = serviceConfigShapes();
      const envs = {} as Record<ServiceName, Record<string, string>>;
      for (const s of SERVICES) {
        const deployment = chart.objects.find((o) => o.kind === 'Deployment' && componentOf(o) === s)!;
        const chartEnv = deploymentEnv(chart.objects, deployment, () => 'secret');
        // ${X:-default} as Compose fills it in; ${X:?message} (must be set) as the chart's value.
        const interpolate = (v: string) =>
          String(v)
            .replace(/\$\{[A-Z_]+:-([^}]*)\}/g, '$1')
            .replace(/\$\{([A-Z_]+):\?[^}]*\}/g, (_, name: string) => chartEnv[name] ?? `unset ${name}`);
        const env = Object.fromEntries(Object.entries(vigil(s).environment as Record<string, string>).map(([k, v]) => [k, interpolate(v)]));
        const composeOnly = Object.keys(env).filter((k) => !(k in chartEnv) && k !== 'PUBLIC_BASE_URL' && !/^COMMS_WEBHOOK_/.test(k));
        expect({ service: s, composeOnly }).toEqual({ service: s, composeOnly: [] });
        const unknown = Object.keys(env).filter((k) => !shapes[s].keys.includes(k) && !PASSED_THROUGH.test(k));
        expect({ service: s, unknown }).toEqual({ service: s, unknown: [] });
        // Settings both give agree, apart from the ones a single-broker compose Kafka needs, and
        // the role mapping, which compose leaves empty (no mapping) where the chart writes {}.
        for (const [k, v] of Object.entries(chartEnv)) {
          if (k in env && !['KAFKA_BROKERS', 'DATABASE_URL', 'KAFKA_TOPIC_PARTITIONS', 'KAFKA_REPLICATION_FACTOR', 'KAFKA_MIN_INSYNC_REPLICAS', 'INTAKE_API_KEY_PEPPER', 'AUTH_ROLE_MAPPING'].includes(k)) {
            expect({ service: s, [k]: env[k] }).toEqual({ service: s, [k]: v });
          }
        }
        envs[s] = env;
      }
      expect(configProblems(envs)).toEqual(Object.fromEntries(SERVICES.map((s) => [s, []])));
    });

    it('scrapes each service as job vigil-<service> and provisions the dashboards and rules', () => {
      const prometheus = parseYaml(readFileSync(join(root, 'deploy/prometheus/prometheus.yml'), 'utf8'));
      expect(prometheus.scrape_configs.map((c: any) => [c.job_name, c.static_configs[0].targets[0]])).toEqual(SERVICES.map((s) => [`vigil-${s}`, `${s}:8080`]));
      expect(vigil('prometheus').volumes).toContain('../prometheus/rules:/etc/prometheus/rules:ro');
      expect(prometheus.rule_files).toEqual(['/etc/prometheus/rules/*.yaml']);
      const provider = parseYaml(readFileSync(join(root, 'deploy/grafana/provisioning/dashboards/vigil.yaml'), 'utf8')).providers[0];
      expect(vigil('grafana').volumes).toContain(`../grafana/dashboards:${provider.options.path}:ro`);
    });
  });

  describe('the migrations hook, run as the chart renders it, against the test PostgreSQL and Kafka', () => {
    it('provisions roles and schemas, runs every migration, then creates the topics', () => {
      const env = testEnv();
      const job = production.objects.find((o) => o.kind === 'Job')!;
      const pod = job.spec.template.spec;
      // The default values run the same steps, less the optional roles-and-schemas one.
      const argsOf = (containers: any[]) => containers.map((c) => c.args.join(' '));
      const defaultPod = chart.objects.find((o) => o.kind === 'Job')!.spec.template.spec;
      expect([...argsOf(defaultPod.initContainers), ...argsOf(defaultPod.containers)]).toEqual([...argsOf(pod.initContainers), ...argsOf(pod.containers)].slice(1));

      const urlKeys: Record<string, ServiceName> = Object.fromEntries(Object.entries(values.database.urlKeys as Record<string, string>).map(([service, key]) => [key, service as ServiceName]));
      const secret = (name: string, key: string): string => {
        if (name === 'vigil-database-admin') return env.adminUrl;
        if (name === 'vigil-database') return env.serviceUrls[urlKeys[key]];
        return 'unused';
      };
      for (const container of [...pod.initContainers, ...pod.containers]) {
        const vars: Record<string, string> = {};
        for (const e of container.env ?? []) {
          if (e.value !== undefined) vars[e.name] = e.value;
          else if (e.valueFrom?.secretKeyRef) vars[e.name] = secret(e.valueFrom.secretKeyRef.name, e.valueFrom.secretKeyRef.key);
        }
        if (vars.KAFKA_BROKERS) vars.KAFKA_BROKERS = env.brokers; // the cluster's brokers are the test broker here
        delete vars.KAFKA_SASL_USERNAME; // the test broker is plaintext
        delete vars.KAFKA_SASL_PASSWORD;
        const result = run(process.execPath, ['--enable-source-maps', ...container.args], { env: { PATH: process.env.PATH, ...vars } });
        expect({ container: container.name, exit: result.status, stderr: result.stderr }).toEqual({ container: container.name, exit: 0, stderr: '' });
        if (container.name.startsWith('migrate-')) expect(result.stdout).toMatch(/migration\(s\) applied/);
        if (container.name === 'create-topics') expect(result.stdout).toMatch(/every topic exists already|created topics/);
        if (container.name === 'provision-database') expect(result.stdout).toContain('vigil_reporting → reporting');
      }
    });

    it('names every missing or bad setting and exits non-zero', () => {
      const script = join(root, 'deploy/docker/provision.cjs');
      const topics = run(process.execPath, [script, 'topics'], { env: { PATH: process.env.PATH, KAFKA_BROKERS: testEnv().brokers, KAFKA_TOPIC_PARTITIONS: '0' } });
      expect(topics.status).toBe(1);
      expect(topics.stderr).toContain('KAFKA_TOPIC_PARTITIONS');
      const database = run(process.execPath, [script, 'database'], { env: { PATH: process.env.PATH, INTAKE_DATABASE_URL: 'not a url' } });
      expect(database.status).toBe(1);
      expect(database.stderr).toContain('DATABASE_ADMIN_URL: is required but not set');
      expect(database.stderr).toContain("INTAKE_DATABASE_URL: must be a postgres:// URL with the service's user and password");
      expect(database.stderr).toContain('REPORTING_DATABASE_URL: is required but not set');
      expect(run(process.execPath, [script]).status).toBe(2);
    });
  });
});
