import { execFile } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, relative } from 'node:path';
import { parse as parseYaml, stringify as toYaml } from 'yaml';
import {
  chartDir,
  componentOf,
  configProblems,
  deploymentEnv,
  ensureTools,
  ok,
  PASSED_THROUGH,
  render,
  REQUIRED_VALUES,
  root,
  run,
  serviceConfigShapes,
  SERVICES,
  tempDir,
  writeTemp,
  yamlFile,
  type K8sObject,
  type ServiceName,
  type Tools,
} from './support/deploy';

const defaults = yamlFile('helm/vigil/values.yaml');
const RELEASE_PODS = { podSelector: { matchLabels: { 'app.kubernetes.io/name': 'vigil', 'app.kubernetes.io/instance': 'vigil' } } };

/** The auth section Helm ends up with: values.yaml, then each file over it. */
function authOf(files: string[]): Record<string, any> {
  const auth = { ...defaults.auth };
  for (const file of files) Object.assign(auth, parseYaml(readFileSync(join(chartDir, file), 'utf8'))?.auth ?? {});
  return auth;
}

const isEmptySelector = (s: any) => !Object.keys(s?.matchLabels ?? {}).length && !(s?.matchExpressions ?? []).length;

/** Whether a NetworkPolicy peer lets in every source (or every pod of the cluster). */
function admitsEveryone(peer: any): boolean {
  if (!peer || Object.keys(peer).length === 0) return true;
  if (peer.ipBlock) return /\/0$/.test(peer.ipBlock.cidr);
  return peer.namespaceSelector !== undefined && isEmptySelector(peer.namespaceSelector) && isEmptySelector(peer.podSelector);
}

/**
 * The Helm chart as a platform team meets it: it lints, renders with the defaults and with a
 * production-like values file, every manifest is valid for current Kubernetes releases (strict
 * schemas, no unknown fields), every pod meets the restricted Pod Security Standard, a misspelt
 * value is refused, and what it configures is what the services actually read.
 */
