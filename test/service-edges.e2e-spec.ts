import { createIntegration, http, startService, testEnv, type ServiceProcess } from './support/harness';

const { startServiceProcess } = require('../tools/stack/services.cjs');

describe('a service at its edges: bad input, bad configuration, shutdown', () => {
  let intake: ServiceProcess;
  let apiKey: string;

  beforeAll(async () => {
    intake = await startService('intake', { HTTP_BODY_LIMIT_BYTES: '4096' });
    ({ apiKey } = await createIntegration(intake.url, 'canonical'));
  }, 120_000);

  afterAll(async () => {
    await intake?.stop();
  });

  const post = (body: string, contentType = 'application/json') =>
    http('POST', `${intake.url}/v1/alerts`, body, { 'content-type': contentType, authorization: `Bearer ${apiKey}` });

  it('answers 400 problem+json naming each bad field', async () => {
    const res = await post(JSON.stringify({ title: '', severity: 'urgent', assets: [{ ip: 'not-an-ip' }], colour: 'red' }));
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    const pointers = res.json.errors.map((e: { pointer: string }) => e.pointer).sort();
    expect(pointers).toEqual(['/assets/0/ip', '/colour', '/severity', '/source', '/title']);
    expect(res.json).toMatchObject({ status: 400, title: 'Invalid request', instance: '/v1/alerts' });
  });

  it('answers 400 naming each field PostgreSQL could not store — U+0000, a lone surrogate, a year-0000 date — never 500', async () => {
    const nul = await post('{"title":"Port scan\\u0000","source":"ids","severity":"low","labels":{"rule":"\\ud800"}}');
    expect(nul.status).toBe(400);
    expect(nul.headers.get('content-type')).toContain('application/problem+json');
    expect(nul.json.errors).toEqual([
      { pointer: '/title', detail: 'must not contain the NUL character (U+0000)' },
      { pointer: '/labels/rule', detail: expect.stringContaining('lone UTF-16 surrogate') },
    ]);

    for (const occurredAt of ['0000-01-01T00:00:00Z', '0001-01-01T00:00:00+01:00', '9999-12-31T23:59:59-10:00', '2026-11-24T06:40:00+16:00']) {
      const res = await post(JSON.stringify({ title: 'Port scan', source: 'ids', severity: 'low', occurredAt }));
      expect({ occurredAt, status: res.status, pointers: res.json.errors?.map((e: { pointer: string }) => e.pointer) }).toEqual({ occurredAt, status: 400, pointers: ['/occurredAt'] });
    }

    const query = await http('POST', `${intake.url}/v1/alerts?note=%00`, { title: 'Port scan', source: 'ids', severity: 'low' }, { authorization: `Bearer ${apiKey}` });
    expect(query.status).toBe(400);
    expect(query.json.errors).toEqual([{ pointer: '/note', detail: expect.stringContaining('U+0000') }]);

    // The service is none the worse: the next alert is taken.
    expect((await post(JSON.stringify({ title: 'Port scan', source: 'ids', severity: 'low' }))).status).toBe(202);
  });

  it('rejects malformed JSON, depth bombs, other content types and oversized bodies with 4xx, never 5xx', async () => {
    const malformed = await post('{"title": ');
    expect(malformed.status).toBe(400);
    expect(malformed.json.detail).toMatch(/Malformed JSON/);

    const bomb = await post('['.repeat(1500) + ']'.repeat(1500));
    expect(bomb.status).toBe(400);
    expect(bomb.json.detail).toMatch(/nested deeper/);

    const text = await post('title=x', 'text/plain');
    expect(text.status).toBe(415);
    expect(text.headers.get('content-type')).toContain('application/problem+json');

    const big = await post(JSON.stringify({ title: 'x', source: 'y', severity: 'low', description: 'z'.repeat(10_000) }));
    expect(big.status).toBe(413);

    const empty = await post('');
    expect(empty.status).toBe(400);
  });

  it('answers unknown routes and bad ids with problems', async () => {
    const missing = await http('GET', `${intake.url}/v1/nothing-here`);
    expect(missing.status).toBe(404);
    expect(missing.json.type).toMatch(/not-found$/);
    const badId = await http('GET', `${intake.url}/v1/alerts/not-a-uuid`);
    expect(badId.status).toBe(400);
    const unknown = await http('GET', `${intake.url}/v1/alerts/00000000-0000-4000-8000-000000000000`);
    expect(unknown.status).toBe(404);
  });

  it('answers 405 with Allow to a method a known path does not have, before reading any body', async () => {
    for (const method of ['PUT', 'DELETE', 'QUERY']) {
      const res = await http(method, `${intake.url}/v1/alerts`, '{"title":', { 'content-type': 'text/plain' });
      expect({ method, status: res.status, allow: res.headers.get('allow'), type: res.json?.type }).toEqual({ method, status: 405, allow: 'POST', type: 'https://vigil.dev/problems/method-not-allowed' });
    }
    // A static path is its own, even where a parametric one of another method would match it.
    const splunk = await http('DELETE', `${intake.url}/v1/integrations/splunk`);
    expect([splunk.status, splunk.headers.get('allow')]).toEqual([405, 'POST']);
    expect((await http('GET', `${intake.url}/v1/integrations`)).status).toBe(200);
    expect((await http('PATCH', `${intake.url}/v1/nothing-here`)).status).toBe(404);
  });

  it('refuses NUL characters in a query or path too, naming the parameter', async () => {
    const body = await post(JSON.stringify({ title: 'a\u0000b', source: 'edr', severity: 'low', labels: { 'k\u0000': 'v' } }));
    expect([body.status, body.json.errors?.[0]]).toEqual([400, { pointer: '/title', detail: 'must not contain the NUL character (U+0000)' }]);
    const query = await http('GET', `${intake.url}/v1/alerts/00000000-0000-4000-8000-000000000000?x=%00`);
    expect([query.status, query.json.errors?.[0]?.pointer]).toEqual([400, '/x']);
    const path = await http('GET', `${intake.url}/v1/alerts/a%00b`);
    expect([path.status, path.json.errors?.[0]?.pointer]).toEqual([400, '/alertId']);
  });

  it('answers a request line and headers over the size limit with a 431 problem, not Fastify\'s own JSON', async () => {
    const res = await http('GET', `${intake.url}/v1/integrations?q=${'a'.repeat(20_000)}`);
    expect([res.status, res.headers.get('content-type'), res.json?.type]).toEqual([431, 'application/problem+json; charset=utf-8', 'https://vigil.dev/problems/request-header-fields-too-large']);
    // A long path parameter is the route's to judge (a malformed id: 400), not the router's 414.
    const long = await http('GET', `${intake.url}/v1/alerts/${'x'.repeat(500)}`);
    expect([long.status, long.headers.get('content-type')]).toEqual([400, 'application/problem+json; charset=utf-8']);
  });

  it('takes a UUID in a path in any case', async () => {
    const accepted = await post(JSON.stringify({ title: 'Case test', source: 'edr', severity: 'low' }));
    expect(accepted.status).toBe(202);
    const upper = await http('GET', `${intake.url}/v1/alerts/${accepted.json.alertId.toUpperCase()}`);
    expect([upper.status, upper.json.alertId]).toEqual([200, accepted.json.alertId]);
  });

  it('refuses to start on a bad configuration and names each bad variable', async () => {
    const env = testEnv();
    const bad = startServiceProcess('intake', {
      PORT: 'eighty',
      DATABASE_URL: '',
      KAFKA_BROKERS: 'no-port-here',
      // An empty value for a required variable must be reported, not defaulted.
    });
    const { code } = await bad.exited;
    expect(code).toBe(1);
    const output = bad.tail();
    expect(output).toMatch(/invalid configuration/);
    expect(output).toMatch(/PORT: /);
    expect(output).toMatch(/DATABASE_URL: /);
    expect(output).toMatch(/KAFKA_BROKERS: each broker must be host:port/);
    expect(env.brokers).toBeTruthy();
  });

  it('shuts down cleanly on SIGTERM', async () => {
    const other = await startService('intake');
    const { code, signal } = await other.stop();
    expect(signal).toBeNull();
    expect(code).toBe(0);
  });
});
