// '@vigil/platform' re-exports its NestJS bootstrap, and @nestjs/* ship only as ES modules, which this
// project does not transform: placement needs none of it (Problem is thrown only by analyst routes).
jest.mock('@vigil/platform', () => ({
  ...jest.requireActual('../../../libs/platform/src/auth/principal'),
  Problem: class Problem extends Error {},
}));

import fc from 'fast-check';
import { randomUUID } from 'node:crypto';
import { DataSource, type EntityManager } from 'typeorm';
import { incidentAction, startService, testEnv, type ServiceProcess } from '../../../test/support/harness';
import { DEFAULT_SEVERITY_MATRIX } from '../src/classification/severity-matrix';
import { placeRun, type PlacementSettings, type RunItem } from '../src/correlation/place-run';
import type { AlertReceived, TriageOutcome } from '../src/correlation/triage-alert';
import { Incident } from '../src/persistence/incident.entity';

/**
 * Set-wise placement decides exactly as one-by-one placement, against the real database: the same
 * random stream of alerts — repeats, groups, assets (registered or not), observables, severities
 * below the threshold, a suppression rule, merges, recoveries and time passing beyond the windows
 * and the recovery watch — is placed twice, in two namespaces that cannot meet: once in runs of
 * random length (set-wise) and once one alert per transaction. Outcomes, where every alert ended,
 * the incidents and the events must be the same, modulo ids and the namespace.
 */
