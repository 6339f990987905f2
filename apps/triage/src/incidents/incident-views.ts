import type { EntityManager } from 'typeorm';
import { Incident, toView } from '../persistence/incident.entity';

/** Incidents as the API shows them, with the registered assets each involves (one query for all). */
export async function toViews(manager: Pick<EntityManager, 'query'>, incidents: Incident[]) {
  if (incidents.length === 0) return [];
  const rows: Array<{ incident_id: string; asset_id: string }> = await manager.query(
    `SELECT incident_id, asset_id FROM triage.incident_assets WHERE incident_id = ANY($1::uuid[]) ORDER BY asset_id`,
    [incidents.map((i) => i.id)],
  );
  const assets = new Map<string, string[]>();
  for (const r of rows) assets.set(r.incident_id, [...(assets.get(r.incident_id) ?? []), r.asset_id]);
  return incidents.map((i) => toView(i, assets.get(i.id) ?? []));
}

export async function toOneView(manager: Pick<EntityManager, 'query'>, incident: Incident) {
  return (await toViews(manager, [incident]))[0];
}
