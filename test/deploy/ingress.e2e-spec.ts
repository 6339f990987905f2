import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { stringify as toYaml } from 'yaml';
import { ensureTools, ok, render, REQUIRED_VALUES, root, run, SERVICES, tempDir, writeTemp, type K8sObject, type ServiceName, type Tools } from './support/deploy';

type Operation = { parameters?: Array<{ name: string; in: string; schema?: { enum?: string[]; format?: string } }> };
type OpenApi = { paths: Record<string, Record<string, Operation>> };

const HOST = 'vigil.soc.example.com';
const INGEST_HOST = 'ingest.vigil.soc.example.com';
const METHODS = ['get', 'put', 'post', 'delete', 'patch'];

/**
 * Where ingress-nginx sends a request for `path` on `host`, with `use-regex`: every path of the
 * host is a case-insensitive regular expression anchored at the start (Prefix ones too), tried
 * longest first; Exact paths are exact. Returns every backend whose path matches, in that order.
 */
function nginxRoutes(ingress: K8sObject, host: string, path: string): string[] {
  const rule = (ingress.spec.rules as Array<{ host: string; http: { paths: Array<{ path: string; pathType: string; backend: { service: { name: string } } }> } }>).find((r) => r.host === host);
  if (!rule) return [];
  const exact = rule.http.paths.filter((p) => p.pathType === 'Exact' && p.path === path);
  const regex = rule.http.paths
    .filter((p) => p.pathType !== 'Exact')
    .sort((a, b) => b.path.length - a.path.length)
    .filter((p) => new RegExp(`^${p.path}`, 'i').test(path));
  return [...exact, ...regex].map((p) => p.backend.service.name);
}

/** A concrete request path for an OpenAPI path: UUIDs for UUID parameters, a value of an enum. */
function samplePath(path: string, operation: Operation): string {
  return path.replace(/\{([^}]+)\}/g, (_m, name: string) => {
    const schema = operation.parameters?.find((p) => p.in === 'path' && p.name === name)?.schema;
    return schema?.enum?.[0] ?? (schema?.format === 'uuid' ? randomUUID() : 'x-1');
  });
}

/**
 * The Helm chart's Ingress routes every operation of every service, as its OpenAPI document has it,
 * to that service: the documents are exported offline from the compiled services, the path table
 * the chart carries (files/api-routes.yaml) is checked to be the one they give, and the rendered
 * Ingress is read the way ingress-nginx reads it.
 */
describe('Helm Ingress: every operation reaches its service', () => {
  let tools: Tools;
  let documents: Record<ServiceName, OpenApi>;
  let ingress: K8sObject;
  const operations = () =>
    SERVICES.flatMap((service) =>
      Object.entries(documents[service].paths).flatMap(([path, item]) =>
        Object.entries(item)
          .filter(([method]) => METHODS.includes(method))
          .map(([method, operation]) => ({ service, method, path, sample: samplePath(path, operation) })),
      ),
    );

  beforeAll(async () => {
    tools = await ensureTools('helm');
    // dist/ is current: the integration set-up builds it.
    documents = JSON.parse(ok(process.execPath, [join(root, 'tools', 'api-contract', 'export-openapi.mjs'), '--no-build']));
    const values = writeTemp(tempDir('ingress'), 'values.yaml', toYaml({ ingress: { enabled: true, className: 'nginx', host: HOST, ingestHost: INGEST_HOST } }));
    ingress = render(tools.helm, [REQUIRED_VALUES, values]).objects.find((o) => o.kind === 'Ingress')!;
  }, 600_000);

  it("carries the path table that the services' OpenAPI documents give", () => {
    const check = run(process.execPath, [join(root, 'tools', 'deploy', 'api-routes.mjs'), '--check', '--no-build']);
    expect({ status: check.status, stderr: check.stderr }).toEqual({ status: 0, stderr: '' });
  });

  it('routes each operation of each service to that service, and to no other', () => {
    const all = operations();
    expect(all.length).toBeGreaterThan(40);
    expect(new Set(all.map((o) => o.service))).toEqual(new Set(SERVICES));
    const misrouted = all
      .map(({ service, method, path, sample }) => {
        const host = service === 'intake' ? INGEST_HOST : HOST;
        const backends = nginxRoutes(ingress, host, sample);
        // On the API host every rule a path matches leads to its service (a literal path such as
        // /v1/playbooks/import also matches /v1/playbooks/{key}), so the order of the rules cannot matter.
        const right = backends[0] === `vigil-${service}` && (host === INGEST_HOST || backends.every((b) => b === `vigil-${service}`));
        return right ? undefined : `${method.toUpperCase()} ${path} (${service}) on ${host} → ${backends.join(', ') || 'nothing'}`;
      })
      .filter(Boolean);
    expect(misrouted).toEqual([]);
  });

  it('marks the paths as regular expressions for ingress-nginx, and sends nothing outside the documents to the API host', () => {
    expect(ingress.metadata.annotations?.['nginx.ingress.kubernetes.io/use-regex']).toBe('true');
    expect(nginxRoutes(ingress, HOST, '/v1/incidents/x/unknown')).toEqual([]);
    expect(nginxRoutes(ingress, HOST, '/metrics')).toEqual([]);
    expect(nginxRoutes(ingress, INGEST_HOST, '/v1/alerts')).toEqual(['vigil-intake']);
  });

  it('needs a host for intake when it routes by the table', () => {
    const values = writeTemp(tempDir('ingress'), 'values.yaml', toYaml({ ingress: { enabled: true, host: HOST, ingestHost: '' } }));
    const result = run(tools.helm, ['template', 'vigil', join(root, 'helm', 'vigil'), '--values', join(root, 'helm', 'vigil', REQUIRED_VALUES), '--values', values]);
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain('ingress.ingestHost is required');
  });
});