describe('set-wise placement (real PostgreSQL)', () => {
  let db: DataSource;
  const settings: PlacementSettings = { matrix: DEFAULT_SEVERITY_MATRIX, openFrom: 'low', recoveryWatchDays: 14 };
  let triage: ServiceProcess;

  beforeAll(async () => {
    // The service migrates its schema and merges incidents for the analyst steps; placement runs here.
    triage = await startService('triage');
    db = new DataSource({ type: 'postgres', url: testEnv().serviceUrls.triage, entities: [Incident], poolSize: 4 });
    await db.initialize();
  }, 180_000);

  afterAll(async () => {
    await db?.destroy();
    await triage?.stop();
  });

  type Step =
    | { op: 'alert'; key: number; host: number; category?: 'malware' | 'phishing'; ip?: number; group?: number; severity: 'critical' | 'high' | 'low' | 'info'; minutes: number; again: boolean }
    | { op: 'merge'; i: number; j: number }
    | { op: 'recover'; i: number; watchDays: number | null }
    | { op: 'days'; days: number }
    | { op: 'cut' };

  const step: fc.Arbitrary<Step> = fc.oneof(
    {
      weight: 12,
      arbitrary: fc.record({
        op: fc.constant('alert' as const),
        key: fc.integer({ min: 0, max: 6 }),
        host: fc.integer({ min: 0, max: 3 }),
        category: fc.constantFrom(undefined, 'malware' as const, 'phishing' as const),
        ip: fc.option(fc.integer({ min: 0, max: 2 }), { nil: undefined }),
        group: fc.option(fc.integer({ min: 0, max: 1 }), { nil: undefined }),
        severity: fc.constantFrom('critical' as const, 'high' as const, 'low' as const, 'info' as const),
        minutes: fc.constantFrom(0, 1, 5, 30, 90),
        again: fc.integer({ min: 0, max: 11 }).map((n) => n === 0),
      }),
    },
    { weight: 1, arbitrary: fc.record({ op: fc.constant('merge' as const), i: fc.nat(), j: fc.nat() }) },
    { weight: 2, arbitrary: fc.record({ op: fc.constant('recover' as const), i: fc.nat(), watchDays: fc.constantFrom(null, 1, 2) }) },
    { weight: 1, arbitrary: fc.record({ op: fc.constant('days' as const), days: fc.constantFrom(1, 2, 15) }) },
    { weight: 2, arbitrary: fc.constant({ op: 'cut' as const }) },
  );

  interface Side {
    ns: string;
    ipByte: number;
    /** incident id → the stream index of the alert that opened it. */
    canonical: Map<string, number>;
    outcomes: Array<{ index: number; outcome: TriageOutcome }>;
    events: Array<{ event_type: string; payload: any }>;
    alertIds: string[];
    /** registered asset id → its host number. */
    assets: Map<string, string>;
  }

  let run = 0;
  const letters = (n: number) => n.toString(26).split('').map((d) => String.fromCharCode(97 + parseInt(d, 26))).join('');

  async function inTransaction<T>(side: Side, fn: (manager: EntityManager) => Promise<T>): Promise<T> {
    return db.transaction(async (manager) => {
      const [{ seq }] = await manager.query(`SELECT coalesce(max(seq), 0)::text AS seq FROM triage.outbox`);
      const result = await fn(manager);
      // Only this transaction writes the outbox meanwhile: what it enqueued, in order.
      const rows: Array<{ event_type: string; payload: any }> = await manager.query(
        `SELECT event_type, payload FROM triage.outbox WHERE seq > $1::bigint ORDER BY seq`,
        [seq],
      );
      side.events.push(...rows);
      // Compared here, never published: thousands of synthetic incidents would otherwise reach the
      // other services that share the test broker and database (their notices, KPIs and alerting).
      await manager.query(`DELETE FROM triage.outbox WHERE seq > $1::bigint`, [seq]);
      return result;
    });
  }

  /** An event, with ids replaced by stream indexes and the namespace taken out. */
  function eventShape(side: Side, type: string, payload: any) {
    const i = payload.incident;
    const alertIndex = payload.alert ? side.alertIds.indexOf(payload.alert.alertId) : undefined;
    return {
      type,
      incident: i ? canonicalOf(side, i.incidentId) : undefined,
      phase: i?.phase,
      alertCount: i?.alertCount,
      severity: i?.severity,
      category: i?.category,
      version: i?.version,
      timestamps: i ? { occurredAt: i.timestamps.occurredAt, detectedAt: i.timestamps.detectedAt } : undefined,
      alert: alertIndex,
      correlatedBy: payload.correlatedBy,
      matchedAssets: payload.matchedAssetIds?.length,
      matchedObservables: payload.matchedObservables?.map((o: string) => o.replace(`198.18.${side.ipByte}.`, '198.18.x.')),
      recurrenceCount: payload.recurrenceCount,
      watchEndsAt: payload.watchEndsAt,
      to: payload.to,
    };
  }

  const canonicalOf = (side: Side, incidentId: string | null) => (incidentId === null ? null : (side.canonical.get(incidentId) ?? `unknown ${incidentId}`));

  async function play(steps: Step[], sideName: 'a' | 'b', tag: string, batch: boolean, base: number): Promise<Side> {
    const side: Side = { ns: `p${sideName}${tag}`, ipByte: sideName === 'a' ? 1 : 2, canonical: new Map(), outcomes: [], events: [], alertIds: [], assets: new Map() };
    const { ns } = side;
    // Hosts 0 and 1 are registered (0 critical, 1 low); 2 and 3 are not.
    for (const [h, criticality] of [[0, 'critical'], [1, 'low']] as const) {
      const id = randomUUID();
      side.assets.set(id, `asset-h${h}`);
      await db.query(
        `INSERT INTO triage.assets (id, identifier, name, hostnames, ips, criticality, data_classification) VALUES ($1, $2, $2, $3, '{}', $4, 'internal')`,
        [id, `${ns}-asset-${h}`, [`${ns}-h${h}`], criticality],
      );
    }
    // A suppression rule for host 3's info alerts, in force for the first two hours of the stream.
    await db.query(
      `INSERT INTO triage.suppression_rules (id, name, owner, reason, match, created_at, expires_at) VALUES ($1, 'property', 'u-property', 'noise', $2, $3, $4)`,
      [randomUUID(), JSON.stringify({ hostname: `${ns}-h3`, severities: ['info', 'low'] }), new Date(base - 60_000).toISOString(), new Date(base + 2 * 3_600_000).toISOString()],
    );

    let clock = base;
    let pending: RunItem[] = [];
    let pendingIndexes: number[] = [];
    const opened: number[] = []; // stream indexes of alerts that opened incidents, in order
    const idOf = (index: number) => [...side.canonical.entries()].find(([, c]) => c === index)?.[0];
    const flush = async () => {
      if (pending.length === 0) return;
      const items = pending;
      const indexes = pendingIndexes;
      pending = [];
      pendingIndexes = [];
      const place = async (part: RunItem[], at: number[]) => {
        const outcomes = await inTransaction(side, (manager) => placeRun(manager, part, settings));
        outcomes.forEach((outcome, n) => {
          side.outcomes.push({ index: at[n], outcome });
          if (outcome.disposition === 'attached' && outcome.opened) {
            side.canonical.set(outcome.incidentId, at[n]);
            opened.push(at[n]);
          }
        });
      };
      if (batch) await place(items, indexes);
      else for (let n = 0; n < items.length; n++) await place([items[n]], [indexes[n]]);
    };

    let last: AlertReceived | undefined;
    for (const [index, s] of steps.entries()) {
      if (s.op === 'alert') {
        clock += s.minutes * 60_000;
        const receivedAt = new Date(clock).toISOString();
        const alert: AlertReceived =
          s.again && last
            ? last
            : {
                alertId: randomUUID(),
                dedupKey: `${ns}-k${s.key}`,
                dedupNamespace: ns,
                title: `Property ${ns} ${s.key}`,
                source: 'edr',
                severity: s.severity,
                ...(s.category ? { category: s.category } : {}),
                occurredAt: new Date(clock - 30_000).toISOString(),
                receivedAt,
                labels: s.group === undefined ? {} : { 'alertmanager.groupKey': `${ns}-g${s.group}` },
                assets: [{ hostname: `${ns}-h${s.host}` }],
                observables: s.ip === undefined ? [] : [{ type: 'ip', value: `198.18.${side.ipByte}.${s.ip + 1}` }],
                exercise: false,
              };
        last = alert;
        side.alertIds[index] = alert.alertId;
        pending.push({ alert });
        pendingIndexes.push(index);
        continue;
      }
      if (s.op === 'cut' && batch) {
        await flush();
        continue;
      }
      if (s.op === 'days') {
        clock += s.days * 86_400_000;
        continue;
      }
      await flush();
      const live = [];
      for (const o of opened) {
        const id = idOf(o)!;
        const [row] = await db.query(`SELECT phase FROM triage.incidents WHERE id = $1`, [id]);
        if (!['merged', 'closed', 'false_positive'].includes(row.phase)) live.push({ o, id, phase: row.phase as string });
      }
      if (s.op === 'merge') {
        const open = live.filter((l) => l.phase === 'detected');
        if (open.length < 2) continue;
        const target = open[s.i % open.length];
        const other = open[(s.i + 1 + (s.j % (open.length - 1))) % open.length];
        // The analyst's merge, through its route. (Its events go out through the service's relay: the comparison
        // of events covers placement's; what the merge did is compared in the incidents and keys.)
        const res = await incidentAction(`${triage.url}/v1/incidents/${target.id}`, 'merge', { incidentIds: [other.id], reason: 'property' });
        expect(res.status).toBe(200);
      } else if (s.op === 'recover') {
        const open = live.filter((l) => l.phase === 'detected');
        if (open.length === 0) continue;
        const target = open[s.i % open.length];
        // The incident walked to recovery at the stream's time (a fixture: the lifecycle's rules are not what is tested here).
        await db.query(
          `UPDATE triage.incidents SET phase = 'recovered', version = version + 1, acknowledged_at = $2, contained_at = $2, eradicated_at = $2, recovered_at = $2,
                  recovery_watch_days = $3, owner = 'u-owner' WHERE id = $1`,
          [target.id, new Date(clock).toISOString(), s.watchDays],
        );
      }
    }
    await flush();
    return side;
  }

  async function finalState(side: Side) {
    const alerts: Array<{ alert_id: string; incident_id: string | null; disposition: string; correlated_by: string | null; suppression_rule_id: string | null }> = await db.query(
      `SELECT alert_id, incident_id, disposition, correlated_by, suppression_rule_id FROM triage.alerts WHERE alert_id = ANY($1::uuid[])`,
      [side.alertIds.filter(Boolean)],
    );
    const byAlert = new Map(alerts.map((a) => [a.alert_id, a]));
    const placements = side.alertIds.map((id, index) => {
      if (!id) return undefined;
      const a = byAlert.get(id)!;
      return { index, incident: canonicalOf(side, a.incident_id), disposition: a.disposition, correlatedBy: a.correlated_by, suppressed: a.suppression_rule_id !== null };
    });
    const ids = [...side.canonical.keys()];
    const incidents: any[] = await db.query(
      `SELECT i.id, i.phase, i.alert_count, i.severity, i.category, i.functional_impact, i.asset_criticality, i.occurred_at, i.detected_at, i.version,
              i.recurrence_count, i.last_recurrence_at, i.merged_into, tsvector_to_array(i.search) AS lexemes,
              (SELECT count(*)::int FROM triage.incident_assets a WHERE a.incident_id = i.id) AS assets,
              (SELECT coalesce(json_agg(json_build_object('kind', k.kind, 'key', k.key, 'seen', k.last_seen_at) ORDER BY k.kind, k.key), '[]') FROM triage.incident_keys k WHERE k.incident_id = i.id) AS keys
         FROM triage.incidents i WHERE i.id = ANY($1::uuid[])`,
      [ids],
    );
    const strip = (text: string) =>
      [...side.assets].reduce((t, [id, name]) => t.split(id).join(name), text.split(side.ns).join('NS').split(`198.18.${side.ipByte}.`).join('198.18.x.'));
    const shaped = incidents
      .map((i) => ({
        incident: canonicalOf(side, i.id),
        phase: i.phase,
        alertCount: i.alert_count,
        severity: i.severity,
        category: i.category,
        functionalImpact: i.functional_impact,
        assetCriticality: i.asset_criticality,
        occurredAt: i.occurred_at.toISOString(),
        detectedAt: i.detected_at.toISOString(),
        version: i.version,
        recurrenceCount: i.recurrence_count,
        lastRecurrenceAt: i.last_recurrence_at?.toISOString() ?? null,
        mergedInto: canonicalOf(side, i.merged_into),
        lexemes: (i.lexemes as string[]).map(strip).sort(),
        assets: i.assets,
        keys: (i.keys as Array<{ kind: string; key: string; seen: string }>).map((k) => `${k.kind} ${strip(k.key)} ${k.seen}`).sort(),
      }))
      .sort((x, y) => Number(x.incident) - Number(y.incident));
    const outcomes = side.outcomes.map(({ index, outcome }) => ({
      index,
      disposition: outcome.disposition,
      ...(outcome.disposition === 'attached' ? { incident: canonicalOf(side, outcome.incidentId), correlatedBy: outcome.correlatedBy, opened: outcome.opened } : {}),
    }));
    // Shaped at the end: an event may name an incident whose opening outcome was read after it.
    return { outcomes, placements, incidents: shaped, events: side.events.map((e) => eventShape(side, e.event_type, e.payload)) };
  }

  it('makes the same decisions, writes the same rows and publishes the same events as one-by-one placement (property)', async () => {
    let recurrences = 0;
    let suppressions = 0;
    let merges = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 40, size: 'max' }), async (steps) => {
        run += 1;
        const tag = letters(run + 26 * 26 * Math.floor(Math.random() * 1000));
        // Each run in its own stretch of time, long past the windows of the runs before it; far in the
        // future, so that what the analyst's merges publish stays out of other suites' weeks and alerting.
        const base = Date.parse('2200-01-01T00:00:00Z') + run * 60 * 86_400_000;
        const a = await play(steps, 'a', tag, true, base);
        const b = await play(steps, 'b', tag, false, base);
        const [sa, sb] = [await finalState(a), await finalState(b)];
        expect(sa.outcomes).toEqual(sb.outcomes);
        expect(sa.placements).toEqual(sb.placements);
        expect(sa.incidents).toEqual(sb.incidents);
        expect(sa.events).toEqual(sb.events);
        recurrences += sa.outcomes.filter((o) => o.correlatedBy === 'recurrence').length;
        suppressions += sa.outcomes.filter((o) => o.disposition === 'suppressed').length;
        merges += sa.incidents.filter((i) => i.phase === 'merged').length;
      }),
      // A fixed seed: the 40 streams then always include recurrences, suppressions and merges, which
      // random ones reach only most of the time (a CI run once drew no recurrence). PROPERTY_SEED
      // explores others; a failure prints the seed and path that reproduce it.
      { numRuns: 40, seed: Number(process.env.PROPERTY_SEED ?? 1) },
    );
    // The streams did reach what the comparison is about.
    expect(recurrences).toBeGreaterThan(0);
    expect(suppressions).toBeGreaterThan(0);
    expect(merges).toBeGreaterThan(0);
  }, 900_000);
});
