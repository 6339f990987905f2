import { randomUUID } from 'node:crypto';
import {
  as,
  caughtUp,
  createIntegration,
  eventually,
  http,
  incidentAction,
  SERVICES,
  startReceiver,
  startService,
  subscribedPartitions,
  withDatabase,
  type ServiceName,
  type ServiceProcess,
} from './support/harness';

/** The services that consume events; intake only produces them. */
const CONSUMING = ['triage', 'tasking', 'comms', 'reporting'] as const;
type Consuming = (typeof CONSUMING)[number];

/**
 * A digest of every table of every service, table by table: the number of rows and an MD5 of the
 * rows' text in a fixed order. Nothing is left out: a replay that the inboxes absorb entirely
 * changes no row anywhere, not even the inbox (its rows are keyed by the service's logical
 * consumer name, not the group) nor the outbox (no event is emitted again), nor the audit trail
 * (written by requests, not by consumers).
 */
async function digest(): Promise<Record<string, string>> {
  return withDatabase(async (db) => {
    const { rows: tables } = await db.query<{ schema: string; name: string }>(
      `SELECT table_schema AS schema, table_name AS name FROM information_schema.tables
        WHERE table_schema = ANY($1) AND table_type = 'BASE TABLE' ORDER BY 1, 2`,
      [[...SERVICES]],
    );
    const out: Record<string, string> = {};
    for (const t of tables) {
      const { rows } = await db.query<{ n: number; d: string | null }>(
        `SELECT count(*)::int AS n, md5(string_agg(md5(t::text), ',' ORDER BY md5(t::text))) AS d FROM "${t.schema}"."${t.name}" t`,
      );
      out[`${t.schema}.${t.name}`] = `${rows[0].n} rows ${rows[0].d ?? '-'}`;
    }
    return out;
  });
}

/**
 * Nothing on tasking's clocks falls due around the comparison: its SLA watcher and escalation
 * runner are clocks, not consumers, and a breach reported or a step run between the two digests
 * (a task of an incident another suite backdated, an escalation another suite left running) would
 * change the tables whatever the replay did. What is due now or within the next two minutes
 * (longer than the replay takes) must have happened first.
 */
async function nothingFallingDue(): Promise<boolean> {
  return withDatabase(async (db) => {
    const { rows } = await db.query(
      `SELECT 1 FROM tasking.tasks t LEFT JOIN tasking.incident_facts f USING (incident_id)
        WHERE t.status IN ('open', 'in_progress') AND t.sla_breached_at IS NULL AND t.due_at <= now() + interval '2 minutes'
          AND (f.phase IS NULL OR f.phase NOT IN ('closed', 'false_positive', 'merged'))
       UNION ALL
       SELECT 1 FROM tasking.escalations WHERE status = 'active' AND due_at <= now() + interval '2 minutes'
       LIMIT 1`,
    );
    return rows.length === 0;
  });
}

async function outboxesPublished(): Promise<boolean> {
  return withDatabase(async (db) => {
    for (const s of SERVICES) {
      const { rows } = await db.query(`SELECT 1 FROM "${s}".outbox WHERE published_at IS NULL LIMIT 1`);
      if (rows.length > 0) return false;
    }
    return true;
  });
}

