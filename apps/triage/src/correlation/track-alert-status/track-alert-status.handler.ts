import { Inject, Injectable } from '@nestjs/common';
import { IncidentAlertAttachedV1, type AlertAcknowledgedV1, type AlertRepeatedV1, type AlertResolvedV1, type AlertSeverity, type EventData } from '@vigil/contracts';
import { outboxInsertSql, statementBuilder, writeTogetherSql, type EventMeta, type OutboxItem } from '@vigil/messaging';
import { CONFIG } from '@vigil/platform';
import type { EntityManager } from 'typeorm';
import type { TriageConfig } from '../../config';
import type { AlertRow } from '../../alerts/alert-rows';
import { applyOccurrence, incidentEvent, lockIncidents, occurrencesUpdateSql } from '../../incidents/incident-writes';
import { isBelow } from '../../classification/severity-matrix';
import { recordHistory } from '../../lifecycle/record-change';
import type { Incident } from '../../persistence/incident.entity';

/** What a status update needs of the alert (not its data: repeats are the hot path). */
type AlertStatusRow = Pick<AlertRow, 'incident_id' | 'disposition' | 'suppression_rule_id' | 'occurrences' | 'dedup_key' | 'title' | 'source'>;

/**
 * What the source says about an alert after it first arrived. A repeat is one more occurrence
 * (counted on its incident, or on the suppression rule that holds it); the source acknowledging or
 * resolving an alert is recorded on the alert and in the incident history, but never moves the
 * incident: people do that.
 */
@Injectable()
export class TrackAlertStatusHandler {
  constructor(@Inject(CONFIG) private readonly config: TriageConfig) {}

  /**
   * A run of repeats (one partition's, in order; a single repeat is a run of one), each counted on
   * its incident or on the suppression rule that holds it: each alert's newest count at once, so an alert
   * repeated many times in the run is one update of the alert, one of its incident and ONE
   * "alert attached" event carrying how many repeats it reports (`repeats`), not one per repeat.
   * The same totals as one by one: intake's count is cumulative, so what a run adds is the newest
   * count less the stored one, and the incident's classification takes the run's worst severity.
   */
  async repeatedRun(run: ReadonlyArray<EventData<typeof AlertRepeatedV1>>, manager: EntityManager): Promise<void> {
    const newest = new Map<string, { occurrences: number; lastSeenAt: string; severity: AlertSeverity; repeats: number }>();
    for (const d of run) {
      const seen = newest.get(d.alertId);
      if (!seen) newest.set(d.alertId, { occurrences: d.occurrences, lastSeenAt: d.lastSeenAt, severity: d.severity, repeats: 1 });
      else {
        seen.occurrences = Math.max(seen.occurrences, d.occurrences);
        if (d.lastSeenAt > seen.lastSeenAt) seen.lastSeenAt = d.lastSeenAt;
        if (isBelow(seen.severity, d.severity)) seen.severity = d.severity;
        seen.repeats += 1;
      }
    }
    const alertIds = [...newest.keys()].sort();
    const { alerts, incidents } = await lockAlerts(manager, alertIds);
    await manager.query(
      `UPDATE triage.alerts a SET occurrences = GREATEST(a.occurrences, v.occurrences), last_seen_at = GREATEST(a.last_seen_at, v.last_seen_at)
         FROM unnest($1::uuid[], $2::int[], $3::timestamptz[]) AS v(alert_id, occurrences, last_seen_at) WHERE a.alert_id = v.alert_id`,
      [alertIds, alertIds.map((id) => newest.get(id)!.occurrences), alertIds.map((id) => newest.get(id)!.lastSeenAt)],
    );
    const suppressed = new Map<string, { added: number; lastSeenAt: string }>();
    const touched = new Set<Incident>();
    const events: OutboxItem[] = [];
    // In the run's order of first appearance, so each incident's events keep their versions in order.
    for (const [alertId, d] of newest) {
      const alert = alerts.get(alertId);
      if (!alert) continue; // per-key order: never, but a repeat of an unknown alert changes nothing
      const added = Math.max(0, d.occurrences - alert.occurrences);
      if (added === 0) continue;
      if (alert.disposition === 'suppressed') {
        const s = suppressed.get(alert.suppression_rule_id!) ?? { added: 0, lastSeenAt: d.lastSeenAt };
        s.added += added;
        if (d.lastSeenAt > s.lastSeenAt) s.lastSeenAt = d.lastSeenAt;
        suppressed.set(alert.suppression_rule_id!, s);
        continue;
      }
      const incident = alert.incident_id ? incidents.get(alert.incident_id) : undefined;
      if (!incident) continue; // a pending alert keeps its own count
      applyOccurrence(incident, { severity: d.severity, count: added }, this.config.TRIAGE_SEVERITY_MATRIX);
      touched.add(incident);
      events.push(
        incidentEvent(IncidentAlertAttachedV1, incident, {
          alert: { alertId, dedupKey: alert.dedup_key, title: alert.title, source: alert.source, receivedAt: d.lastSeenAt },
          correlatedBy: 'dedup_key',
          ...(d.repeats > 1 ? { repeats: d.repeats } : {}),
        }),
      );
    }
    for (const [ruleId, s] of suppressed) {
      await manager.query(
        `UPDATE triage.suppression_rules SET suppressed_occurrences = suppressed_occurrences + $2, last_matched_at = GREATEST(last_matched_at, $3) WHERE id = $1`,
        [ruleId, s.added, s.lastSeenAt],
      );
    }
    // Every touched incident and the run's events in one statement.
    const { bind, params } = statementBuilder();
    const writes = [...(touched.size ? [occurrencesUpdateSql([...touched].map((incident) => ({ incident })), bind)] : []), ...(events.length ? [outboxInsertSql('triage', events, bind)] : [])];
    if (writes.length) await manager.query(writeTogetherSql(writes), params);
  }

