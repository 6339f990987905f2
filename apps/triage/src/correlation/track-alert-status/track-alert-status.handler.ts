import { Injectable } from '@nestjs/common';
import { AlertAcknowledgedV1, AlertRepeatedV1, AlertResolvedV1, IncidentAlertAttachedV1, type CloudEvent, type EventData } from '@vigil/contracts';
import type { EntityManager } from 'typeorm';
import { countOccurrence, lockIncident, publishIncidentEvent } from '../../incidents/incident-writes';

interface LinkRow {
  incident_id: string;
  dedup_key: string;
  title: string;
  source: string;
  received_at: Date;
}

/**
 * What the source says about an alert after it first arrived. A repeat is one more occurrence on
 * the incident (its count goes up); the source acknowledging or resolving an alert is recorded on
 * the alert's link and in the incident history, but never moves the incident: people do that.
 */
@Injectable()
export class TrackAlertStatusHandler {
  async handle(event: CloudEvent, manager: EntityManager): Promise<void> {
    const { alertId } = event.data as { alertId: string };
    const [link]: LinkRow[] = await manager.query(
      `SELECT incident_id, dedup_key, title, source, received_at FROM triage.incident_alerts WHERE alert_id = $1 FOR UPDATE`,
      [alertId],
    );
    // Per-key order on the alerts topic means the alert was seen first; a missing link can only be
    // an alert that opened nothing (none yet), so there is nothing to update.
    if (!link) return;
    switch (event.type) {
      case AlertRepeatedV1.type: {
        const d = event.data as EventData<typeof AlertRepeatedV1>;
        await manager.query(`UPDATE triage.incident_alerts SET occurrences = $2, last_seen_at = $3 WHERE alert_id = $1`, [alertId, d.occurrences, d.lastSeenAt]);
        const incident = await lockIncident(manager, link.incident_id);
        if (!incident) return;
        await countOccurrence(manager, incident, { severity: d.severity });
        await publishIncidentEvent(manager, IncidentAlertAttachedV1, incident, {
          alert: { alertId, dedupKey: link.dedup_key, title: link.title, source: link.source, receivedAt: d.lastSeenAt },
        });
        return;
      }
      case AlertAcknowledgedV1.type:
      case AlertResolvedV1.type: {
        const resolved = event.type === AlertResolvedV1.type;
        const at = resolved
          ? (event.data as EventData<typeof AlertResolvedV1>).resolvedAt
          : (event.data as EventData<typeof AlertAcknowledgedV1>).acknowledgedAt;
        await manager.query(
          `UPDATE triage.incident_alerts SET source_status = $2, resolved_at = CASE WHEN $2 = 'resolved' THEN $3::timestamptz ELSE resolved_at END WHERE alert_id = $1`,
          [alertId, resolved ? 'resolved' : 'acknowledged', at],
        );
        await manager.query(
          `INSERT INTO triage.incident_history (incident_id, actor, action, effective_at, reason) VALUES ($1, $2, $3, $4, $5)`,
          [link.incident_id, event.source, resolved ? 'alert_resolved_by_source' : 'alert_acknowledged_by_source', at, `alert ${alertId}`],
        );
      }
    }
  }
}