describe('Helm chart helm/vigil', () => {
  let tools: Tools;
  const rendered: Record<string, { text: string; objects: K8sObject[] }> = {};
  const VALUES = { default: [REQUIRED_VALUES], production: ['ci/production-values.yaml'], minimal: ['ci/minimal-values.yaml'] };
  /** The default values with more values over them. */
  const renderWith = (values: object) => render(tools.helm, [REQUIRED_VALUES, writeTemp(tempDir('chart'), 'values.yaml', toYaml(values))]);
  const template = (...args: string[]) => run(tools.helm, ['template', 'vigil', chartDir, ...args]);

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
    expect(topicEnv).toMatchObject({ KAFKA_TOPIC_PARTITIONS: '12', KAFKA_REPLICATION_FACTOR: '3', KAFKA_MIN_INSYNC_REPLICAS: '2', KAFKA_DLQ_RETENTION_MS: '2592000000' });
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

  it('denies by default and lets each service reach only its port, PostgreSQL, Kafka, DNS, the identity provider and its own destinations', () => {
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
      const expected = ['53+53', '5432', '9093', '4318', '443', ...(service === 'comms' ? ['443'] : [])];
      expect(egressPorts).toEqual(expected);
      // Discovery and keys of the identity provider, where production values say it is.
      expect(policy.spec.egress[4]).toEqual({ ports: [{ port: 443, protocol: 'TCP' }], to: [{ ipBlock: { cidr: '198.51.100.20/32' } }] });
      for (const rule of policy.spec.egress) expect(rule.to?.length).toBeGreaterThan(0); // production values name every destination
    }
  });

  it.each(['default', 'production'])('admits to the services\' port only the sources %s values name, never everyone', (name) => {
    const { objects } = rendered[name];
    const files = VALUES[name as keyof typeof VALUES];
    const values = files.reduce((v, f) => ({ ...v, ...parseYaml(readFileSync(join(chartDir, f), 'utf8')) }), {} as Record<string, any>);
    const np = { ...defaults.networkPolicy, ...values.networkPolicy };
    for (const service of SERVICES) {
      const policy = objects.find((o) => o.kind === 'NetworkPolicy' && componentOf(o) === service)!;
      expect(policy.spec.policyTypes).toContain('Ingress');
      for (const rule of policy.spec.ingress) {
        expect(rule.ports).toEqual([{ port: 'http', protocol: 'TCP' }]);
        // A rule without `from`, or with an empty one, admits every source.
        expect({ service, from: rule.from?.length ?? 0 }).not.toEqual({ service, from: 0 });
        expect({ service, everyone: rule.from.filter(admitsEveryone) }).toEqual({ service, everyone: [] });
      }
      const own = values.services?.[service]?.ingressFrom ?? [];
      expect({ service, from: policy.spec.ingress.flatMap((r: any) => r.from) }).toEqual({ service, from: [RELEASE_PODS, ...np.ingressFrom, ...np.prometheusFrom, ...own] });
    }
    // The helm test pod is one of the release's pods.
    const testPod = objects.find((o) => o.kind === 'Pod' && componentOf(o) === 'chart-test')!;
    expect(testPod.metadata.labels).toMatchObject(RELEASE_PODS.podSelector.matchLabels);
  });

  it('admits the ingress-nginx namespace and Prometheus by default, and nobody else when both lists are empty', () => {
    expect(defaults.networkPolicy.ingressFrom).toEqual([{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'ingress-nginx' } } }]);
    expect(defaults.networkPolicy.prometheusFrom).toEqual([
      { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } }, podSelector: { matchLabels: { 'app.kubernetes.io/name': 'prometheus' } } },
    ]);
    // An empty list used to mean "anyone"; now it means nobody but the release's own pods.
    const { objects } = renderWith({ networkPolicy: { ingressFrom: [], prometheusFrom: [] } });
    for (const service of SERVICES) {
      const policy = objects.find((o) => o.kind === 'NetworkPolicy' && componentOf(o) === service)!;
      expect({ service, ingress: policy.spec.ingress }).toEqual({ service, ingress: [{ ports: [{ port: 'http', protocol: 'TCP' }], from: [RELEASE_PODS] }] });
    }
    // A peer that selects nothing is refused, rather than rendered into "from everyone".
    const empty = run(tools.helm, ['template', 'vigil', chartDir, '--values', join(chartDir, REQUIRED_VALUES), '--set-json', 'networkPolicy.ingressFrom=[{}]']);
    expect(empty.status).not.toBe(0);
    expect(empty.stderr).toContain("at '/networkPolicy/ingressFrom/0'");
  });

  it('refuses to render without auth.issuer or auth.audience, and names what is missing', () => {
    const bare = template();
    expect(bare.status).not.toBe(0);
    expect(bare.stderr).toContain("at '/auth': missing properties 'issuer', 'audience'");
    const noIssuer = template('--set', 'auth.audience=vigil');
    expect(noIssuer.status).not.toBe(0);
    expect(noIssuer.stderr).toContain("at '/auth': missing property 'issuer'");
    expect(noIssuer.stderr).not.toContain('audience');
    const emptyIssuer = template('--set', 'auth.audience=vigil', '--set', 'auth.issuer=');
    expect(emptyIssuer.status).not.toBe(0);
    expect(emptyIssuer.stderr).toContain("at '/auth/issuer'");
    expect(run(tools.helm, ['lint', chartDir]).status).not.toBe(0);
    // The templates refuse too, for installs that skip the schema.
    const unchecked = template('--skip-schema-validation', '--set', 'auth.audience=vigil');
    expect(unchecked.status).not.toBe(0);
    expect(unchecked.stderr).toContain('auth.issuer is required');
    expect(template('--skip-schema-validation', '--set', 'auth.issuer=https://idp.example.com').stderr).toContain('auth.audience is required');
  });

  it('refuses unknown Vigil roles, symmetric algorithms and the removed admin token and oidc values', () => {
    const bad = writeTemp(
      tempDir('chart'),
      'bad.yaml',
      toYaml({ auth: { roleMapping: { 'soc-analysts': 'analyst', 'soc-leads': ['ir_manager', 'root'], fine: 'admin' }, algorithms: ['RS256', 'HS256'] }, intake: { adminTokenKey: 'admin-token' } }),
    );
    const result = template('--values', join(chartDir, REQUIRED_VALUES), '--values', bad);
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain("at '/auth/roleMapping/soc-analysts'");
    expect(result.stderr).toContain("at '/auth/roleMapping/soc-leads'");
    expect(result.stderr).not.toContain("'/auth/roleMapping/fine'");
    expect(result.stderr).toContain("at '/auth/algorithms/1'");
    expect(result.stderr).toContain("at '/intake': additional properties 'adminTokenKey' not allowed");
    const oidc = template('--values', join(chartDir, REQUIRED_VALUES), '--set', 'oidc.enabled=true', '--set', 'oidc.issuerUrl=https://idp.example.com');
    expect(oidc.status).not.toBe(0);
    expect(oidc.stderr).toContain('oidc.* was replaced by auth.*');
  });

  it.each(Object.entries(VALUES))('hands every service the identity settings of %s values, the role mapping as JSON', (name, files) => {
    const auth = authOf(files);
    const { objects, text } = rendered[name];
    if (name === 'production') expect(Object.keys(auth.roleMapping).length).toBeGreaterThan(3);
    for (const service of SERVICES) {
      const deployment = objects.find((o) => o.kind === 'Deployment' && componentOf(o) === service)!;
      const env = deploymentEnv(objects, deployment, (secret, key) => `${secret}/${key}`);
      const { AUTH_ISSUER, AUTH_AUDIENCE, AUTH_ROLES_CLAIM, AUTH_ALGORITHMS, AUTH_CLOCK_SKEW_SECONDS } = env;
      expect({ service, AUTH_ISSUER, AUTH_AUDIENCE, AUTH_ROLES_CLAIM, AUTH_ALGORITHMS, AUTH_CLOCK_SKEW_SECONDS }).toEqual({
        service,
        AUTH_ISSUER: auth.issuer,
        AUTH_AUDIENCE: auth.audience,
        AUTH_ROLES_CLAIM: auth.rolesClaim,
        AUTH_ALGORITHMS: auth.algorithms.join(','),
        AUTH_CLOCK_SKEW_SECONDS: String(auth.clockSkewSeconds),
      });
      expect({ service, mapping: JSON.parse(env.AUTH_ROLE_MAPPING) }).toEqual({ service, mapping: auth.roleMapping });
      expect(env.AUTH_JWKS_URL).toBeUndefined(); // discovered from the issuer
    }
    expect(text).not.toMatch(/INTAKE_ADMIN_TOKEN|admin-token|OIDC_/);
    const withJwks = renderWith({ auth: { jwksUrl: 'https://keycloak.example/realms/soc/protocol/openid-connect/certs' } });
    for (const cm of withJwks.objects.filter((o) => o.kind === 'ConfigMap' && SERVICES.includes(componentOf(o) as ServiceName))) {
      expect(cm.data.AUTH_JWKS_URL).toBe('https://keycloak.example/realms/soc/protocol/openid-connect/certs');
    }
  });

  it('no longer mentions the intake admin token anywhere in the chart', () => {
    const files = (readdirSync(chartDir, { recursive: true }) as string[]).map((f) => join(chartDir, f)).filter((f) => statSync(f).isFile());
    const mentions = files.filter((f) => /INTAKE_ADMIN_TOKEN|adminToken|admin-token|admin token/i.test(readFileSync(f, 'utf8'))).map((f) => relative(chartDir, f));
    expect(mentions).toEqual([]);
  });

  it('requires the metrics bearer token when one is set, and the ServiceMonitor and helm test send it', async () => {
    const { objects } = rendered.production;
    const ref = { name: 'vigil-metrics', key: 'token' };
    const tokenEnv = { name: 'METRICS_BEARER_TOKEN', valueFrom: { secretKeyRef: ref } };
    for (const service of SERVICES) {
      const deployment = objects.find((o) => o.kind === 'Deployment' && componentOf(o) === service)!;
      expect({ service, env: deployment.spec.template.spec.containers[0].env }).toEqual({ service, env: expect.arrayContaining([tokenEnv]) });
    }
    // From the Secret only, never in a ConfigMap.
    expect(objects.filter((o) => o.kind === 'ConfigMap' && 'METRICS_BEARER_TOKEN' in (o.data ?? {}))).toEqual([]);
    const [endpoint] = objects.find((o) => o.kind === 'ServiceMonitor')!.spec.endpoints;
    expect(endpoint.authorization).toEqual({ type: 'Bearer', credentials: ref });
    expect(endpoint.bearerTokenSecret).toBeUndefined();
    const testPod = objects.find((o) => o.kind === 'Pod' && componentOf(o) === 'chart-test')!;
    const [container] = testPod.spec.containers;
    expect(container.env).toContainEqual(tokenEnv);

    // The helm test script against a stand-in service that wants the token on /metrics.
    const token = 'metrics-token-0123456789abcdef';
    let kafka = 'ok';
    const server = createServer((req, res) => {
      const allowed = req.url !== '/metrics' || req.headers.authorization === `Bearer ${token}`;
      if (req.url === '/health/ready') {
        // Ready while the database answers, whatever Kafka's state.
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ status: kafka === 'ok' ? 'ok' : 'degraded', checks: { database: 'ok', kafka } }));
        return;
      }
      res.writeHead(allowed ? 200 : 401).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const helmTest = (env: Record<string, string>) =>
      new Promise<{ exit: number; out: string }>((resolve) =>
        execFile(process.execPath, container.args, { env: { PATH: process.env.PATH, VIGIL_URLS: url, ...env } }, (error, stdout) => resolve({ exit: error ? Number(error.code ?? 1) : 0, out: stdout })),
      );
    try {
      expect(await helmTest({ METRICS_BEARER_TOKEN: token })).toEqual({ exit: 0, out: expect.stringContaining(`200 ${url}/metrics`) });
      expect(await helmTest({})).toEqual({ exit: 1, out: expect.stringContaining(`401 ${url}/metrics`) });
      // A service can be ready without Kafka, but an installation is not done until Kafka answers.
      kafka = 'unavailable';
      expect(await helmTest({ METRICS_BEARER_TOKEN: token })).toEqual({ exit: 1, out: expect.stringContaining(`200 ${url}/health/ready (kafka: unavailable)`) });
    } finally {
      server.close();
    }

    // Without the value: no token anywhere, and the ServiceMonitor scrapes without one.
    const open = renderWith({ metrics: { serviceMonitor: { enabled: true } } });
    const envNames = open.objects.flatMap((o) => {
      const pod = o.kind === 'Pod' ? o.spec : o.spec?.template?.spec;
      return [...(pod?.initContainers ?? []), ...(pod?.containers ?? [])].flatMap((c: any) => (c.env ?? []).map((e: any) => e.name));
    });
    expect(envNames).toContain('DATABASE_URL');
    expect(envNames).not.toContain('METRICS_BEARER_TOKEN');
    expect(open.objects.find((o) => o.kind === 'ServiceMonitor')!.spec.endpoints[0].authorization).toBeUndefined();
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
      if (key === 'smtp-url') return 'smtps://vigil:secret@mail.example.com:465';
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
    // Integrations are managed with an access token from the IdP whose subject has the admin role.
    expect(text).toContain('https://keycloak.example/realms/soc/.well-known/openid-configuration');
    expect(text).toContain('admin role');
    expect(text).not.toMatch(/admin-token|INTAKE_ADMIN_TOKEN/);
  });
});