  /** The incidents a run of repeats will count on, as they stand (unlocked): for the caller to lock them in its own order. */
  async incidentsOf(run: ReadonlyArray<EventData<typeof AlertRepeatedV1>>, manager: EntityManager): Promise<string[]> {
    const rows: Array<{ incident_id: string }> = await manager.query(
      `SELECT DISTINCT incident_id FROM triage.alerts WHERE alert_id = ANY($1::uuid[]) AND incident_id IS NOT NULL`,
      [[...new Set(run.map((d) => d.alertId))]],
    );
    return rows.map((r) => r.incident_id);
  }

  async acknowledged(d: EventData<typeof AlertAcknowledgedV1>, manager: EntityManager, meta: EventMeta): Promise<void> {
    await this.sourceStatus(manager, d.alertId, 'acknowledged', d.acknowledgedAt, meta.source);
  }

  async resolved(d: EventData<typeof AlertResolvedV1>, manager: EntityManager, meta: EventMeta): Promise<void> {
    await this.sourceStatus(manager, d.alertId, 'resolved', d.resolvedAt, meta.source);
  }

  /** Recorded on the alert and in the incident history; the incident itself does not move. */
  private async sourceStatus(manager: EntityManager, alertId: string, status: 'acknowledged' | 'resolved', at: string, source: string): Promise<void> {
    const locked = await lockAlert(manager, alertId);
    if (!locked) return;
    const { incident } = locked;
    await manager.query(
      `UPDATE triage.alerts SET source_status = $2, resolved_at = CASE WHEN $2 = 'resolved' THEN $3::timestamptz ELSE resolved_at END WHERE alert_id = $1`,
      [alertId, status, at],
    );
    if (!incident) return;
    await recordHistory(manager, incident.id, {
      actor: source,
      action: status === 'resolved' ? 'alert_resolved_by_source' : 'alert_acknowledged_by_source',
      effectiveAt: new Date(at),
      reason: `alert ${alertId}`,
    });
  }
}

/**
 * Several alerts locked (in id order), their incidents locked before them (in id order): moves and
 * merges lock incidents first and then their alerts, and taking them in the same order here means
 * the two never deadlock. Read, lock the incidents, lock the alerts, and look again if one moved.
 */
async function lockAlerts(manager: EntityManager, alertIds: string[]): Promise<{ alerts: Map<string, AlertStatusRow & { alert_id: string }>; incidents: Map<string, Incident> }> {
  const select = `SELECT alert_id, incident_id, disposition, suppression_rule_id, occurrences, dedup_key, title, source FROM triage.alerts WHERE alert_id = ANY($1::uuid[]) ORDER BY alert_id`;
  for (;;) {
    const seen: Array<AlertStatusRow & { alert_id: string }> = await manager.query(select, [alertIds]);
    const incidentIds = [...new Set(seen.map((a) => a.incident_id).filter((id): id is string => id !== null))];
    const incidents = new Map((await lockIncidents(manager, incidentIds)).map((i) => [i.id, i]));
    const locked: Array<AlertStatusRow & { alert_id: string }> = await manager.query(`${select} FOR UPDATE`, [alertIds]);
    const before = new Map(seen.map((a) => [a.alert_id, a.incident_id]));
    // Moved to another incident between the two reads: lock again with that one.
    if (locked.every((a) => before.get(a.alert_id) === a.incident_id)) return { alerts: new Map(locked.map((a) => [a.alert_id, a])), incidents };
  }
}

/** One alert locked, and its incident before it (`lockAlerts` for one). */
async function lockAlert(manager: EntityManager, alertId: string): Promise<{ alert: AlertStatusRow; incident: Incident | null } | undefined> {
  const { alerts, incidents } = await lockAlerts(manager, [alertId]);
  const alert = alerts.get(alertId);
  if (!alert) return undefined;
  return { alert, incident: alert.incident_id ? (incidents.get(alert.incident_id) ?? null) : null };
}