/** `vigil_events_consumed_total` of one outcome, summed, from a service's /metrics. */
async function consumed(service: ServiceProcess, outcome: string): Promise<number> {
  const text = await fetch(`${service.url}/metrics`).then((r) => r.text());
  return text
    .split('\n')
    .filter((l) => l.startsWith('vigil_events_consumed_total') && l.includes(`outcome="${outcome}"`))
    .reduce((sum, l) => sum + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
}

/**
 * Replaying every topic from offset 0 into a fresh consumer group for each service leaves every
 * service's state as it was: each service's inbox (keyed by its logical consumer name, whatever
 * its group — CONSUMER_GROUP_ID) recognises every event it has applied.
 */
describe('replay from offset 0 into fresh consumer groups', () => {
  const services = {} as Record<ServiceName, ServiceProcess>;
  const replayed: ServiceProcess[] = [];
  let webhook: Awaited<ReturnType<typeof startReceiver>>;
  const run = randomUUID().slice(0, 8);

  const env = (name: ServiceName): Record<string, string> =>
    name === 'comms' ? { COMMS_WEBHOOK_URL: `${webhook.url}/ir-team`, COMMS_WEBHOOK_SECRET: 'a-test-secret-of-some-length' } : {};

  beforeAll(async () => {
    webhook = await startReceiver(() => 204);
    for (const name of SERVICES) services[name] = await startService(name, env(name));
  }, 300_000);

  afterAll(async () => {
    await Promise.all([...Object.values(services), ...replayed].map((s) => s.stop()));
    await webhook?.close();
  });

  /** A realistic stretch of work: four formats, new, repeated and correlated alerts, a resolution, analysts at work. */
  async function traffic() {
    const intake = services.intake.url;
    const keys = {
      canonical: (await createIntegration(intake, 'canonical')).apiKey,
      alertmanager: (await createIntegration(intake, 'alertmanager')).apiKey,
      pagerduty: (await createIntegration(intake, 'pagerduty')).apiKey,
      ocsf: (await createIntegration(intake, 'ocsf')).apiKey,
    };
    const post = async (path: string, body: unknown, key?: string) => {
      const res = await http('POST', `${intake}${path}`, body, key ? { authorization: `Bearer ${key}` } : { authorization: '' });
      expect(res.status).toBe(202);
      return res.json;
    };
    const dedupKeys: string[] = [];
    for (let n = 0; n < 8; n++) {
      const host = `replay-${run}-${n}.example`;
      const ip = `198.51.100.${n + 1}`;
      for (let i = 0; i < 6; i++) {
        const key = `replay-${run}-${n}-${i}`;
        const severity = (['low', 'medium', 'high', 'critical'] as const)[(n + i) % 4];
        switch (i % 4) {
          case 0:
            dedupKeys.push((await post('/v1/alerts', { title: `Replay ${n} on ${host}`, source: 'edr', severity, category: 'malware', dedupKey: key, assets: [{ hostname: host }], observables: [{ type: 'ip', value: ip }] }, keys.canonical)).dedupKey);
            break;
          case 1:
            await post('/v1/integrations/alertmanager', {
              version: '4', status: 'firing', receiver: 'vigil', groupKey: `{}:{alertname="Replay${run}${n}"}`, truncatedAlerts: 0,
              alerts: [{ status: 'firing', labels: { alertname: `Replay${run}${n}`, instance: host, severity: 'critical' }, annotations: { summary: `Replay ${n}` }, startsAt: new Date().toISOString(), endsAt: '0001-01-01T00:00:00Z', fingerprint: key }],
            }, keys.alertmanager);
            break;
          case 2:
            await post('/v1/integrations/pagerduty/enqueue', { routing_key: keys.pagerduty, event_action: 'trigger', dedup_key: key, payload: { summary: `Replay ${n} from ${ip}`, source: host, severity: 'error' } });
            break;
          case 3:
            await post('/v1/integrations/ocsf', {
              class_uid: 2004, activity_id: 1, severity_id: 4, time: Date.now(), finding_info: { uid: key, title: `Replay ${n}` },
              metadata: { product: { name: 'Replay EDR' }, version: '1.3.0' }, device: { hostname: host, ip },
            }, keys.ocsf);
            break;
        }
      }
      // Repeats: one more occurrence of the first alert of the host.
      await post('/v1/alerts', { title: `Replay ${n} on ${host}`, source: 'edr', severity: 'low', category: 'malware', dedupKey: `replay-${run}-${n}-0`, assets: [{ hostname: host }] }, keys.canonical);
    }
    // A source resolves one of its alerts.
    await post('/v1/integrations/pagerduty/enqueue', { routing_key: keys.pagerduty, event_action: 'resolve', dedup_key: `replay-${run}-0-2` });
    return dedupKeys;
  }

  /** Analysts at work on the first incident (once its alerts have stopped changing it): acknowledge it, write a note. */
  async function analysts(dedupKeys: string[]) {
    const incident = await eventually(async () => {
      // Through the alert: which of the host's alerts opened its incident depends on the order partitions are read in.
      const res = await http('GET', `${services.triage.url}/v1/alerts?dedupKey=${encodeURIComponent(dedupKeys[0])}`);
      const alert = res.json?.items?.[0] as { incidentId?: string } | undefined;
      return alert?.incidentId ? { incidentId: alert.incidentId } : undefined;
    }, 60_000);
    const path = `${services.triage.url}/v1/incidents/${incident.incidentId}`;
    const alice = await as('alice');
    expect((await incidentAction(path, 'acknowledge', {}, alice)).status).toBeLessThan(300);
    expect((await http('POST', `${path}/notes`, { body: `Replay test ${run}: looking into it` }, alice)).status).toBeLessThan(300);
  }

  /** Settled: every outbox published, every default group at the end of what it reads, twice in a row. */
  async function settled(groups: Record<Consuming, string>, partitions: Record<Consuming, string[]>) {
    let calm = 0;
    await eventually(async () => {
      const ok =
        (await outboxesPublished()) && (await nothingFallingDue()) && (await Promise.all(CONSUMING.map((s) => caughtUp(groups[s], partitions[s])))).every(Boolean);
      calm = ok ? calm + 1 : 0;
      return calm >= 3 ? true : undefined;
    }, 300_000, 1000);
  }

  it('leaves every table of every service unchanged', async () => {
    const dedupKeys = await traffic();
    const defaults = Object.fromEntries(CONSUMING.map((s) => [s, `vigil-${s}`])) as Record<Consuming, string>;
    // What each service reads: every partition of the topics its group's members subscribe to. (Not
    // the partitions its group has committed so far: a group that earlier suites left with commits on
    // some partitions would then be "caught up" while it still reads the others from the start.)
    const partitions = {} as Record<Consuming, string[]>;
    await eventually(async () => {
      for (const s of CONSUMING) partitions[s] = await subscribedPartitions(defaults[s]);
      const idle = CONSUMING.filter((s) => partitions[s].length === 0);
      if (idle.length > 0) throw new Error(`no subscription yet in ${idle.map((s) => defaults[s]).join(', ')}`);
      return true;
    }, 120_000, 1000);
    await settled(defaults, partitions);
    await analysts(dedupKeys);
    await settled(defaults, partitions);
    const before = await digest();
    expect(Object.keys(before).length).toBeGreaterThan(20);
    expect(before['triage.alerts']).not.toMatch(/^0 rows/);

    // The consuming services again, each in a group of its own that has never committed anything.
    for (const s of CONSUMING) await services[s].stop();
    const fresh = Object.fromEntries(CONSUMING.map((s) => [s, `vigil-${s}-replay-${run}`])) as Record<Consuming, string>;
    for (const s of CONSUMING) {
      const p = await startService(s, { ...env(s), CONSUMER_GROUP_ID: fresh[s] });
      replayed.push(p);
      services[s] = p;
    }
    await settled(fresh, partitions);
    const after = await digest();
    const changed = Object.keys({ ...before, ...after }).filter((t) => before[t] !== after[t]).map((t) => `${t}: ${before[t]} → ${after[t]}`);
    expect(changed).toEqual([]);
    // Every service did read the topics again, and its inbox recognised what it had applied.
    for (const s of CONSUMING) expect(await consumed(services[s], 'duplicate')).toBeGreaterThan(0);
  }, 600_000);
});
