import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { createIntegration, eventually, http, readTopic, startService, testEnv, withDatabase, type ServiceProcess } from '../../../test/support/harness';
import { boundedKey, boundedKeySql } from '../src/correlation/correlation-keys';
import { BoundedCorrelationKeys1765000000000 } from '../src/persistence/migrations/1765000000000-bounded-correlation-keys';

/**
 * Placing alerts at the edges: the largest content intake accepts, and alerts placed while the
 * incidents they belong to are being merged and closed. Real intake, Kafka, triage and PostgreSQL.
 */
describe('placing alerts (intake → Kafka → triage)', () => {
  let intake: ServiceProcess;
  let triage: ServiceProcess;
  let apiKey: string;
  const t = (path: string) => `${triage.url}${path}`;
  const uid = () => randomUUID().slice(0, 8);
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

  beforeAll(async () => {
    [intake, triage] = await Promise.all([startService('intake'), startService('triage')]);
    ({ apiKey } = await createIntegration(intake.url, 'canonical'));
  }, 180_000);

  afterAll(async () => {
    await Promise.all([intake, triage].filter(Boolean).map((s) => s.stop()));
  });

  async function postBatch(alerts: Array<Record<string, unknown>>): Promise<string[]> {
    const res = await http('POST', `${intake.url}/v1/alerts:batch`, { alerts }, { authorization: `Bearer ${apiKey}` });
    expect([res.status, res.json?.rejected]).toEqual([202, 0]);
    return res.json.results.map((r: { alertId: string }) => r.alertId);
  }

  type Row = { alert_id: string; incident_id: string | null; disposition: string; correlated_by: string | null; occurrences: number; phase: string | null };
  const rowsOf = async (alertIds: string[]): Promise<Row[]> =>
    (
      await withDatabase((db) =>
        db.query(
          `SELECT a.alert_id, a.incident_id, a.disposition, a.correlated_by, a.occurrences, i.phase
             FROM triage.alerts a LEFT JOIN triage.incidents i ON i.id = a.incident_id WHERE a.alert_id = ANY($1::uuid[])`,
          [alertIds],
        ),
      )
    ).rows;

  /** Waits until triage has recorded every one of the alerts. */
  async function placedAll(alertIds: string[], timeoutMs = 120_000): Promise<Row[]> {
    return eventually(async () => {
      const rows = await rowsOf(alertIds);
      return rows.length === alertIds.length ? rows : undefined;
    }, timeoutMs, 250);
  }

  describe('the largest content intake accepts', () => {
    // Random characters, so that PostgreSQL cannot compress them under its limits: CJK ideographs take
    // three bytes in UTF-8 and one UTF-16 unit (what the length limits count), the most bytes a value
    // within intake's limits can hold; emoji and other astral characters take four bytes and two units.
    const random = (from: number, span: number, count: number) => String.fromCodePoint(...Array.from({ length: count }, () => from + Math.floor(Math.random() * span)));
    const wide = (n: number, tag: string) => `${random(0x4e00, 0x5000, n - tag.length)}${tag}`;
    const astral = (n: number, tag: string) => `${random(0x1f300, 0x300, (n - tag.length) >> 1)}${tag}`;

    it('places an alert whose observables, labels, assets, title and dedup key are all at their limits in multi-byte UTF-8, and correlates by them', async () => {
      const tag = uid();
      const types = ['ip', 'domain', 'url', 'hash', 'email', 'user', 'hostname', 'file', 'other'] as const;
      const observables = types.flatMap((type, i) => [
        { type, value: wide(2048, `${tag}${i}a`) },
        { type, value: astral(2048, `${tag}${i}b`) },
      ]);
      const groupKey = wide(2000, `${tag}g`);
      const labels: Record<string, string> = { 'alertmanager.groupKey': groupKey };
      for (let i = 0; i < 40; i++) labels[wide(200, `${tag}k${i}`)] = (i % 2 ? astral : wide)(2000, `${tag}v${i}`);
      const big = {
        title: wide(500, tag),
        source: wide(200, tag),
        severity: 'high',
        category: 'malware',
        dedupKey: wide(255, `${tag}d`),
        description: wide(20_000, tag),
        labels,
        assets: [
          { id: wide(200, `${tag}i`), hostname: wide(253, `${tag}h`), name: wide(200, `${tag}n`) },
          { id: astral(200, `${tag}j`), hostname: astral(253, `${tag}x`) },
        ],
        observables,
      };
      const [bigId] = await postBatch([big]);
      const [placed] = await placedAll([bigId], 90_000).catch(async (error) => {
        // Say where the alert went instead: a dead letter is exactly what this test is about.
        throw new Error(`${(error as Error).message}; dead-lettered: ${JSON.stringify(await deadLetters([bigId]))}`);
      });
      expect(placed).toMatchObject({ disposition: 'attached', correlated_by: 'opened' });
      // Two more that share only one long key each with it: an observable, and the Alertmanager group.
      const [byObservable, byGroup] = await postBatch([
        { title: `Shares an observable ${tag}`, source: 'edr', severity: 'high', dedupKey: `obs-${tag}`, observables: [observables[5]] },
        { title: `Shares a group ${tag}`, source: 'edr', severity: 'high', dedupKey: `grp-${tag}`, labels: { 'alertmanager.groupKey': groupKey } },
      ]);

      const rows = await placedAll([byObservable, byGroup], 90_000);
      const byId = new Map(rows.map((r) => [r.alert_id, r]));
      const incidentId = placed.incident_id;
      expect(byId.get(byObservable)).toMatchObject({ disposition: 'attached', incident_id: incidentId, correlated_by: 'observable' });
      expect(byId.get(byGroup)).toMatchObject({ disposition: 'attached', incident_id: incidentId, correlated_by: 'group_key' });
      expect(await deadLetters([bigId, byObservable, byGroup])).toEqual([]);

      // The incident reads back whole.
      const incident = (await http('GET', t(`/v1/incidents/${incidentId}`))).json;
      expect(incident).toMatchObject({ title: big.title, alertCount: 3 });
    });

    it('bounds keys in SQL exactly as in code, so that keys stored before the bound still correlate after the migration', async () => {
      const values = ['short', wide(2000, uid()), astral(2000, uid()), 'x'.repeat(257), 'x'.repeat(256), `${wide(100, '')}\u{1f600}${'y'.repeat(300)}`];
      for (const value of values) {
        const [{ bounded }] = (await withDatabase((db) => db.query(`SELECT ${boundedKeySql('$1::text')} AS bounded`, [value]))).rows;
        expect(bounded).toBe(boundedKey(value));
        expect(Buffer.byteLength(bounded)).toBeLessThanOrEqual(400);
      }

      // An incident with a long key as stored before (it fitted: under the B-tree's limit, above the bound).
      const [seed] = await postBatch([{ title: `Before the bound ${uid()}`, source: 'edr', severity: 'high', dedupKey: `pre-${uid()}` }]);
      const [{ incident_id: incidentId }] = await placedAll([seed]);
      const url = `https://long.example/${Array.from({ length: 150 }, () => Math.random().toString(36).slice(2, 10)).join('/')}`.slice(0, 1500);
      await withDatabase((db) =>
        db.query(`INSERT INTO triage.incident_keys (kind, key, incident_id, last_seen_at) VALUES ('observable', $1, $2, now())`, [`real|url:${url}`, incidentId]),
      );
      await new BoundedCorrelationKeys1765000000000().up({ query: (sql: string) => withDatabase((db) => db.query(sql)) } as never);
      const stored = (await withDatabase((db) => db.query(`SELECT key FROM triage.incident_keys WHERE incident_id = $1 AND kind = 'observable'`, [incidentId]))).rows;
      expect(stored).toEqual([{ key: boundedKey(`real|url:${url}`) }]);

      const [later] = await postBatch([{ title: `After the bound ${uid()}`, source: 'edr', severity: 'high', dedupKey: `post-${uid()}`, observables: [{ type: 'url', value: url }] }]);
      expect((await placedAll([later]))[0]).toMatchObject({ incident_id: incidentId, correlated_by: 'observable' });
    });

    /** Dead letters on the alerts topic that carry any of these alerts (none expected). */
    async function deadLetters(alertIds: string[]): Promise<string[]> {
      // Everything dead-lettered so far has been written by now; read it all, then look for ours.
      const seen = await readTopic('vigil.alerts.v1.dlq', (m) => m, 5_000, undefined, 3_000).catch(() => []);
      return seen.filter((m) => alertIds.some((id) => m.value.includes(id))).map((m) => m.headers['vigil-dlq-error'] ?? m.value.slice(0, 200));
    }
  });

  describe('while analysts merge and close incidents', () => {
    /**
     * The exact race: an analyst's merge or close has locked the incident and made it final, and not
     * committed yet (held by locking the history table against its last insert), while an alert
     * that correlates with it is placed. The placement finds the incident still open, waits for
     * its row, and gets it once the change commits: it must then see that it is final.
     */
    async function whileHeld(change: () => Promise<{ status: number; json: unknown }>, incidentId: string, alert: Record<string, unknown>): Promise<Row> {
      const waiting = async (locks: string[], query: RegExp) =>
        (
          await withDatabase((db) =>
            db.query(`SELECT query FROM pg_stat_activity WHERE application_name = 'vigil-triage' AND wait_event_type = 'Lock' AND wait_event = ANY($1)`, [locks]),
          )
        ).rows.filter((r: { query: string }) => query.test(r.query)).length;
      const hold = new Client({ connectionString: testEnv().adminUrl });
      await hold.connect();
      try {
        await hold.query('BEGIN');
        await hold.query('LOCK TABLE triage.incident_history IN SHARE MODE');
        const changed = change();
        await eventually(async () => ((await waiting(['relation'], /incident_history/)) ? true : undefined), 30_000, 50);
        const [alertId] = await postBatch([alert]);
        // The placement found the incident open and waits for its row, locked by the change (the
        // statement that reads it; its text is cut before its FOR UPDATE in pg_stat_activity).
        await eventually(async () => ((await waiting(['transactionid', 'tuple'], /^SELECT "i"\."id" AS "i_id"/)) ? true : undefined), 60_000, 50);
        await hold.query('ROLLBACK');
        const res = await changed;
        expect([incidentId, res.status, res.json]).toEqual([incidentId, 200, expect.anything()]);
        return (await placedAll([alertId]))[0];
      } finally {
        await hold.end();
      }
    }

    const openOne = async (host: string) => {
      const [seed] = await postBatch([{ title: `Held ${host}`, source: 'edr', severity: 'high', category: 'malware', dedupKey: `${host}-seed`, assets: [{ hostname: host }] }]);
      return (await placedAll([seed]))[0].incident_id!;
    };
    const follower = (host: string) => ({ title: `Held ${host} again`, source: 'edr', severity: 'high', category: 'malware', dedupKey: `${host}-${uid()}`, assets: [{ hostname: host }] });
    const change = (incidentId: string, action: string, body: Record<string, unknown>) => () =>
      http('POST', t(`/v1/incidents/${incidentId}/${action}`), { reason: 'held', ...body }, { 'if-match': '*' });

    it('places an alert for an incident being merged in the incident it is merged into', async () => {
      const [host, other] = [`held-${uid()}`, `held-${uid()}`];
      const [source, target] = [await openOne(host), await openOne(other)];
      const placed = await whileHeld(change(target, 'merge', { incidentIds: [source] }), source, follower(host));
      expect(placed).toMatchObject({ incident_id: target, phase: 'detected', correlated_by: 'asset_category' });
    });

    it('opens a new incident for an alert whose incident is being declared a false positive', async () => {
      const host = `held-${uid()}`;
      const incidentId = await openOne(host);
      const placed = await whileHeld(change(incidentId, 'transition', { to: 'false_positive' }), incidentId, follower(host));
      expect(placed.incident_id).not.toBe(incidentId);
      expect(placed).toMatchObject({ phase: 'detected', correlated_by: 'opened' });
    });

    /** Closing needs a completed review; reporting, which would say so, does not run here. */
    const reviewCompleted = (incidentId: string) =>
      withDatabase((db) =>
        db.query(
          `INSERT INTO triage.incident_reviews (incident_id, review_id, state, version, updated_at) VALUES ($1, $2, 'completed', 3, now())
           ON CONFLICT (incident_id) DO UPDATE SET state = 'completed'`,
          [incidentId, randomUUID()],
        ),
      );

    it('opens a new incident for an alert whose incident is being closed', async () => {
      const host = `held-${uid()}`;
      const incidentId = await openOne(host);
      await reviewCompleted(incidentId);
      for (const to of ['triaged', 'contained', 'eradicated', 'recovered', 'post_incident']) expect((await change(incidentId, 'transition', { to })()).status).toBe(200);
      const placed = await whileHeld(change(incidentId, 'transition', { to: 'closed' }), incidentId, follower(host));
      expect(placed.incident_id).not.toBe(incidentId);
      expect(placed).toMatchObject({ phase: 'detected', correlated_by: 'opened' });
    });

    const HOSTS = 6;
    const ROUNDS = 5;
    const BATCHES = 20;
    const PER_BATCH = 9;

    /** An analyst's change, knowingly on whatever version is current (placements bump it all the time). */
    async function act(incidentId: string, action: string, body: Record<string, unknown>) {
      const res = await http('POST', t(`/v1/incidents/${incidentId}/${action}`), { reason: 'stress', ...body }, { 'if-match': '*' });
      expect([incidentId, action, body, res.status]).toEqual([incidentId, action, body, 200]);
      return res.json as { alertCount: number; phase: string };
    }

    it('never places an alert in a merged, closed or false-positive incident, and places every alert exactly once (stress)', async () => {
      for (let round = 0; round < ROUNDS; round++) {
        const ns = `race-${uid()}-${round}`;
        let n = 0;
        // Alerts of one host and category correlate (asset + category); each has a dedup key of its own, so none repeats.
        const alert = (host: number) => ({ title: `Stress ${ns} ${n}`, source: 'edr', severity: 'high', category: 'malware', dedupKey: `${ns}-${n++}`, assets: [{ hostname: `${ns}-h${host}` }] });

        // One open incident per host.
        const seeds = await postBatch(Array.from({ length: HOSTS }, (_, h) => alert(h)));
        const incidents = (await placedAll(seeds)).sort((a, b) => seeds.indexOf(a.alert_id) - seeds.indexOf(b.alert_id)).map((r) => r.incident_id!);
        expect(new Set(incidents).size).toBe(HOSTS);

        // A stream of alerts for every host, while analysts merge and close the incidents.
        const streamed: string[] = [];
        const stream = (async () => {
          for (let b = 0; b < BATCHES; b++) {
            streamed.push(...(await postBatch(Array.from({ length: PER_BATCH }, (_, i) => alert((b * PER_BATCH + i) % HOSTS)))));
            await sleep(10);
          }
        })();
        const closedWith = new Map<string, number>(); // incident → its alert count when it became final
        const close = async (id: string, to: 'closed' | 'false_positive') => {
          const path = to === 'closed' ? ['triaged', 'contained', 'eradicated', 'recovered', 'post_incident', 'closed'] : ['false_positive'];
          if (to === 'closed') await reviewCompleted(id);
          let last = { alertCount: 0, phase: '' };
          for (const phase of path) last = await act(id, 'transition', { to: phase });
          closedWith.set(id, last.alertCount);
        };
        const [i0, i1, i2, i3, i4, i5] = incidents;
        const analysts = (async () => {
          await sleep(150 + 50 * round);
          await Promise.all([
            act(i0, 'merge', { incidentIds: [i1] }),
            close(i2, 'false_positive'),
            close(i3, 'closed'),
            act(i4, 'merge', { incidentIds: [i5] }).then(() => sleep(100)).then(() => close(i4, 'false_positive')),
            sleep(300).then(() => close(i0, 'closed')),
          ]);
        })();
        await Promise.all([stream, analysts]);

        const all = [...seeds, ...streamed];
        const rows = await placedAll(all);
        // Placed exactly once: one row each (the alert id is the key), in an incident, counted once.
        expect(rows.filter((r) => r.disposition !== 'attached' || !r.incident_id || r.occurrences !== 1)).toEqual([]);
        expect(rows.filter((r) => r.phase === 'merged')).toEqual([]); // merged incidents keep no alerts
        const incidentRows = (
          await withDatabase((db) =>
            db.query(
              `SELECT i.id, i.phase, i.alert_count, (SELECT count(*)::int FROM triage.alerts a WHERE a.incident_id = i.id) AS alerts
                 FROM triage.incidents i WHERE i.id = ANY($1::uuid[])`,
              [[...new Set(rows.map((r) => r.incident_id!))]],
            ),
          )
        ).rows as Array<{ id: string; phase: string; alert_count: number; alerts: number }>;
        for (const i of incidentRows) {
          expect([i.id, i.alert_count]).toEqual([i.id, i.alerts]);
          // Nothing joined an incident after it became final.
          if (closedWith.has(i.id)) expect([i.id, i.phase, i.alerts]).toEqual([i.id, i.phase, closedWith.get(i.id)]);
        }
        expect(incidentRows.reduce((sum, i) => sum + i.alerts, 0)).toBe(all.length);
      }
    }, 900_000);
  });
});
