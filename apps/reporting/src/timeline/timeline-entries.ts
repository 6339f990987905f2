import type { EntityManager } from 'typeorm';

export interface TimelineLine {
  at: string;
  type: string;
  source: string;
  summary: string;
  eventId: string;
}

/**
 * An incident's timeline in time order: its own lines, and its alerts' lines (alerts are keyed by
 * dedup key, not incident: they join through the links triage reported).
 */
export async function incidentTimeline(manager: Pick<EntityManager, 'query'>, incidentId: string): Promise<TimelineLine[]> {
  const rows: Array<{ at: Date; type: string; source: string; summary: string; event_id: string }> = await manager.query(
    `SELECT at, type, source, summary, event_id FROM reporting.timeline_entries
      WHERE incident_id = $1
         OR alert_id IN (SELECT alert_id FROM reporting.incident_alert_links WHERE incident_id = $1)
      ORDER BY at, event_id`,
    [incidentId],
  );
  return rows.map((r) => ({ at: r.at.toISOString(), type: r.type, source: r.source, summary: r.summary, eventId: r.event_id }));
}
