import { Inject, Injectable } from '@nestjs/common';
import { IncidentAlertAttachedV1, type AlertAcknowledgedV1, type AlertRepeatedV1, type AlertResolvedV1, type EventData } from '@vigil/contracts';
import type { EventMeta } from '@vigil/messaging';
import { CONFIG } from '@vigil/platform';
import type { EntityManager } from 'typeorm';
import type { TriageConfig } from '../../config';
import type { AlertRow } from '../../alerts/alert-rows';
import { countOccurrence, lockIncident, publishIncidentEvent } from '../../incidents/incident-writes';
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

  /** One more occurrence: counted on its incident, or on the suppression rule that holds it. */
  async repeated(d: EventData<typeof AlertRepeatedV1>, manager: EntityManager): Promise<void> {
    const { alertId } = d;
    const locked = await lockAlert(manager, alertId);
    // Per-key order on the alerts topic means the alert was seen first, so it is always there.
    if (!locked) return;
    const { alert, incident } = locked;
    // Intake counts occurrences; the difference is what this event adds (never negative, so a
    // replayed or reordered repeat counts nothing twice).
    const added = Math.max(0, d.occurrences - alert.occurrences);
    await manager.query(`UPDATE triage.alerts SET occurrences = GREATEST(occurrences, $2), last_seen_at = GREATEST(last_seen_at, $3) WHERE alert_id = $1`, [
      alertId,
      d.occurrences,
      d.lastSeenAt,
    ]);
    if (added === 0) return;
    if (alert.disposition === 'suppressed') {
      await manager.query(
        `UPDATE triage.suppression_rules SET suppressed_occurrences = suppressed_occurrences + $2, last_matched_at = GREATEST(last_matched_at, $3) WHERE id = $1`,
        [alert.suppression_rule_id, added, d.lastSeenAt],
      );
      return;
    }
    if (!incident) return; // a pending alert keeps its own count
    await countOccurrence(manager, incident, { severity: d.severity, count: added }, this.config.TRIAGE_SEVERITY_MATRIX);
    await publishIncidentEvent(manager, IncidentAlertAttachedV1, incident, {
      alert: { alertId, dedupKey: alert.dedup_key, title: alert.title, source: alert.source, receivedAt: d.lastSeenAt },
      correlatedBy: 'dedup_key',
    });
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

const SELECT_ALERT = `SELECT incident_id, disposition, suppression_rule_id, occurrences, dedup_key, title, source FROM triage.alerts WHERE alert_id = $1`;

/**
 * The alert row locked, and its incident locked before it: moves and merges lock incidents first
 * and then their alerts, and taking them in the same order here means the two never deadlock.
 */
async function lockAlert(manager: EntityManager, alertId: string): Promise<{ alert: AlertStatusRow; incident: Incident | null } | undefined> {
  for (;;) {
    const [seen]: AlertStatusRow[] = await manager.query(SELECT_ALERT, [alertId]);
    if (!seen) return undefined;
    const incident = seen.incident_id ? await lockIncident(manager, seen.incident_id) : null;
    const [alert]: AlertStatusRow[] = await manager.query(`${SELECT_ALERT} FOR UPDATE`, [alertId]);
    // Moved to another incident between the two reads: lock that one too and look again.
    if (alert.incident_id === seen.incident_id) return { alert, incident };
  }
}
