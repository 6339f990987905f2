import { Injectable } from '@nestjs/common';
import { AlertReceivedV1, IncidentAlertAttachedV1, IncidentOpenedV1, type CloudEvent, type EventData } from '@vigil/contracts';
import { randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { severityFromAlert } from '../../classification/severity';
import { countOccurrence, publishIncidentEvent } from '../../incidents/incident-writes';
import { TERMINAL_PHASES } from '../../lifecycle/phases';
import { Incident } from '../../persistence/incident.entity';

type AlertReceived = EventData<typeof AlertReceivedV1>;

/**
 * An alert whose dedup key matches an open incident is attached to it (the count goes up, the
 * clock's occurredAt moves earlier if the alert saw the activity earlier); otherwise it opens one.
 */
@Injectable()
export class OpenOrAttachHandler {
  async handle(event: CloudEvent, manager: EntityManager): Promise<void> {
    const alert = event.data as AlertReceived;
    const open = await manager
      .createQueryBuilder(Incident, 'i')
      .setLock('pessimistic_write')
      .where('i.dedupKey = :key AND i.phase NOT IN (:...terminal)', { key: alert.dedupKey, terminal: TERMINAL_PHASES })
      .getOne();
    const now = new Date();
    const alertRef = {
      alertId: alert.alertId,
      dedupKey: alert.dedupKey,
      title: alert.title,
      source: alert.source,
      receivedAt: alert.receivedAt,
    };
    let incident: Incident;
    if (open) {
      incident = open;
      await countOccurrence(manager, incident, alert);
    } else {
      incident = manager.create(Incident, {
        id: randomUUID(),
        dedupKey: alert.dedupKey,
        title: alert.title,
        severity: severityFromAlert(alert.severity),
        category: alert.category ?? 'other',
        phase: 'detected',
        exercise: alert.exercise,
        alertCount: 1,
        version: 1,
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
      await manager.insert(Incident, incident);
    }
    await manager.query(
      `INSERT INTO triage.incident_alerts (alert_id, incident_id, dedup_key, title, source, severity, occurred_at, received_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
      [alert.alertId, incident.id, alert.dedupKey, alert.title, alert.source, alert.severity, alert.occurredAt, alert.receivedAt],
    );
    await publishIncidentEvent(manager, open ? IncidentAlertAttachedV1 : IncidentOpenedV1, incident, { alert: alertRef });
  }
}
