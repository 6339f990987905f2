import { Injectable } from '@nestjs/common';
import {
  AlertAcknowledgedV1,
  AlertReceivedV1,
  AlertRepeatedV1,
  AlertResolvedV1,
  IncidentAcknowledgedV1,
  IncidentAlertAttachedV1,
  IncidentOpenedV1,
  IncidentPhaseChangedV1,
  NotificationDeliveredV1,
  NotificationFailedV1,
  TaskCreatedV1,
  type CloudEvent,
  type EventData,
} from '@vigil/contracts';
import type { EntityManager } from 'typeorm';
import { TimelineEntry } from '../../persistence/entities';

interface Line {
  at: string;
  summary: string;
  incidentId?: string;
  alertId?: string;
}

/** How each event reads on an incident's timeline. */
export function describe(event: CloudEvent): Line | undefined {
  switch (event.type) {
    case AlertReceivedV1.type: {
      const d = event.data as EventData<typeof AlertReceivedV1>;
      return { at: d.receivedAt, alertId: d.alertId, summary: `Alert received from ${d.source} (${d.severity}): ${d.title}` };
    }
    case AlertRepeatedV1.type: {
      const d = event.data as EventData<typeof AlertRepeatedV1>;
      return { at: d.lastSeenAt, alertId: d.alertId, summary: `Alert seen again (${d.occurrences} occurrences)` };
    }
    case AlertAcknowledgedV1.type: {
      const d = event.data as EventData<typeof AlertAcknowledgedV1>;
      return { at: d.acknowledgedAt, alertId: d.alertId, summary: 'Alert acknowledged at its source' };
    }
    case AlertResolvedV1.type: {
      const d = event.data as EventData<typeof AlertResolvedV1>;
      return { at: d.resolvedAt, alertId: d.alertId, summary: 'Alert resolved at its source' };
    }
    case IncidentOpenedV1.type: {
      const d = event.data as EventData<typeof IncidentOpenedV1>;
      return { at: d.incident.timestamps.declaredAt, incidentId: d.incident.incidentId, alertId: d.alert.alertId, summary: `Incident opened as ${d.incident.severity} ${d.incident.category}: ${d.incident.title}` };
    }
    case IncidentAlertAttachedV1.type: {
      const d = event.data as EventData<typeof IncidentAlertAttachedV1>;
      return { at: event.time, incidentId: d.incident.incidentId, alertId: d.alert.alertId, summary: `Alert attached (${d.incident.alertCount} in all): ${d.alert.title}` };
    }
    case IncidentAcknowledgedV1.type: {
      const d = event.data as EventData<typeof IncidentAcknowledgedV1>;
      return { at: d.incident.timestamps.acknowledgedAt ?? event.time, incidentId: d.incident.incidentId, summary: `Acknowledged by ${d.actor}${d.reason ? ` (${d.reason})` : ''}` };
    }
    case IncidentPhaseChangedV1.type: {
      const d = event.data as EventData<typeof IncidentPhaseChangedV1>;
      return { at: event.time, incidentId: d.incident.incidentId, summary: `Phase ${d.from} → ${d.to} by ${d.actor}${d.reason ? ` (${d.reason})` : ''}` };
    }
    case TaskCreatedV1.type: {
      const d = event.data as EventData<typeof TaskCreatedV1>;
      return { at: d.createdAt, incidentId: d.incidentId, summary: `Task for ${d.role} (${d.phase}): ${d.title}` };
    }
    case NotificationDeliveredV1.type:
    case NotificationFailedV1.type: {
      const d = event.data as EventData<typeof NotificationDeliveredV1>;
      const verb = event.type === NotificationDeliveredV1.type ? 'delivered' : 'failed';
      return { at: d.at, incidentId: d.incidentId, summary: `Notification to ${d.audience} via ${d.channel} ${verb} after ${d.attempts} attempt(s)${d.lastError ? `: ${d.lastError}` : ''}` };
    }
    default:
      return undefined;
  }
}

@Injectable()
export class RecordTimelineHandler {
  async handle(event: CloudEvent, manager: EntityManager): Promise<void> {
    const line = describe(event);
    if (!line) return;
    await manager
      .createQueryBuilder()
      .insert()
      .into(TimelineEntry)
      .values({
        eventId: event.id,
        incidentId: line.incidentId ?? null,
        alertId: line.alertId && !line.incidentId ? line.alertId : null,
        at: new Date(line.at),
        type: event.type,
        source: event.source,
        summary: line.summary,
      })
      .orIgnore()
      .execute();
    if (line.incidentId && line.alertId) {
      await manager.query(
        `INSERT INTO reporting.incident_alert_links (alert_id, incident_id) VALUES ($1, $2)
         ON CONFLICT (alert_id) DO UPDATE SET incident_id = EXCLUDED.incident_id`,
        [line.alertId, line.incidentId],
      );
    }
  }
}
