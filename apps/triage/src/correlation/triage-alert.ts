import { Inject, Injectable } from '@nestjs/common';
import {
  IncidentAlertAttachedV1,
  IncidentOpenedV1,
  type AlertReceivedV1,
  type CorrelationReason,
  type EventData,
} from '@vigil/contracts';
import { outboxInsertSql, statementBuilder, writeTogetherSql, type Bind } from '@vigil/messaging';
import { CONFIG } from '@vigil/platform';
import { randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { mostCritical } from '../assets';
import { functionalImpactFromAlert, isBelow, severityOf } from '../classification/severity-matrix';
import type { TriageConfig } from '../config';
import { applyOccurrence, incidentEvent, insertIncident, LINK_ASSETS_SQL, lockIncident, occurrenceUpdateSql } from '../incidents/incident-writes';
import { extendSearchSet } from '../incidents/search/incident-search';
import { alertSearchTerms, incidentSearchLexemes, termLexemes } from '../incidents/search/search-text';
import { TERMINAL_PHASES } from '../lifecycle/phases';
import { Incident } from '../persistence/incident.entity';
import { correlationKeys, KEY_PRIORITY, referencedIncident, type CorrelationKey, type KeyKind } from './correlation-keys';
import { readPlacementContext } from './placement-context';

export type AlertReceived = EventData<typeof AlertReceivedV1>;

export type TriageOutcome =
  | { disposition: 'attached'; incidentId: string; correlatedBy: CorrelationReason; opened: boolean }
  | { disposition: 'pending' }
  | { disposition: 'suppressed'; ruleId: string };

export interface Promotion {
  actor: string;
  /** Occurrences the alert gathered while it waited. */
  occurrences: number;
}

/**
 * Decides where an alert goes, in the consumer's transaction:
 * 1. a suppression rule in force when it was received → recorded as suppressed, counted, no incident;
 * 2. it names an open incident (label vigil_incident), or shares a key with one (same dedup key,
 *    Alertmanager group, asset and category within the window, observable within the window)
 *    → attached to it;
 * 3. below the severity threshold → waits as an alert until an analyst promotes it;
 * 4. otherwise → opens an incident, classified from the alert and the asset register.
 * The alert's correlation keys are locked first, so two alerts sharing a key — read from different
 * partitions by different replicas — never open two incidents.
 */
@Injectable()
export class AlertTriage {
  constructor(@Inject(CONFIG) private readonly config: TriageConfig) {}

  async triage(manager: EntityManager, alert: AlertReceived, promotion?: Promotion): Promise<TriageOutcome> {
    // A promoted alert was suppressed by nothing when it arrived: only new ones are checked.
    const context = await readPlacementContext(manager, alert, !promotion);
    if (context.suppressionRuleId) {
      const ruleId = context.suppressionRuleId;
      // The rule counts the alert in the same statement that records it.
      await saveAlert(manager, alert, { disposition: 'suppressed', suppressionRuleId: ruleId }, (bind) => [
        `UPDATE triage.suppression_rules SET suppressed_alerts = suppressed_alerts + 1, suppressed_occurrences = suppressed_occurrences + 1,
           last_matched_at = GREATEST(last_matched_at, ${bind(alert.receivedAt)}::timestamptz) WHERE id = ${bind(ruleId)}::uuid`,
      ]);
      return { disposition: 'suppressed', ruleId };
    }

    const { rules, assets } = context;
    const assetIds = assets.map((a) => a.assetId);
    const assetCriticality = mostCritical(assets);
    const keys = correlationKeys(alert, rules, assetIds);
    await lockKeys(manager, keys);

    const referenced = rules.find((r) => r.kind === 'reference')?.enabled ? referencedIncident(alert) : undefined;
    const target = await joinableIncident(manager, alert.exercise, referenced, keys);
    // What the incident can now be found by: its observables and assets (and, when it opens, its title and dedup key).
    const terms = alertSearchTerms(alert, assets);
    const lexemes = target ? termLexemes(terms) : incidentSearchLexemes(alert.title, alert.dedupKey, terms);
    const count = promotion?.occurrences ?? 1;
    const occurrence = {
      severity: alert.severity,
      category: alert.category ?? null,
      occurredAt: alert.occurredAt,
      receivedAt: alert.receivedAt,
      assetCriticality,
      count,
    };

    let incident: Incident;
    let correlatedBy: CorrelationReason;
    if (target) {
      incident = target.incident;
      correlatedBy = target.reason;
      applyOccurrence(incident, occurrence, this.config.TRIAGE_SEVERITY_MATRIX);
    } else if (!promotion && isBelow(alert.severity, this.config.TRIAGE_OPEN_INCIDENTS_FROM)) {
      await saveAlert(manager, alert, { disposition: 'pending' });
      return { disposition: 'pending' };
    } else {
      const now = new Date();
      const classification = {
        category: alert.category ?? 'other',
        functionalImpact: functionalImpactFromAlert(alert.severity),
        informationImpact: 'none' as const,
        recoverability: 'regular' as const,
        assetCriticality,
      };
      incident = manager.create(Incident, {
        id: randomUUID(),
        dedupKey: alert.dedupKey,
        title: alert.title,
        ...classification,
        severity: severityOf(classification, this.config.TRIAGE_SEVERITY_MATRIX),
        classifiedBy: null,
        phase: 'detected',
        exercise: alert.exercise,
        alertCount: count,
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
        createdAt: now,
        updatedAt: now,
      });
      await insertIncident(manager, incident, lexemes);
      correlatedBy = promotion ? 'promoted' : 'opened';
    }

    const alertRef = { alertId: alert.alertId, dedupKey: alert.dedupKey, title: alert.title, source: alert.source, receivedAt: alert.receivedAt };
    const event = target
      ? incidentEvent(IncidentAlertAttachedV1, incident, { alert: alertRef, correlatedBy, ...(promotion ? { actor: promotion.actor } : {}) })
      : incidentEvent(IncidentOpenedV1, incident, { alert: alertRef, ...(promotion ? { promotedBy: promotion.actor } : {}) });
    // The alert, its keys and assets, the incident's new count, clock and search document, and the event: one statement.
    await saveAlert(manager, alert, { disposition: 'attached', incidentId: incident.id, correlatedBy }, (bind) => [
      ...(keys.length ? [registerKeysSql(bind(incident.id), bind(alert.receivedAt), keys, bind)] : []),
      ...(assetIds.length ? [LINK_ASSETS_SQL(`${bind(incident.id)}::uuid`, bind(assetIds))] : []),
      ...(target ? [occurrenceUpdateSql(incident, bind, lexemes.length ? [extendSearchSet(bind(lexemes))] : [])] : []),
      outboxInsertSql('triage', [event], bind),
    ]);
    return { disposition: 'attached', incidentId: incident.id, correlatedBy, opened: !target };
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

/**
 * The open incident the alert joins, locked: the one it references, else the one it shares its most
 * specific key with.
 *
 * The lookup reads without locking, and an analyst may merge or close the incident it finds before
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
 */
async function joinableIncident(
  manager: EntityManager,
  exercise: boolean,
  referenced: string | undefined,
  keys: readonly CorrelationKey[],
): Promise<{ incident: Incident; reason: CorrelationReason } | undefined> {
  const passedOver: string[] = [];
  for (;;) {
    const found =
      (referenced && !passedOver.includes(referenced) ? await referencedOpenIncident(manager, referenced, exercise) : undefined) ??
      (await findByKeys(manager, keys, passedOver));
    if (!found) return undefined;
    const incident = await lockIncident(manager, found.incidentId);
    if (incident && !TERMINAL_PHASES.includes(incident.phase) && incident.exercise === exercise) return { incident, reason: found.reason };
    passedOver.push(found.incidentId);
  }
}

/** The referenced incident, if it is open and of the same kind (exercise or real). */
async function referencedOpenIncident(manager: EntityManager, incidentId: string, exercise: boolean): Promise<{ incidentId: string; reason: CorrelationReason } | undefined> {
  const [row] = await manager.query(`SELECT id FROM triage.incidents WHERE id = $1 AND exercise = $2 AND phase <> ALL($3::text[])`, [incidentId, exercise, TERMINAL_PHASES]);
  return row ? { incidentId: row.id, reason: 'reference' } : undefined;
}

/** The open incident the alert shares its most specific key with (the oldest, on a tie), leaving out those passed over. */
async function findByKeys(
  manager: EntityManager,
  keys: readonly CorrelationKey[],
  passedOver: readonly string[],
): Promise<{ incidentId: string; reason: CorrelationReason } | undefined> {
  if (keys.length === 0) return undefined;
  const rows: Array<{ incident_id: string; kind: KeyKind }> = await manager.query(
    `WITH wanted(kind, key, since) AS (SELECT * FROM unnest($1::text[], $2::text[], $3::timestamptz[]))
     SELECT k.incident_id, k.kind, i.created_at
       FROM wanted w
       JOIN triage.incident_keys k ON k.kind = w.kind AND k.key = w.key AND (w.since IS NULL OR k.last_seen_at >= w.since)
       JOIN triage.incidents i ON i.id = k.incident_id AND i.phase <> ALL($4::text[]) AND i.id <> ALL($5::uuid[])
      ORDER BY i.created_at, i.id`,
    [keys.map((k) => k.kind), keys.map((k) => k.key), keys.map((k) => k.since?.toISOString() ?? null), TERMINAL_PHASES, passedOver],
  );
  for (const kind of KEY_PRIORITY) {
    const hit = rows.find((r) => r.kind === kind);
    if (hit) return { incidentId: hit.incident_id, reason: kind };
  }
  return undefined;
}

/** Registers keys for an incident, or moves their last sighting on. */
function registerKeysSql(incidentId: string, seenAt: string, keys: readonly CorrelationKey[], bind: Bind): string {
  return `INSERT INTO triage.incident_keys (kind, key, incident_id, last_seen_at)
   SELECT kind, key, ${incidentId}::uuid, ${seenAt}::timestamptz FROM unnest(${bind(keys.map((k) => k.kind))}::text[], ${bind(keys.map((k) => k.key))}::text[]) AS t(kind, key)
   ON CONFLICT (kind, key, incident_id) DO UPDATE SET last_seen_at = GREATEST(triage.incident_keys.last_seen_at, EXCLUDED.last_seen_at)`;
}

export async function registerKeys(manager: EntityManager, incidentId: string, keys: readonly CorrelationKey[], seenAt: string): Promise<void> {
  if (keys.length === 0) return;
  const { bind, params } = statementBuilder();
  await manager.query(registerKeysSql(bind(incidentId), bind(seenAt), keys, bind), params);
}

interface AlertPlacement {
  disposition: 'attached' | 'pending' | 'suppressed';
  incidentId?: string;
  correlatedBy?: CorrelationReason;
  suppressionRuleId?: string;
}

/**
 * Records the alert (or, on promotion, its new place); its data is kept for promotion and moves.
 * `alongside` adds writes that go with it, their values bound with the same `bind`: all run as one
 * statement (`writeTogetherSql`), so placing an alert costs one round trip for all its writes.
 */
async function saveAlert(manager: EntityManager, alert: AlertReceived, p: AlertPlacement, alongside?: (bind: Bind) => string[]): Promise<void> {
  const { bind, params } = statementBuilder();
  const insertAlert = `INSERT INTO triage.alerts (alert_id, incident_id, dedup_key, title, source, severity, occurred_at, received_at,
                                disposition, correlated_by, suppression_rule_id, category, exercise, data)
     VALUES (${[
       alert.alertId,
       p.incidentId ?? null,
       alert.dedupKey,
       alert.title,
       alert.source,
       alert.severity,
       alert.occurredAt,
       alert.receivedAt,
       p.disposition,
       p.correlatedBy ?? null,
       p.suppressionRuleId ?? null,
       alert.category ?? null,
       alert.exercise,
       alert,
     ]
       .map(bind)
       .join(', ')})
     ON CONFLICT (alert_id) DO UPDATE SET incident_id = EXCLUDED.incident_id, disposition = EXCLUDED.disposition,
       correlated_by = EXCLUDED.correlated_by, suppression_rule_id = EXCLUDED.suppression_rule_id, attached_at = now()`;
  await manager.query(writeTogetherSql([insertAlert, ...(alongside?.(bind) ?? [])]), params);
}
