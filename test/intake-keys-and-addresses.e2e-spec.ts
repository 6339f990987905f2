import { randomUUID } from 'node:crypto';
import { createIntegration, eventually, http, startReceiver, startService, type ServiceProcess } from './support/harness';

/**
 * Who a request to intake is: its rate limit follows the integration a key proves to be (or the
 * client address, which only a configured proxy may vouch for), and its key never reaches a span,
 * a log line or an answer.
 */
describe('intake: rate limits by verified integration or address, trusted proxies, keys kept out of spans and logs', () => {
  let otlp: Awaited<ReturnType<typeof startReceiver>>;
  /** TRUST_PROXY unset (false), 5 requests a second per integration or address, spans exported. */
  let direct: ServiceProcess;
  /** TRUST_PROXY=1: one proxy in front, whose X-Forwarded-For is believed. */
  let proxied: ServiceProcess;

  beforeAll(async () => {
    otlp = await startReceiver(() => 200);
    [direct, proxied] = await Promise.all([
      startService('intake', { INTAKE_RATE_LIMIT_PER_SECOND: '5', OTEL_EXPORTER_OTLP_ENDPOINT: otlp.url, OTEL_BSP_SCHEDULE_DELAY: '200', OTEL_METRIC_EXPORT_INTERVAL: '600000' }),
      startService('intake', { INTAKE_RATE_LIMIT_PER_SECOND: '5', TRUST_PROXY: '1' }),
    ]);
  }, 120_000);

  afterAll(async () => {
    await Promise.all([direct, proxied].filter(Boolean).map((s) => s.stop()));
    await otlp?.close();
  });

  const alert = () => ({ title: 'Port scan', source: 'ids', severity: 'low', dedupKey: `k-${randomUUID()}` });
  const post = (service: ServiceProcess, headers: Record<string, string>, query = '') => http('POST', `${service.url}/v1/alerts${query}`, alert(), headers);
  const nextWindow = () => new Promise((r) => setTimeout(r, 1100));
  const statuses = (answers: Array<{ status: number }>) => answers.map((a) => a.status).sort();

  it('keys the rate limit by the integration a key proves to be: forged keys with its prefix do not spend its budget', async () => {
    const { apiKey } = await createIntegration(direct.url, 'canonical');
    const forged = apiKey.slice(0, 8) + 'z'.repeat(24); // the shape of a key, and its prefix: not its secret
    await nextWindow();
    const forgeries = await Promise.all(Array.from({ length: 10 }, () => post(direct, { authorization: `Bearer ${forged}` })));
    // Forgeries count against the address they come from, not against the integration.
    expect(statuses(forgeries)).toEqual([401, 401, 401, 401, 401, 429, 429, 429, 429, 429]);
    const genuine = await Promise.all(Array.from({ length: 5 }, () => post(direct, { authorization: `Bearer ${apiKey}` })));
    expect(statuses(genuine)).toEqual([202, 202, 202, 202, 202]);
    const sixth = await post(direct, { authorization: `Bearer ${apiKey}` });
    expect(sixth.status).toBe(429);
    expect(sixth.headers.get('retry-after')).toMatch(/^\d+$/);
  });

  it('believes X-Forwarded-For only when TRUST_PROXY says a proxy is in front', async () => {
    await nextWindow();
    const spoofed = (service: ServiceProcess) =>
      Promise.all(Array.from({ length: 8 }, (_, i) => post(service, { authorization: '', 'x-forwarded-for': `198.51.100.${i + 1}` })));
    // No proxy trusted: every request is the test's own address, whatever it claims.
    expect(statuses(await spoofed(direct))).toEqual([401, 401, 401, 401, 401, 429, 429, 429]);
    // One proxy trusted: each forwarded address is a client of its own.
    expect(statuses(await spoofed(proxied))).toEqual([401, 401, 401, 401, 401, 401, 401, 401]);
  });

  it('keeps ?api_key= out of exported spans, log lines and problem documents', async () => {
    const { apiKey } = await createIntegration(direct.url, 'splunk');
    await nextWindow();
    const traceId = randomUUID().replace(/-/g, '');
    const body = { result: { host: 'web-01', count: '12' }, sid: `scheduler__admin__search__RMD5_at_${Date.now()}_1`, search_name: 'Failed logins', app: 'search', owner: 'admin' };
    const sent = await http('POST', `${direct.url}/v1/integrations/splunk?api_key=${apiKey}&origin=splunk`, body, { authorization: '', traceparent: `00-${traceId}-00f067aa0ba902b7-01` });
    expect(sent.status).toBe(202);
    const wrongKey = 'q'.repeat(32);
    const refused = await post(direct, { authorization: '' }, `?api_key=${wrongKey}`);
    expect(refused.status).toBe(401);
    expect(refused.json.instance).toBe('/v1/alerts?api_key=REDACTED');

    interface Attribute { key: string; value: { stringValue?: string } }
    const server = await eventually(async () => {
      for (const request of otlp.requests.filter((r) => r.path === '/v1/traces')) {
        const payload = JSON.parse(request.body) as { resourceSpans: Array<{ scopeSpans: Array<{ spans: Array<{ traceId: string; kind: number; attributes: Attribute[] }> }> }> };
        const span = payload.resourceSpans.flatMap((rs) => rs.scopeSpans.flatMap((s) => s.spans)).find((s) => s.traceId.toLowerCase() === traceId && s.kind === 2);
        if (span) return span;
      }
      return undefined;
    });
    expect(server.attributes.find((a) => a.key === 'url.query')?.value.stringValue).toBe('api_key=REDACTED&origin=splunk');
    await new Promise((r) => setTimeout(r, 500)); // the refused request's span too
    const exported = otlp.requests.map((r) => r.body).join('\n');
    expect(exported).toContain('api_key=REDACTED');
    expect(exported).not.toContain(apiKey);
    expect(exported).not.toContain(wrongKey);
    expect(direct.tail()).not.toContain(apiKey);
    expect(direct.tail()).not.toContain(wrongKey);
  });
});
