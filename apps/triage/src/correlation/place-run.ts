import {
  IncidentAlertAttachedV1,
  IncidentOpenedV1,
  IncidentRecurrenceDetectedV1,
  type AlertSeverity,
  type CorrelationReason,
  type SuppressionMatch,
} from '@vigil/contracts';
import { outboxInsertSql, statementBuilder, writeTogetherSql, type OutboxItem } from '@vigil/messaging';
import { randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
// The matching itself, not the register's HTTP API (index.ts): placement stays free of the web framework.
import { assetLookupOf, mostCritical, smallestRecoveryTimeObjective, type AssetLookup, type RegisteredAsset } from '../assets/match-assets';
import { functionalImpactFromAlert, isBelow, severityOf, type SeverityMatrix } from '../classification/severity-matrix';
import { applyOccurrence, incidentEvent, occurrencesUpdateSql } from '../incidents/incident-writes';
import { MAX_INCIDENT_LEXEMES, alertSearchTerms, incidentSearchLexemes, termLexemes } from '../incidents/search/search-text';
import { TERMINAL_PHASES } from '../lifecycle/phases';
import { Incident } from '../persistence/incident.entity';
import { correlationKeys, KEY_PRIORITY, referencedIncident, type CorrelationKey, type CorrelationRule, type KeyKind } from './correlation-keys';
import { RULE_ORDER } from './rules/correlation-rules';
import { suppressionMatches, SUPPRESSION_ORDER } from './suppression';
import type { AlertReceived, Promotion, TriageOutcome } from './triage-alert';

/** What placement decides with, from the service's configuration. */
export interface PlacementSettings {
  matrix: SeverityMatrix;
  openFrom: AlertSeverity;
  /** Days of recovery watch for an incident that sets none. */
  recoveryWatchDays: number;
}

export interface RunItem {
  alert: AlertReceived;
  promotion?: Promotion;
}

/** Phases in which an incident is watched for recurrences (until it closes). */
export const WATCHED_PHASES = ['recovered', 'post_incident'] as const;
const DAY_MS = 86_400_000;

/**
 * Places a run of alerts, in order, in the caller's transaction, deciding exactly as placing them
 * one by one would: each alert sees what the alerts before it in the run did (an incident opened,
 * keys registered, assets linked). Placing one alert is a run of one.
 *
 * Set-wise, the cost per run is fixed, not per alert: one read of the context (suppression rules,
 * correlation rules, assets of every alert), one statement taking every key lock in one order, one
 * read of the incidents those keys (and references and recovery watches) lead to, locked, then the
 * decisions in memory, and one statement writing the alerts, keys, asset links, new incidents, one
 * update per touched incident, suppression counts and the events.
 *
 * An alert id twice in one run (a redelivered alert beside its first delivery) splits the run: a
 * row can be written only once per statement, and the second placement must see the first.
 *
 * `alsoLock`: incidents the caller will change later in the same transaction (the incidents of the
 * run's repeats), locked in the same statement as the first candidates. Row locks taken in two
 * rounds — the candidates, then the repeats' incidents — deadlocked two partitions' runs that met
 * on the same busy incidents in opposite orders; one sorted statement cannot.
 */
export async function placeRun(
  manager: EntityManager,
  items: readonly RunItem[],
  settings: PlacementSettings,
  { alsoLock = [] }: { alsoLock?: readonly string[] } = {},
): Promise<TriageOutcome[]> {
  const outcomes: TriageOutcome[] = [];
  let part: RunItem[] = [];
  const ids = new Set<string>();
  let extra = alsoLock;
  const place = async () => {
    outcomes.push(...(await placePart(manager, part, settings, extra)));
    extra = [];
  };
  for (const item of items) {
    if (ids.has(item.alert.alertId)) {
      await place();
      part = [];
      ids.clear();
    }
    part.push(item);
    ids.add(item.alert.alertId);
  }
  if (part.length) await place();
  return outcomes;
}

/** Microseconds since the epoch of an ISO timestamp, keeping digits past the millisecond (as PostgreSQL compares). */
export function microsOf(iso: string): number {
  const fraction = /\.(\d+)/.exec(iso)?.[1] ?? '';
  return Date.parse(iso) * 1000 + Number((fraction.padEnd(6, '0')).slice(3, 6));
}
const microsSql = (column: string) => `(extract(epoch from ${column}) * 1000000)::bigint::text`;

interface RunContext {
  suppression: Array<{ id: string; match: SuppressionMatch; createdUs: number; expiresUs: number; revokedUs: number | null }>;
  rules: CorrelationRule[];
  /** Every registered asset any alert of the run names, in the order one alert's lookup would list them. */
  assets: RegisteredAsset[];
}

/** The suppression rules in force at some time of the run, the correlation rules and the run's assets: one statement. */
async function readRunContext(manager: EntityManager, alerts: readonly AlertReceived[], lookups: readonly AssetLookup[], checkSuppression: boolean): Promise<RunContext> {
  const received = alerts.map((a) => a.receivedAt).sort();
  const [row]: Array<{
    suppression: Array<{ id: string; match: SuppressionMatch; created: string; expires: string; revoked: string | null }> | null;
    rules: CorrelationRule[];
    assets: RegisteredAsset[];
  }> = await manager.query(
    `SELECT
       CASE WHEN $1 THEN (SELECT coalesce(json_agg(json_build_object('id', id, 'match', match, 'created', ${microsSql('created_at')},
                                                    'expires', ${microsSql('expires_at')}, 'revoked', ${microsSql('revoked_at')}) ORDER BY ${SUPPRESSION_ORDER}), '[]')
                            FROM triage.suppression_rules
                           WHERE created_at <= $3::timestamptz AND expires_at > $2::timestamptz AND (revoked_at IS NULL OR revoked_at > $2::timestamptz)) END AS suppression,
       (SELECT json_agg(json_build_object('kind', kind, 'enabled', enabled, 'windowSeconds', window_seconds, 'observableTypes', observable_types)
                        ORDER BY ${RULE_ORDER})
          FROM triage.correlation_rules) AS rules,
       (SELECT coalesce(json_agg(json_build_object('assetId', id, 'identifier', identifier, 'name', name, 'criticality', criticality,
                                                   'dataClassification', data_classification, 'owner', owner, 'businessService', business_service,
                                                   'recoveryTimeObjectiveMinutes', recovery_time_objective_minutes, 'hostnames', hostnames, 'ips', ips)
                                 ORDER BY CASE criticality WHEN 'critical' THEN 4 WHEN 'high' THEN 3 WHEN 'medium' THEN 2 ELSE 1 END DESC, lower(identifier)), '[]')
          FROM triage.assets WHERE lower(identifier) = ANY($4::text[]) OR hostnames && $5::text[] OR ips && $6::text[]) AS assets`,
    [
      checkSuppression,
      received[0],
      received[received.length - 1],
      [...new Set(lookups.flatMap((l) => l.identifiers))],
      [...new Set(lookups.flatMap((l) => l.hostnames))],
      [...new Set(lookups.flatMap((l) => l.ips))],
    ],
  );
  return {
    suppression: (row.suppression ?? []).map((r) => ({
      id: r.id,
      match: r.match,
      createdUs: Number(r.created),
      expiresUs: Number(r.expires),
      revokedUs: r.revoked === null ? null : Number(r.revoked),
    })),
    rules: row.rules,
    assets: row.assets,
  };
}

/** The registered assets one alert's lookup finds, as `matchAssets` would order them (the run's list is in that order). */
function assetsOf(all: readonly RegisteredAsset[], lookup: AssetLookup): RegisteredAsset[] {
  return all.filter(
    (a) => lookup.identifiers.includes(a.identifier.toLowerCase()) || a.hostnames.some((h) => lookup.hostnames.includes(h)) || a.ips.some((ip) => lookup.ips.includes(ip)),
  );
}

/** An incident placement may touch: locked, with what the run adds to it. */
interface Known {
  incident: Incident;
  isNew: boolean;
  /** Its search lexemes (null: it has no document). */
  lexemes: Set<string> | null;
  /** Lexemes this run adds to an existing incident's document. */
  added: Set<string>;
  /** Its registered assets and observable keys among those the run names (what a recurrence matches). */
  assets: Set<string>;
  observables: Set<string>;
  touched: boolean;
}

const keyId = (kind: KeyKind, key: string) => `${kind}\u0000${key}`;

/**
 * The incidents the run's keys, references and recovery watches lead to, locked, with the key
 * sightings that lead to them.
 *
 * The lookup reads without locking, and an analyst may merge or close an incident it finds before
 * its row lock is granted: merge and transition lock incident rows, not keys. So the phase is
 * checked again under the lock, and an incident that became final meanwhile is passed over and the
 * lookup runs again. Being a new statement, it sees what that change committed: a merge has moved
 * the keys to its target, which is found next; a closed incident no longer qualifies, and the
 * alert goes to the next candidate or opens an incident. Each incident is passed over at most once
 * and a final phase is final, so this ends. (A passed-over incident stays locked until commit, as
 * row locks do; being final, only a change that will be refused can be waiting for it.)
 *
 * Taking the key locks in merge and close instead was the other way: it would make every close lock
 * all of the incident's keys (thousands, for a noisy one), and a merge would have to lock them
 * before the incident rows, as placements do, yet can only read them once it holds those rows.
 * Checking again under the lock costs nothing when nothing raced.
 *
 * The run locks every candidate, not only the ones it joins: the decisions are made afterwards, in
 * memory, and must not meet an incident that changed in between.
 */
async function readCandidates(
  manager: EntityManager,
  keys: readonly CorrelationKey[],
  referenced: readonly string[],
  assetIds: readonly string[],
  observableKeys: readonly string[],
  earliestReceived: string,
  defaultWatchDays: number,
  alsoLock: readonly string[],
): Promise<{ known: Map<string, Known>; seen: Map<string, Map<string, number>> }> {
  const known = new Map<string, Known>();
  const passedOver: string[] = [];
  // Locked with the first round's candidates, in its one sorted statement; candidates only if the lookup leads to them.
  let extra = new Set(alsoLock);
  for (;;) {
    const rows: Array<{ src: 'key' | 'ref' | 'asset' | 'observable'; kind: string | null; key: string | null; incident_id: string; seen: string | null }> =
      await manager.query(
        `WITH wanted(kind, key, since) AS (SELECT * FROM unnest($1::text[], $2::text[], $11::timestamptz[]))
         SELECT 'key' AS src, k.kind, k.key, k.incident_id, ${microsSql('k.last_seen_at')} AS seen
           FROM wanted w
           JOIN triage.incident_keys k ON k.kind = w.kind AND k.key = w.key AND (w.since IS NULL OR k.last_seen_at >= w.since)
           JOIN triage.incidents i ON i.id = k.incident_id AND i.phase <> ALL($4::text[]) AND i.id <> ALL($5::uuid[])
         UNION ALL
         SELECT 'ref', NULL, NULL, i.id, NULL FROM triage.incidents i WHERE i.id = ANY($3::uuid[]) AND i.phase <> ALL($4::text[]) AND i.id <> ALL($5::uuid[])
         UNION ALL
         SELECT 'asset', NULL, ia.asset_id::text, i.id, NULL
           FROM triage.incident_assets ia
           JOIN triage.incidents i ON i.id = ia.incident_id AND i.phase = ANY($8::text[]) AND i.id <> ALL($5::uuid[])
                AND i.recovered_at + make_interval(days => coalesce(i.recovery_watch_days, $7::int) + 1) > $6::timestamptz
          WHERE ia.asset_id = ANY($9::uuid[])
         UNION ALL
         SELECT 'observable', NULL, k.key, i.id, NULL
           FROM triage.incident_keys k
           JOIN triage.incidents i ON i.id = k.incident_id AND i.phase = ANY($8::text[]) AND i.id <> ALL($5::uuid[])
                AND i.recovered_at + make_interval(days => coalesce(i.recovery_watch_days, $7::int) + 1) > $6::timestamptz
          WHERE k.kind = 'observable' AND k.key = ANY($10::text[])`,
        [
          keys.map((k) => k.kind),
          keys.map((k) => k.key),
          referenced,
          TERMINAL_PHASES,
          passedOver,
          earliestReceived,
          defaultWatchDays,
          WATCHED_PHASES,
          assetIds,
          observableKeys,
          keys.map((k) => k.since?.toISOString() ?? null),
        ],
      );
    const fresh = [...new Set(rows.map((r) => r.incident_id))].filter((id) => !known.has(id));
    let final = false;
    if (fresh.length || extra.size) {
      const candidates = new Set(fresh);
      const { raw, entities } = await manager
        .createQueryBuilder(Incident, 'i')
        .addSelect('tsvector_to_array(i.search)', 'lexemes')
        .setLock('for_no_key_update')
        .where('i.id IN (:...ids)', { ids: [...new Set([...fresh, ...extra])] })
        .orderBy('i.id')
        .getRawAndEntities<{ i_id: string; lexemes: string[] | null }>();
      extra = new Set();
      const lexemesById = new Map(raw.map((r) => [r.i_id, r.lexemes]));
      for (const incident of entities) {
        if (!candidates.has(incident.id)) continue;
        if (TERMINAL_PHASES.includes(incident.phase)) {
          // Merged or closed between the read and the lock: passed over, and the keys read again.
          passedOver.push(incident.id);
          final = true;
          continue;
        }
        const lexemes = lexemesById.get(incident.id);
        known.set(incident.id, {
          incident,
          isNew: false,
          lexemes: lexemes ? new Set(lexemes) : null,
          added: new Set(),
          assets: new Set(),
          observables: new Set(),
          touched: false,
        });
      }
    }
    if (final) continue;
    const seen = new Map<string, Map<string, number>>();
    for (const r of rows) {
      const k = known.get(r.incident_id);
      if (!k) continue;
      if (r.src === 'key') {
        const id = keyId(r.kind as KeyKind, r.key as string);
        const bySeen = seen.get(id) ?? new Map<string, number>();
        bySeen.set(r.incident_id, Number(r.seen));
        seen.set(id, bySeen);
      } else if (r.src === 'asset') k.assets.add(r.key as string);
      else if (r.src === 'observable') k.observables.add(r.key as string);
    }
    return { known, seen };
  }
}

/** Transaction-scoped advisory locks on the keys, taken in one order so that they never deadlock. */
export async function lockKeys(manager: EntityManager, keys: readonly CorrelationKey[]): Promise<void> {
  if (keys.length === 0) return;
  await manager.query(
    `SELECT pg_advisory_xact_lock(h) FROM (SELECT DISTINCT hashtextextended(k, 7301) AS h FROM unnest($1::text[]) AS k ORDER BY 1) AS ordered`,
    [keys.map((k) => `${k.kind}|${k.key}`)],
  );
}

/** Monotonic creation times, so that incidents opened in one run keep their order (the oldest wins a tie). */
let lastCreated = 0;
function creationTime(): Date {
  lastCreated = Math.max(Date.now(), lastCreated + 1);
  return new Date(lastCreated);
}

function olderFirst(a: Incident, b: Incident): number {
  return a.createdAt.getTime() - b.createdAt.getTime() || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

interface Planned {
  alert: AlertReceived;
  promotion?: Promotion;
  suppressionRuleId?: string;
  assets: RegisteredAsset[];
  keys: CorrelationKey[];
  referenced?: string;
}

async function placePart(manager: EntityManager, items: readonly RunItem[], settings: PlacementSettings, alsoLock: readonly string[]): Promise<TriageOutcome[]> {
  const alerts = items.map((i) => i.alert);
  const lookups = alerts.map((a) => assetLookupOf(a.assets));
  // A promoted alert was suppressed by nothing when it arrived: only new ones are checked.
  const context = await readRunContext(manager, alerts, lookups, items.some((i) => !i.promotion));
  const referenceRule = context.rules.find((r) => r.kind === 'reference')?.enabled;

  const planned: Planned[] = items.map(({ alert, promotion }, n) => {
    if (!promotion) {
      const at = microsOf(alert.receivedAt);
      const rule = context.suppression.find(
        (r) => r.createdUs <= at && r.expiresUs > at && (r.revokedUs === null || r.revokedUs > at) && suppressionMatches(r.match, alert),
      );
      if (rule) return { alert, suppressionRuleId: rule.id, assets: [], keys: [] };
    }
    const assets = assetsOf(context.assets, lookups[n]);
    const keys = correlationKeys(
      alert,
      context.rules,
      assets.map((a) => a.assetId),
    );
    return { alert, promotion, assets, keys, referenced: referenceRule ? referencedIncident(alert) : undefined };
  });

  const placing = planned.filter((p) => !p.suppressionRuleId);
  const allKeys = new Map<string, CorrelationKey>();
  // Each key once, with the earliest sighting any alert of the run accepts (the lookup reads a superset; each alert then applies its own window).
  for (const p of placing) {
    for (const k of p.keys) {
      const had = allKeys.get(keyId(k.kind, k.key));
      const since = !had || had.since === null || k.since === null ? (had ? null : k.since) : had.since < k.since ? had.since : k.since;
      allKeys.set(keyId(k.kind, k.key), { ...k, since });
    }
  }
  const keys = [...allKeys.values()];
  await lockKeys(manager, keys);

  const { known, seen } = placing.length
    ? await readCandidates(
        manager,
        keys,
        [...new Set(placing.flatMap((p) => (p.referenced ? [p.referenced] : [])))],
        [...new Set(placing.flatMap((p) => p.assets.map((a) => a.assetId)))],
        [...new Set(keys.filter((k) => k.kind === 'observable').map((k) => k.key))],
        placing.map((p) => p.alert.receivedAt).sort()[0],
        settings.recoveryWatchDays,
        alsoLock,
      )
    : { known: new Map<string, Known>(), seen: new Map<string, Map<string, number>>() };

  const outcomes: TriageOutcome[] = [];
  const alertRows: unknown[] = [];
  const events: OutboxItem[] = [];
  const suppressed = new Map<string, { count: number; lastUs: number; last: string }>();
  const keyRows = new Map<string, { kind: KeyKind; key: string; incident_id: string; seen: number; last_seen_at: string }>();
  const links = new Map<string, { incident_id: string; asset_id: string }>();

  const alertRow = (alert: AlertReceived, disposition: string, incidentId: string | null, correlatedBy: CorrelationReason | null, suppressionRuleId: string | null) =>
    alertRows.push({
      alert_id: alert.alertId,
      incident_id: incidentId,
      dedup_key: alert.dedupKey,
      title: alert.title,
      source: alert.source,
      severity: alert.severity,
      occurred_at: alert.occurredAt,
      received_at: alert.receivedAt,
      disposition,
      correlated_by: correlatedBy,
      suppression_rule_id: suppressionRuleId,
      category: alert.category ?? null,
      exercise: alert.exercise,
      data: alert,
    });

  for (const p of planned) {
    const { alert, promotion } = p;
    if (p.suppressionRuleId) {
      const at = microsOf(alert.receivedAt);
      const s = suppressed.get(p.suppressionRuleId);
      if (!s) suppressed.set(p.suppressionRuleId, { count: 1, lastUs: at, last: alert.receivedAt });
      else {
        s.count += 1;
        if (at > s.lastUs) Object.assign(s, { lastUs: at, last: alert.receivedAt });
      }
      alertRow(alert, 'suppressed', null, null, p.suppressionRuleId);
      outcomes.push({ disposition: 'suppressed', ruleId: p.suppressionRuleId });
      continue;
    }
    const assetIds = p.assets.map((a) => a.assetId);
    const received = microsOf(alert.receivedAt);
    const target = joinable(p, known, seen);
    const terms = alertSearchTerms(alert, p.assets);
    const occurrence = {
      severity: alert.severity,
      category: alert.category ?? null,
      occurredAt: alert.occurredAt,
      receivedAt: alert.receivedAt,
      assetCriticality: mostCritical(p.assets),
      recoveryTimeObjectiveMinutes: smallestRecoveryTimeObjective(p.assets),
      count: promotion?.occurrences ?? 1,
    };
    const alertRef = { alertId: alert.alertId, dedupKey: alert.dedupKey, title: alert.title, source: alert.source, receivedAt: alert.receivedAt };

    let k: Known;
    let correlatedBy: CorrelationReason;
    let opened = false;
    const recurrence = !target && !promotion && !isBelow(alert.severity, settings.openFrom) ? watchedIncident(p, known, settings) : undefined;
    if (target || recurrence) {
      k = (target ?? recurrence)!.known;
      correlatedBy = target ? target.reason : 'recurrence';
      applyOccurrence(k.incident, occurrence, settings.matrix);
      extendLexemes(k, termLexemes(terms));
      if (recurrence) {
        k.incident.recurrenceCount = (k.incident.recurrenceCount ?? 0) + 1;
        const at = new Date(alert.receivedAt);
        if (!k.incident.lastRecurrenceAt || at > k.incident.lastRecurrenceAt) k.incident.lastRecurrenceAt = at;
      }
      events.push(incidentEvent(IncidentAlertAttachedV1, k.incident, { alert: alertRef, correlatedBy, ...(promotion ? { actor: promotion.actor } : {}) }));
      if (recurrence) {
        const i = k.incident;
        events.push(
          incidentEvent(IncidentRecurrenceDetectedV1, i, {
            incidentId: i.id,
            owner: i.owner,
            alert: alertRef,
            matchedAssetIds: recurrence.assetIds,
            matchedObservables: recurrence.observables,
            recurrenceCount: i.recurrenceCount,
            watchEndsAt: new Date(recurrence.watchEndsMs).toISOString(),
          }),
        );
      }
    } else if (!promotion && isBelow(alert.severity, settings.openFrom)) {
      alertRow(alert, 'pending', null, null, null);
      outcomes.push({ disposition: 'pending' });
      continue;
    } else {
      const now = creationTime();
      const classification = {
        category: alert.category ?? 'other',
        functionalImpact: functionalImpactFromAlert(alert.severity),
        informationImpact: 'none' as const,
        recoverability: 'regular' as const,
        assetCriticality: occurrence.assetCriticality,
      };
      const incident = manager.create(Incident, {
        id: randomUUID(),
        dedupKey: alert.dedupKey,
        title: alert.title,
        ...classification,
        severity: severityOf(classification, settings.matrix),
        classifiedBy: null,
        phase: 'detected',
        exercise: alert.exercise,
        alertCount: occurrence.count,
        version: 1,
        owner: null,
        responders: [],
        mergedInto: null,
        restricted: false,
        clockNotes: {},
        occurredAt: new Date(alert.occurredAt),
        detectedAt: new Date(alert.receivedAt),
        declaredAt: now,
        acknowledgedAt: null,
        containedAt: null,
        eradicatedAt: null,
        recoveredAt: null,
        closedAt: null,
        recurrenceCount: 0,
        lastRecurrenceAt: null,
        recoveryWatchDays: null,
        recoveryTimeObjectiveMinutes: occurrence.recoveryTimeObjectiveMinutes,
        createdAt: now,
        updatedAt: now,
      });
      k = {
        incident,
        isNew: true,
        lexemes: new Set(incidentSearchLexemes(alert.title, alert.dedupKey, terms)),
        added: new Set(),
        assets: new Set(),
        observables: new Set(),
        touched: true,
      };
      known.set(incident.id, k);
      correlatedBy = promotion ? 'promoted' : 'opened';
      opened = true;
      events.push(incidentEvent(IncidentOpenedV1, incident, { alert: alertRef, ...(promotion ? { promotedBy: promotion.actor } : {}) }));
    }
    k.touched = true;
    const incidentId = k.incident.id;
    // What the alerts after it in the run see: the incident answers to its keys, has its assets.
    for (const key of p.keys) {
      const id = keyId(key.kind, key.key);
      const bySeen = seen.get(id) ?? new Map<string, number>();
      bySeen.set(incidentId, Math.max(bySeen.get(incidentId) ?? -Infinity, received));
      seen.set(id, bySeen);
      const row = keyRows.get(`${id}\u0000${incidentId}`);
      if (!row) keyRows.set(`${id}\u0000${incidentId}`, { kind: key.kind, key: key.key, incident_id: incidentId, seen: received, last_seen_at: alert.receivedAt });
      else if (received > row.seen) Object.assign(row, { seen: received, last_seen_at: alert.receivedAt });
      if (key.kind === 'observable') k.observables.add(key.key);
    }
    for (const assetId of assetIds) {
      links.set(`${incidentId}\u0000${assetId}`, { incident_id: incidentId, asset_id: assetId });
      k.assets.add(assetId);
    }
    alertRow(alert, 'attached', incidentId, correlatedBy, null);
    outcomes.push({ disposition: 'attached', incidentId, correlatedBy, opened });
  }

  await writeRun(manager, { alertRows, events, suppressed, keyRows: [...keyRows.values()], links: [...links.values()], known: [...known.values()].filter((k) => k.touched) });
  return outcomes;
}

/** What `extendSearchSet` does to the document, in memory: the lexemes join while it has room, if one is new. */
function extendLexemes(k: Known, lexemes: readonly string[]): void {
  if (!k.lexemes || lexemes.length === 0) return;
  if (k.lexemes.size >= MAX_INCIDENT_LEXEMES || lexemes.every((l) => k.lexemes!.has(l))) return;
  for (const l of lexemes) {
    k.lexemes.add(l);
    if (!k.isNew) k.added.add(l);
  }
}

/**
 * The open incident the alert joins: the one it references (open, of its kind), else the one it
 * shares its most specific key with within that key's window, the oldest on a tie — as
 * `joinableIncident` finds it in the database, from what the database held plus what the run did.
 */
function joinable(p: Planned, known: Map<string, Known>, seen: Map<string, Map<string, number>>): { known: Known; reason: CorrelationReason } | undefined {
  const open = (k: Known | undefined) => k && !TERMINAL_PHASES.includes(k.incident.phase) && k.incident.exercise === p.alert.exercise;
  if (p.referenced) {
    const k = known.get(p.referenced);
    if (open(k)) return { known: k!, reason: 'reference' };
  }
  const hits: Array<{ known: Known; kind: KeyKind }> = [];
  for (const key of p.keys) {
    const since = key.since ? key.since.getTime() * 1000 : null;
    for (const [incidentId, seenAt] of seen.get(keyId(key.kind, key.key)) ?? []) {
      const k = known.get(incidentId);
      if (open(k) && (since === null || seenAt >= since)) hits.push({ known: k!, kind: key.kind });
    }
  }
  hits.sort((a, b) => olderFirst(a.known.incident, b.known.incident));
  for (const kind of KEY_PRIORITY) {
    const hit = hits.find((h) => h.kind === kind);
    if (hit) return { known: hit.known, reason: kind };
  }
  return undefined;
}

/**
 * The recovered incident an alert that would open a new incident recurs on: one in `recovered` or
 * `post_incident`, of the alert's kind, whose watch (recoveredAt + its days, else the default) had
 * not ended when the alert was received, and which has one of the alert's registered assets or
 * observables. The most recently recovered wins, then the oldest.
 */
function watchedIncident(
  p: Planned,
  known: Map<string, Known>,
  settings: PlacementSettings,
): { known: Known; assetIds: string[]; observables: string[]; watchEndsMs: number } | undefined {
  const received = Date.parse(p.alert.receivedAt);
  const observableKeys = p.keys.filter((k) => k.kind === 'observable').map((k) => k.key);
  let best: { known: Known; assetIds: string[]; observables: string[]; watchEndsMs: number } | undefined;
  for (const k of known.values()) {
    const i = k.incident;
    if (!(WATCHED_PHASES as readonly string[]).includes(i.phase) || i.exercise !== p.alert.exercise || !i.recoveredAt) continue;
    const watchEndsMs = i.recoveredAt.getTime() + (i.recoveryWatchDays ?? settings.recoveryWatchDays) * DAY_MS;
    if (received >= watchEndsMs) continue;
    const assetIds = p.assets.map((a) => a.assetId).filter((id) => k.assets.has(id));
    const observables = observableKeys.filter((key) => k.observables.has(key));
    if (assetIds.length === 0 && observables.length === 0) continue;
    if (
      !best ||
      i.recoveredAt.getTime() > best.known.incident.recoveredAt!.getTime() ||
      (i.recoveredAt.getTime() === best.known.incident.recoveredAt!.getTime() && olderFirst(i, best.known.incident) < 0)
    ) {
      best = { known: k, assetIds, observables: observables.map(observableOf), watchEndsMs };
    }
  }
  return best;
}

/** An observable key (`real|ip:10.0.0.1`, possibly bounded) as `type:value`. */
const observableOf = (key: string) => key.slice(key.indexOf('|') + 1);

/** Everything the run decided, in one statement. */
async function writeRun(
  manager: EntityManager,
  run: {
    alertRows: unknown[];
    events: OutboxItem[];
    suppressed: Map<string, { count: number; last: string }>;
    keyRows: Array<{ kind: string; key: string; incident_id: string; last_seen_at: string }>;
    links: Array<{ incident_id: string; asset_id: string }>;
    known: Known[];
  },
): Promise<void> {
  const { bind, params } = statementBuilder();
  const writes: string[] = [];
  const created = run.known.filter((k) => k.isNew);
  const changed = run.known.filter((k) => !k.isNew);
  if (created.length) {
    const columns = manager.connection.getMetadata(Incident).columns;
    const docs = created.map((k) => ({
      ...Object.fromEntries(columns.map((c) => [c.databaseName, c.getEntityValue(k.incident)])),
      search_lexemes: [...(k.lexemes ?? [])],
    }));
    const names = columns.map((c) => c.databaseName);
    writes.push(
      `INSERT INTO triage.incidents (${names.join(', ')}, search)
       SELECT ${names.map((n) => `r.${n}`).join(', ')}, array_to_tsvector(ARRAY(SELECT jsonb_array_elements_text(e.doc->'search_lexemes')))
         FROM jsonb_array_elements(${bind(JSON.stringify(docs))}::jsonb) WITH ORDINALITY AS e(doc, n),
              jsonb_populate_record(NULL::triage.incidents, e.doc) AS r
        ORDER BY e.n`,
    );
  }
  if (changed.length) {
    // One update per incident: what the run's occurrences changed, and the lexemes they added.
    writes.push(
      occurrencesUpdateSql(changed, bind, {
        columns: { recurrence_count: 'int', last_recurrence_at: 'timestamptz', added: 'text[]' },
        of: ({ incident: i, added }) => ({ recurrence_count: i.recurrenceCount ?? 0, last_recurrence_at: i.lastRecurrenceAt, added: [...added] }),
        set: [
          'recurrence_count = v.recurrence_count',
          'last_recurrence_at = v.last_recurrence_at',
          'search = CASE WHEN cardinality(v.added) > 0 THEN t.search || array_to_tsvector(v.added) ELSE t.search END',
        ],
      }),
    );
  }
  if (run.alertRows.length) {
    writes.push(
      `INSERT INTO triage.alerts (alert_id, incident_id, dedup_key, title, source, severity, occurred_at, received_at,
                                  disposition, correlated_by, suppression_rule_id, category, exercise, data)
       SELECT alert_id, incident_id, dedup_key, title, source, severity, occurred_at, received_at,
              disposition, correlated_by, suppression_rule_id, category, exercise, data
         FROM jsonb_to_recordset(${bind(JSON.stringify(run.alertRows))}::jsonb) AS r(alert_id uuid, incident_id uuid, dedup_key text, title text,
              source text, severity text, occurred_at timestamptz, received_at timestamptz, disposition text, correlated_by text,
              suppression_rule_id uuid, category text, exercise boolean, data jsonb)
       ON CONFLICT (alert_id) DO UPDATE SET incident_id = EXCLUDED.incident_id, disposition = EXCLUDED.disposition,
         correlated_by = EXCLUDED.correlated_by, suppression_rule_id = EXCLUDED.suppression_rule_id, attached_at = now()`,
    );
  }
  if (run.keyRows.length) {
    writes.push(
      `INSERT INTO triage.incident_keys (kind, key, incident_id, last_seen_at)
       SELECT kind, key, incident_id, last_seen_at FROM unnest(${bind(run.keyRows.map((r) => r.kind))}::text[], ${bind(run.keyRows.map((r) => r.key))}::text[],
              ${bind(run.keyRows.map((r) => r.incident_id))}::uuid[], ${bind(run.keyRows.map((r) => r.last_seen_at))}::timestamptz[]) AS t(kind, key, incident_id, last_seen_at)
       ON CONFLICT (kind, key, incident_id) DO UPDATE SET last_seen_at = GREATEST(triage.incident_keys.last_seen_at, EXCLUDED.last_seen_at)`,
    );
  }
  if (run.links.length) {
    writes.push(
      `INSERT INTO triage.incident_assets (incident_id, asset_id)
       SELECT * FROM unnest(${bind(run.links.map((l) => l.incident_id))}::uuid[], ${bind(run.links.map((l) => l.asset_id))}::uuid[]) ON CONFLICT DO NOTHING`,
    );
  }
  if (run.suppressed.size) {
    const rules = [...run.suppressed.entries()];
    // The rules count the alerts in the statement that records them.
    writes.push(
      `UPDATE triage.suppression_rules s SET suppressed_alerts = suppressed_alerts + v.n, suppressed_occurrences = suppressed_occurrences + v.n,
              last_matched_at = GREATEST(last_matched_at, v.last)
         FROM unnest(${bind(rules.map(([id]) => id))}::uuid[], ${bind(rules.map(([, s]) => s.count))}::int[], ${bind(rules.map(([, s]) => s.last))}::timestamptz[]) AS v(id, n, last)
        WHERE s.id = v.id`,
    );
  }
  if (run.events.length) writes.push(outboxInsertSql('triage', run.events, bind));
  if (writes.length) await manager.query(writeTogetherSql(writes), params);
}

