import { randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { http, startService, testEnv, withDatabase, type ServiceProcess } from '../../../test/support/harness';
// From the module itself: the folder's index also loads the Nest controllers, which Jest cannot require.
import { matchAssets, mostCritical } from '../src/assets/match-assets';

/**
 * The asset register over HTTP against the real triage process and PostgreSQL: registration,
 * replacement, listing and CSV import, and the problems each answers with.
 */
describe('triage asset register (real PostgreSQL)', () => {
  let triage: ServiceProcess;
  const url = (path: string) => `${triage.url}${path}`;
  // The database outlives this file: every identifier and name carries this run's tag.
  const tag = `t${randomUUID().slice(0, 8)}`;
  const csv = { 'content-type': 'text/csv' };
  // Hostnames and addresses too: other suites post alerts naming hosts, and a registered asset would
  // change their severity. IPv4 addresses come from the shared address space no other test uses.
  const v4 = () => `100.${64 + Math.floor(Math.random() * 64)}.${Math.floor(Math.random() * 256)}.${1 + Math.floor(Math.random() * 254)}`;
  const ipWeb = v4();

  beforeAll(async () => {
    triage = await startService('triage');
  }, 120_000);

  afterAll(async () => {
    await triage?.stop();
  });

  function expectProblem(res: Awaited<ReturnType<typeof http>>, status: number) {
    expect({ status: res.status, contentType: res.headers.get('content-type') }).toEqual({
      status,
      contentType: expect.stringMatching(/^application\/problem\+json/),
    });
    expect(res.json).toMatchObject({ status, type: expect.any(String), title: expect.any(String) });
  }

  const asset = (suffix: string, extra: Record<string, unknown> = {}) => ({
    identifier: `${tag}-${suffix}`,
    name: `${tag} asset ${suffix}`,
    criticality: 'medium',
    dataClassification: 'internal',
    ...extra,
  });

  async function register(body: Record<string, unknown>) {
    const res = await http('POST', url('/v1/assets'), body);
    expect(res.status).toBe(201);
    return res.json as { assetId: string; identifier: string; createdAt: string };
  }

  async function allPages(query: string, limit: number) {
    const pages: Array<Array<{ identifier: string }>> = [];
    let cursor: string | null = null;
    do {
      const res = await http('GET', url(`/v1/assets?${query}&limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`));
      expect(res.status).toBe(200);
      pages.push(res.json.items);
      cursor = res.json.nextCursor;
    } while (cursor && pages.length < 20);
    return pages;
  }

  it('registers an asset in canonical spelling and gets it back by id', async () => {
    const created = await register(
      asset('web', {
        hostnames: [`WEB-01.${tag.toUpperCase()}.Example.com.`, `web-01.${tag}.example.com`, `web-01-${tag}`],
        ips: [ipWeb, `2001:DB8:${tag.slice(1, 5)}:0:0:0:0:21`],
        owner: 'payments-team@example.com',
        businessService: 'Card payments',
        recoveryTimeObjectiveMinutes: 240,
        criticality: 'critical',
        dataClassification: 'restricted',
      }),
    );
    expect(created).toMatchObject({
      assetId: expect.stringMatching(/^[0-9a-f-]{36}$/),
      identifier: `${tag}-web`,
      hostnames: [`web-01.${tag}.example.com`, `web-01-${tag}`],
      ips: [ipWeb, `2001:db8:${parseInt(tag.slice(1, 5), 16).toString(16)}::21`],
      owner: 'payments-team@example.com',
      businessService: 'Card payments',
      recoveryTimeObjectiveMinutes: 240,
      criticality: 'critical',
      dataClassification: 'restricted',
    });
    const got = await http('GET', url(`/v1/assets/${created.assetId}`));
    expect(got.status).toBe(200);
    expect(got.json).toEqual(created);
  });

  it('refuses an identifier already registered, in any case, naming the asset that holds it', async () => {
    const first = await register(asset('dup'));
    const res = await http('POST', url('/v1/assets'), asset('DUP', { name: 'another' }));
    expectProblem(res, 409);
    expect(res.json).toMatchObject({ assetId: first.assetId, identifier: `${tag}-DUP` });
    expect(res.json.detail).toContain(first.assetId);
    expect(res.json.detail).toContain(`"${tag}-DUP"`);
  });

  it('answers 400 naming each bad field of a registration', async () => {
    const res = await http('POST', url('/v1/assets'), asset('bad', { criticality: 'urgent', ips: ['10.0.0.300'], colour: 'red' }));
    expectProblem(res, 400);
    expect(res.json.errors.map((e: { pointer: string }) => e.pointer).sort()).toEqual(['/colour', '/criticality', '/ips/0']);
  });

  it('answers 400 naming each field that holds text PostgreSQL cannot store (U+0000, a lone surrogate), never 500', async () => {
    const res = await http('POST', url('/v1/assets'), JSON.stringify(asset('nul', { name: 'web\u0000-01', owner: 'ops\ud800' })), { 'content-type': 'application/json' });
    expectProblem(res, 400);
    expect(res.json.errors.map((e: { pointer: string }) => e.pointer).sort()).toEqual(['/name', '/owner']);
    const query = await http('GET', url('/v1/assets?q=%00'));
    expectProblem(query, 400);
    expect(query.json.errors).toEqual([{ pointer: '/q', detail: expect.stringContaining('U+0000') }]);

    const file = `identifier,name,criticality,data_classification\n${tag}-nul1,Has a \u0000 in it,low,internal\n${tag}-nul2,Clean,low,internal\n`;
    const imported = await http('POST', url('/v1/assets:import'), file, csv);
    expect(imported.status).toBe(200);
    expect(imported.json).toMatchObject({ created: 1, failed: [{ row: 2, identifier: `${tag}-nul1`, errors: [{ column: 'name', detail: expect.stringContaining('U+0000') }] }] });
  });

  it('lists newest first, filters by q and criticality, and pages by cursor', async () => {
    const listTag = `${tag}-list`;
    const made = [];
    for (const [i, criticality] of (['low', 'high', 'low', 'high', 'high'] as const).entries()) {
      made.push(await register({ ...asset(`list-${i}`, { criticality }), hostnames: [`host-${i}.${listTag}.example`], ips: [v4()] }));
    }
    const newestFirst = made.map((a) => a.identifier).reverse();

    const all = await http('GET', url(`/v1/assets?q=${listTag}`));
    expect(all.json.items.map((a: { identifier: string }) => a.identifier)).toEqual(newestFirst);
    expect(all.json.nextCursor).toBeNull();

    const high = await http('GET', url(`/v1/assets?q=${listTag}&criticality=high`));
    expect(high.json.items.map((a: { identifier: string }) => a.identifier)).toEqual([`${tag}-list-4`, `${tag}-list-3`, `${tag}-list-1`]);

    // By a hostname, in another case and with the root dot; by an IP address.
    const byHost = await http('GET', url(`/v1/assets?q=${encodeURIComponent(`HOST-2.${listTag.toUpperCase()}.EXAMPLE.`)}`));
    expect(byHost.json.items.map((a: { identifier: string }) => a.identifier)).toEqual([`${tag}-list-2`]);
    const byName = await http('GET', url(`/v1/assets?q=${encodeURIComponent(`${tag.toUpperCase()} ASSET LIST-3`)}`));
    expect(byName.json.items.map((a: { identifier: string }) => a.identifier)).toEqual([`${tag}-list-3`]);

    const pages = await allPages(`q=${listTag}`, 2);
    expect(pages.map((p) => p.length)).toEqual([2, 2, 1]);
    expect(pages.flat().map((a) => a.identifier)).toEqual(newestFirst);
  });

  it('finds an asset by IP address, in any spelling', async () => {
    const created = await register(asset('v6', { ips: [`2001:db8:${parseInt(tag.slice(1, 5), 16).toString(16)}::7`] }));
    const spelled = `2001:0DB8:${tag.slice(1, 5).toUpperCase()}:0:0:0:0:7`;
    const res = await http('GET', url(`/v1/assets?q=${encodeURIComponent(spelled)}`));
    expect(res.json.items.map((a: { assetId: string }) => a.assetId)).toContain(created.assetId);
  });

  it('replaces an asset with PUT, clearing what the new body leaves out', async () => {
    const created = await register(asset('put', { hostnames: [`old-host-${tag}`], owner: 'someone' }));
    const res = await http('PUT', url(`/v1/assets/${created.assetId}`), asset('put', { name: 'renamed', hostnames: [`New-Host-${tag}`], criticality: 'high' }));
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ assetId: created.assetId, name: 'renamed', hostnames: [`new-host-${tag}`], owner: null, criticality: 'high', createdAt: created.createdAt });
    expect(Date.parse(res.json.updatedAt)).toBeGreaterThan(Date.parse(created.createdAt));
    expect((await http('GET', url(`/v1/assets/${created.assetId}`))).json).toEqual(res.json);
  });

  it('refuses a PUT to an identifier another asset holds (409), and one to an unknown asset (404)', async () => {
    const holder = await register(asset('holder'));
    const other = await register(asset('other'));
    const taken = await http('PUT', url(`/v1/assets/${other.assetId}`), asset('HOLDER'));
    expectProblem(taken, 409);
    expect(taken.json.assetId).toBe(holder.assetId);

    // Its own identifier in another case is no conflict.
    expect((await http('PUT', url(`/v1/assets/${other.assetId}`), asset('OTHER'))).status).toBe(200);

    expectProblem(await http('PUT', url(`/v1/assets/${randomUUID()}`), asset('nobody')), 404);
  });

  it('imports a CSV: creates new assets, updates known ones, and reports bad rows by line and column', async () => {
    const ipBuild = [v4(), v4()];
    const existing = await register(asset('csv-known', { criticality: 'low', hostnames: [`stale-${tag}`] }));
    const file = [
      '\uFEFFIdentifier,Name,Hostnames,IPs,Owner,Business_Service,Criticality,Data_Classification',
      `${tag}-csv-new1,"Build server, shared",BUILD-01-${tag};build-01.${tag}.example.com.,${ipBuild[0]} ${ipBuild[1]},,Engineering,medium,internal`,
      `${tag}-CSV-KNOWN,Known asset,known-01-${tag},,ops@example.com,,Critical,confidential`,
      `${tag}-csv-bad1,Bad criticality,,,,,urgent,internal`,
      `${tag}-csv-bad2,Bad IP,,10.0.0.300,,,low,internal`,
      `${tag}-csv-short,Too few fields`,
      `,No identifier,,,,,low,internal`,
      `${tag}-csv-new2,Second new,,,,,high,public`,
      '',
    ].join('\r\n');
    const res = await http('POST', url('/v1/assets:import'), file, csv);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(res.json).toEqual({
      created: 2,
      updated: 1,
      failed: [
        { row: 4, identifier: `${tag}-csv-bad1`, errors: [{ column: 'criticality', detail: '"urgent" is not one of low, medium, high, critical' }] },
        { row: 5, identifier: `${tag}-csv-bad2`, errors: [{ column: 'ips', detail: '"10.0.0.300" is not an IPv4 or IPv6 address' }] },
        { row: 6, identifier: `${tag}-csv-short`, errors: [{ column: '', detail: 'has 2 field(s) where the header has 8' }] },
        { row: 7, identifier: null, errors: [{ column: 'identifier', detail: 'is required' }] },
      ],
    });

    const rows = await withDatabase(async (db) =>
      (
        await db.query(
          `SELECT id, identifier, name, hostnames, ips, owner, business_service, criticality, data_classification
             FROM triage.assets WHERE identifier ILIKE $1 ORDER BY lower(identifier)`,
          [`${tag}-csv-%`],
        )
      ).rows,
    );
    expect(rows).toEqual([
      {
        id: existing.assetId,
        identifier: `${tag}-CSV-KNOWN`,
        name: 'Known asset',
        hostnames: [`known-01-${tag}`],
        ips: [],
        owner: 'ops@example.com',
        business_service: null,
        criticality: 'critical',
        data_classification: 'confidential',
      },
      {
        id: expect.any(String),
        identifier: `${tag}-csv-new1`,
        name: 'Build server, shared',
        hostnames: [`build-01-${tag}`, `build-01.${tag}.example.com`],
        ips: ipBuild,
        owner: null,
        business_service: 'Engineering',
        criticality: 'medium',
        data_classification: 'internal',
      },
      {
        id: expect.any(String),
        identifier: `${tag}-csv-new2`,
        name: 'Second new',
        hostnames: [],
        ips: [],
        owner: null,
        business_service: null,
        criticality: 'high',
        data_classification: 'public',
      },
    ]);
  });

  it('pages through assets imported in one statement (one created_at) without losing or repeating any', async () => {
    const importTag = `${tag}-bulk`;
    const lines = Array.from({ length: 7 }, (_, i) => `${importTag}-${i},Bulk ${i},low,internal`);
    const res = await http('POST', url('/v1/assets:import'), ['identifier,name,criticality,data_classification', ...lines].join('\n'), csv);
    expect(res.json).toEqual({ created: 7, updated: 0, failed: [] });
    const seen = (await allPages(`q=${importTag}`, 3)).flat().map((a) => a.identifier);
    expect(seen).toHaveLength(7);
    expect(new Set(seen).size).toBe(7);

    const again = await http('POST', url('/v1/assets:import'), ['identifier,name,criticality,data_classification', ...lines].join('\n'), csv);
    expect(again.json).toEqual({ created: 0, updated: 7, failed: [] });
  });

  it('refuses a CSV with an unknown or a missing column, naming them, and imports nothing of it', async () => {
    const unknown = await http('POST', url('/v1/assets:import'), `identifier,name,criticality,data_classification,colour\n${tag}-colour,X,low,internal,red\n`, csv);
    expectProblem(unknown, 422);
    expect(unknown.json.detail).toContain('"colour"');
    expect(unknown.json.unknownColumns).toEqual(['colour']);

    const missing = await http('POST', url('/v1/assets:import'), `identifier,name\n${tag}-missing,X\n`, csv);
    expectProblem(missing, 422);
    expect(missing.json.missingColumns).toEqual(['criticality', 'data_classification']);

    const stored = await withDatabase(async (db) => (await db.query(`SELECT count(*)::int AS n FROM triage.assets WHERE identifier IN ($1, $2)`, [`${tag}-colour`, `${tag}-missing`])).rows[0].n);
    expect(stored).toBe(0);
  });

  it('takes only text/csv on the import route, and only JSON elsewhere (415)', async () => {
    const json = await http('POST', url('/v1/assets:import'), { identifier: `${tag}-json` });
    expectProblem(json, 415);
    expect(json.json.detail).toContain('text/csv');

    expectProblem(await http('POST', url('/v1/assets'), `identifier,name\n${tag}-x,X\n`, csv), 415);
  });

  it('matches alert assets to registered ones by identifier, hostname, name and IP, in any spelling', async () => {
    const hex = tag.slice(1, 5);
    const byId = await register(asset('match-id', { criticality: 'low' }));
    const byHost = await register(asset('match-host', { hostnames: [`m-host.${tag}.example`], criticality: 'critical', owner: 'ops' }));
    const byName = await register(asset('match-name', { hostnames: [`m-name.${tag}.example`], criticality: 'medium' }));
    const byIp = await register(asset('match-ip', { ips: [`2001:db8:${hex}::99`], criticality: 'high' }));
    await register(asset('match-none', { hostnames: [`elsewhere.${tag}.example`], ips: [v4()] }));

    // matchAssets runs inside the consumer's transaction; here on a plain connection as triage's role.
    const matched = await withDatabase(
      (db) =>
        matchAssets({ query: async (sql: string, params: unknown[]) => (await db.query(sql, params)).rows } as unknown as EntityManager, [
          { id: `${tag}-MATCH-ID` },
          { hostname: `M-HOST.${tag.toUpperCase()}.EXAMPLE.`, ip: '198.51.100.1' },
          { name: `m-name.${tag}.example` },
          { ip: `2001:0DB8:${hex.toUpperCase()}:0:0:0:0:99` },
        ]),
      testEnv().serviceUrls.triage,
    );
    expect(matched.map((a) => a.assetId)).toEqual([byHost.assetId, byIp.assetId, byName.assetId, byId.assetId]);
    expect(matched[0]).toEqual({
      assetId: byHost.assetId,
      identifier: `${tag}-match-host`,
      name: `${tag} asset match-host`,
      criticality: 'critical',
      dataClassification: 'internal',
      owner: 'ops',
      businessService: null,
      recoveryTimeObjectiveMinutes: null,
      hostnames: [`m-host.${tag}.example`],
      ips: [],
    });
    expect(mostCritical(matched)).toBe('critical');
  });

  it('documents the import as taking text/csv', async () => {
    const doc = (await http('GET', url('/openapi.json'))).json;
    const [path] = Object.keys(doc.paths).filter((p) => p.includes('assets') && p.includes('import'));
    expect(doc.paths[path].post.requestBody.content['text/csv'].schema).toMatchObject({ type: 'string', example: expect.stringContaining('identifier,name') });
    expect(doc.paths[path].post.responses['200'].content['application/json'].schema).toEqual({ $ref: '#/components/schemas/AssetImportResult' });
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/v1/assets', '/v1/assets/{assetId}']));
  });

  it('answers 422 to a cursor it did not issue, 400 to a bad query, 404 to an unknown asset, 400 to a malformed id', async () => {
    for (const cursor of ['not-a-cursor', Buffer.from(JSON.stringify({ createdAt: '2026-02-31T00:00:00.000000Z', id: randomUUID() })).toString('base64url')]) {
      const res = await http('GET', url(`/v1/assets?cursor=${cursor}`));
      expectProblem(res, 422);
      expect(res.json.errors).toEqual([{ pointer: '/cursor', detail: expect.any(String) }]);
    }
    expectProblem(await http('GET', url('/v1/assets?criticality=urgent')), 400);
    expectProblem(await http('GET', url('/v1/assets?limit=500')), 400);
    expectProblem(await http('GET', url(`/v1/assets/${randomUUID()}`)), 404);
    expectProblem(await http('GET', url('/v1/assets/not-a-uuid')), 400);
  });
});
