import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import {
  chartDir,
  componentOf,
  configProblems,
  deploymentEnv,
  ensureTools,
  ok,
  PASSED_THROUGH,
  render,
  root,
  run,
  serviceConfigShapes,
  SERVICES,
  tempDir,
  writeTemp,
  type K8sObject,
  type ServiceName,
  type Tools,
} from './support/deploy';

/**
 * The Helm chart as a platform team meets it: it lints, renders with the defaults and with a
 * production-like values file, every manifest is valid for current Kubernetes releases (strict
 * schemas, no unknown fields), every pod meets the restricted Pod Security Standard, a misspelt
 * value is refused, and what it configures is what the services actually read.
 */
describe('Helm chart helm/vigil', () => {
  let tools: Tools;
  const rendered: Record<string, { text: string; objects: K8sObject[] }> = {};
  const VALUES = { default: [] as string[], production: ['ci/production-values.yaml'], minimal: ['ci/minimal-values.yaml'] };

  beforeAll(async () => {
    tools = await ensureTools('helm', 'kubeconform', 'schemas', 'prometheus');
    for (const [name, files] of Object.entries(VALUES)) rendered[name] = render(tools.helm, files);
  }, 600_000);

  it.each(Object.entries(VALUES))('passes helm lint --strict with %s values', (_name, files) => {
    const out = ok(tools.helm, ['lint', '--strict', chartDir, ...files.flatMap((f) => ['--values', join(chartDir, f)])]);
    expect(out).toContain('0 chart(s) failed');
  });

  it('renders everything the issue asks for, and the optional parts only when switched on', () => {
    const kinds = (name: string) => rendered[name].objects.map((o) => `${o.kind}/${componentOf(o)}`);
    for (const service of SERVICES) {
      for (const kind of ['Deployment', 'Service', 'ServiceAccount', 'ConfigMap', 'PodDisruptionBudget', 'NetworkPolicy']) {
        expect(kinds('default')).toContain(`${kind}/${service}`);
      }
    }
    expect(kinds('default')).toEqual(expect.arrayContaining(['Job/migrations', 'NetworkPolicy/network-policy', 'Pod/chart-test']));
    for (const optional of ['Ingress', 'HorizontalPodAutoscaler', 'ServiceMonitor', 'PrometheusRule']) {
      expect(rendered.default.objects.some((o) => o.kind === optional)).toBe(false);
      expect(rendered.production.objects.some((o) => o.kind === optional)).toBe(true);
    }
    const dashboards = rendered.production.objects.filter((o) => o.kind === 'ConfigMap' && componentOf(o) === 'dashboards');
    expect(dashboards.map((d) => Object.keys(d.data)[0]).sort()).toEqual(['incident-response.json', 'pipeline-health.json']);
    for (const d of dashboards) {
      expect(d.metadata.labels?.grafana_dashboard).toBe('1');
      expect(JSON.parse(Object.values(d.data)[0] as string).uid).toMatch(/^vigil-/);
    }
    // The hook runs before install and upgrade: every migration in pipeline order, then the topics.
    const job = rendered.production.objects.find((o) => o.kind === 'Job')!;
    expect(job.metadata.annotations?.['helm.sh/hook']).toBe('pre-install,pre-upgrade');
    const pod = job.spec.template.spec;
    expect(pod.initContainers.map((c: any) => c.name)).toEqual(['provision-database', ...SERVICES.map((s) => `migrate-${s}`)]);
    expect(pod.containers.map((c: any) => c.name)).toEqual(['create-topics']);
    const topicEnv = Object.fromEntries(pod.containers[0].env.filter((e: any) => e.value).map((e: any) => [e.name, e.value]));
    expect(topicEnv).toMatchObject({ KAFKA_TOPIC_PARTITIONS: '12', KAFKA_REPLICATION_FACTOR: '3', KAFKA_MIN_INSYNC_REPLICAS: '2' });
    // HPA replaces a fixed replica count.
    const intake = rendered.production.objects.find((o) => o.kind === 'Deployment' && componentOf(o) === 'intake')!;
    expect(intake.spec.replicas).toBeUndefined();
  });

  it.each(Object.keys(VALUES))('renders %s values that are valid for Kubernetes 1.37 and 1.33 (kubeconform -strict)', async (name) => {
    const dir = tempDir('chart');
    const file = writeTemp(dir, `${name}.yaml`, rendered[name].text);
    // The two Prometheus Operator kinds have no schema here; the next test checks them.
    const crds = ['ServiceMonitor', 'PrometheusRule'];
    const validated = rendered[name].objects.filter((o) => !crds.includes(o.kind)).length;
    const results = await Promise.all(
      tools.schemas.versions.map(
        (version) =>
          new Promise<{ version: string; exit: number; out: string }>((resolve) =>
            execFile(tools.kubeconform, ['-strict', '-summary', '-schema-location', tools.schemas.location, '-kubernetes-version', version, '-skip', crds.join(','), file], (error, stdout) =>
              resolve({ version, exit: error ? Number(error.code ?? 1) : 0, out: stdout.trim() }),
            ),
          ),
      ),
    );
    for (const result of results) {
      expect(result).toMatchObject({ exit: 0 });
      expect(result.out).toContain(`Valid: ${validated}, Invalid: 0, Errors: 0`);
    }
  });

  it('fails kubeconform on a misspelt field, so the check above has teeth', () => {
    const deployment = rendered.default.objects.find((o) => o.kind === 'Deployment')!;
    const broken = JSON.parse(JSON.stringify(deployment));
    broken.spec.template.spec.containers[0].securityContext.readOnlyRootFilesytem = true;
    const file = writeTemp(tempDir('chart'), 'broken.json', JSON.stringify(broken));
    const result = run(tools.kubeconform, ['-strict', '-schema-location', tools.schemas.location, '-kubernetes-version', tools.schemas.versions[0], file]);
    expect(result.status).not.toBe(0);
    expect(result.stdout).toContain("'readOnlyRootFilesytem' not allowed");
  });

  it('renders a PrometheusRule that promtool accepts and a ServiceMonitor that selects the five Services', () => {
    const { objects } = rendered.production;
    const rule = objects.find((o) => o.kind === 'PrometheusRule')!;
    expect(rule.apiVersion).toBe('monitoring.coreos.com/v1');
    expect(Object.keys(rule.spec)).toEqual(['groups']);
    const file = writeTemp(tempDir('chart'), 'rules.yaml', JSON.stringify({ groups: rule.spec.groups }));
    expect(ok(tools.promtool, ['check', 'rules', file])).toMatch(/SUCCESS: \d+ rules found/);
    expect(rule.spec.groups).toEqual(parseYaml(readFileSync(join(root, 'deploy/prometheus/rules/vigil-alerts.yaml'), 'utf8')).groups);

    const monitor = objects.find((o) => o.kind === 'ServiceMonitor')!;
    expect(monitor.apiVersion).toBe('monitoring.coreos.com/v1');
    const services = objects.filter((o) => o.kind === 'Service');
    const selected = services.filter(
      (s) =>
        Object.entries(monitor.spec.selector.matchLabels).every(([k, v]) => s.metadata.labels?.[k] === v) &&
        monitor.spec.selector.matchExpressions.every((e: any) => e.operator === 'In' && e.values.includes(s.metadata.labels?.[e.key])),
    );
    expect(selected.map(componentOf).sort()).toEqual([...SERVICES].sort());
    const [endpoint] = monitor.spec.endpoints;
    expect(endpoint).toMatchObject({ port: 'http', path: '/metrics' });
    for (const s of selected) expect(s.spec.ports.map((p: any) => p.name)).toContain(endpoint.port);
    // The dashboards and rules expect job="vigil-<service>".
    expect(endpoint.relabelings).toContainEqual({
      sourceLabels: ['__meta_kubernetes_service_label_app_kubernetes_io_component'],
      targetLabel: 'job',
      replacement: 'vigil-$1',
    });
  });

  it.each(Object.keys(VALUES))('meets the restricted Pod Security Standard everywhere with %s values', (name) => {
    const { objects } = rendered[name];
    const podSpecs = objects.flatMap((o): Array<[string, any]> => {
      if (o.kind === 'Pod') return [[`Pod/${o.metadata.name}`, o.spec]];
      if (o.spec?.template?.spec) return [[`${o.kind}/${o.metadata.name}`, o.spec.template.spec]];
      return [];
    });
    expect(podSpecs.length).toBeGreaterThanOrEqual(7); // five Deployments, the hook Job, the chart test
    const problems: string[] = [];
    const allowedVolumes = ['configMap', 'csi', 'downwardAPI', 'emptyDir', 'ephemeral', 'persistentVolumeClaim', 'projected', 'secret'];
    for (const [where, pod] of podSpecs) {
      const fail = (what: string) => problems.push(`${where}: ${what}`);
      const psc = pod.securityContext ?? {};
      if (pod.automountServiceAccountToken !== false) fail('automountServiceAccountToken is not false');
      for (const host of ['hostNetwork', 'hostPID', 'hostIPC', 'hostUsers']) if (pod[host] === true) fail(`${host}`);
      if (psc.runAsUser === 0) fail('pod runs as UID 0');
      for (const v of pod.volumes ?? []) {
        const type = Object.keys(v).find((k) => k !== 'name')!;
        if (!allowedVolumes.includes(type)) fail(`volume ${v.name} is a ${type}`);
      }
      for (const c of [...(pod.initContainers ?? []), ...pod.containers]) {
        const sc = c.securityContext ?? {};
        const at = `container ${c.name}`;
        if ((sc.runAsNonRoot ?? psc.runAsNonRoot) !== true) fail(`${at}: runAsNonRoot is not true`);
        if ((sc.runAsUser ?? psc.runAsUser) === 0) fail(`${at}: runs as UID 0`);
        if (sc.allowPrivilegeEscalation !== false) fail(`${at}: allowPrivilegeEscalation is not false`);
        if (sc.privileged === true) fail(`${at}: privileged`);
        if (!(sc.capabilities?.drop ?? []).includes('ALL')) fail(`${at}: capabilities do not drop ALL`);
        if ((sc.capabilities?.add ?? []).some((cap: string) => cap !== 'NET_BIND_SERVICE')) fail(`${at}: adds capabilities`);
        if ((sc.seccompProfile ?? psc.seccompProfile)?.type !== 'RuntimeDefault') fail(`${at}: seccompProfile is not RuntimeDefault`);
        if (sc.readOnlyRootFilesystem !== true) fail(`${at}: root filesystem is writable`);
        const tmp = (c.volumeMounts ?? []).find((m: any) => m.mountPath === '/tmp');
        const volume = tmp && (pod.volumes ?? []).find((v: any) => v.name === tmp.name);
        if (!volume?.emptyDir) fail(`${at}: /tmp is not an emptyDir`);
        for (const port of c.ports ?? []) if (port.hostPort) fail(`${at}: hostPort`);
      }
    }
    for (const sa of objects.filter((o) => o.kind === 'ServiceAccount')) {
      if (sa.automountServiceAccountToken !== false) problems.push(`ServiceAccount/${sa.metadata.name}: automountServiceAccountToken is not false`);
    }
    expect(problems).toEqual([]);
  });

  it('probes /health/live and /health/ready, spreads pods and limits their disruption', () => {
    for (const d of rendered.default.objects.filter((o) => o.kind === 'Deployment')) {
      const [c] = d.spec.template.spec.containers;
      expect(c.startupProbe.httpGet).toEqual({ path: '/health/live', port: 'http' });
      expect(c.livenessProbe.httpGet).toEqual({ path: '/health/live', port: 'http' });
      expect(c.readinessProbe.httpGet).toEqual({ path: '/health/ready', port: 'http' });
      expect(c.resources.requests).toBeDefined();
      expect(c.resources.limits.memory).toBeDefined();
      expect(d.spec.template.spec.topologySpreadConstraints.map((t: any) => t.topologyKey)).toEqual(['topology.kubernetes.io/zone', 'kubernetes.io/hostname']);
    }
  });

  it('denies by default and lets each service reach only its port, PostgreSQL, Kafka, DNS and its own destinations', () => {
    const { objects } = rendered.production;
    const policies = objects.filter((o) => o.kind === 'NetworkPolicy');
    const deny = policies.find((p) => componentOf(p) === 'network-policy')!;
    expect(deny.spec).toEqual({ podSelector: { matchLabels: { 'app.kubernetes.io/name': 'vigil', 'app.kubernetes.io/instance': 'vigil' } }, policyTypes: ['Ingress', 'Egress'] });
    for (const service of SERVICES) {
      const policy = policies.find((p) => componentOf(p) === service)!;
      expect(policy.spec.ingress).toHaveLength(1);
      expect(policy.spec.ingress[0].ports).toEqual([{ port: 'http', protocol: 'TCP' }]);
      expect(policy.spec.ingress[0].from.length).toBeGreaterThan(0);
      const egressPorts = policy.spec.egress.map((rule: any) => rule.ports.map((p: any) => p.port).join('+'));
      const expected = ['53+53', '5432', '9093', '4318', ...(service === 'comms' ? ['443'] : [])];
      expect(egressPorts).toEqual(expected);
      for (const rule of policy.spec.egress) expect(rule.to?.length).toBeGreaterThan(0); // production values name every destination
    }
  });

  it('refuses a values file with a misspelt key and names the key', () => {
    const result = run(tools.helm, ['template', 'vigil', chartDir, '--values', join(chartDir, 'test-values/typo-values.yaml')]);
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain("values don't meet the specifications of the schema");
    expect(result.stderr).toContain("at '/services/intake': additional properties 'replicaCount' not allowed");
    expect(result.stderr).toContain("at '/kafka': additional properties 'broker' not allowed");
    const lint = run(tools.helm, ['lint', chartDir, '--values', join(chartDir, 'test-values/typo-values.yaml')]);
    expect(lint.status).not.toBe(0);
  });

  it('configures each service with the variables it reads, and with values its own validation accepts', () => {
    const shapes = serviceConfigShapes();
    // Stand-ins for the Secrets a platform team creates, shaped as docs/deploy.md describes them.
    const fakeSecret = (secret: string, key: string) => {
      if (key === 'webhook-url') return 'https://chat.example.com/hooks/T000/B000';
      if (key.endsWith('-url')) return 'postgres://vigil_x:secret@postgres.data.svc:5432/vigil';
      if (/token|pepper|secret/.test(key)) return `${secret}-${key}-0123456789abcdef0123456789`;
      return 'value';
    };
    for (const name of Object.keys(VALUES)) {
      const { objects } = rendered[name];
      const envs = {} as Record<ServiceName, Record<string, string>>;
      for (const service of SERVICES) {
        const deployment = objects.find((o) => o.kind === 'Deployment' && componentOf(o) === service)!;
        const env = deploymentEnv(objects, deployment, fakeSecret);
        const unknown = Object.keys(env).filter((k) => !shapes[service].keys.includes(k) && !PASSED_THROUGH.test(k));
        expect({ values: name, service, unknown }).toEqual({ values: name, service, unknown: [] });
        const missing = shapes[service].required.filter((k) => env[k] === undefined);
        expect({ values: name, service, missing }).toEqual({ values: name, service, missing: [] });
        envs[service] = Object.fromEntries(Object.entries(env).filter(([k]) => shapes[service].keys.includes(k)));
      }
      const problems = configProblems(envs);
      expect({ values: name, problems }).toEqual({ values: name, problems: Object.fromEntries(SERVICES.map((s) => [s, []])) });
    }
  });

  it('carries the same dashboards and rules as deploy/ (node tools/deploy/sync-chart-files.mjs)', () => {
    const check = run(process.execPath, [join(root, 'tools/deploy/sync-chart-files.mjs'), '--check']);
    expect(check.stderr).toBe('');
    expect(check.status).toBe(0);
  });

  it('tells the installer how to reach the API and send a first alert (NOTES.txt)', () => {
    const notes = ok(tools.helm, ['install', 'vigil', chartDir, '--dry-run=client', '--namespace', 'soc', '--values', join(chartDir, 'ci/production-values.yaml')]);
    const text = notes.slice(notes.indexOf('NOTES:'));
    expect(text).toContain('https://vigil.soc.example.com');
    expect(text).toContain('/v1/integrations');
    expect(text).toContain('/v1/alerts');
    expect(text).toContain('helm test vigil -n soc');
  });
});
