import { Problem } from '@vigil/platform';
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

/** Opaque keyset cursors: the sort they belong to, the last row's sort value and its id. */
export interface Cursor {
  sort: string;
  value: string;
  at?: string;
  id: string;
}

export const encodeCursor = (c: Cursor) => Buffer.from(JSON.stringify(c)).toString('base64url');

export function decodeCursor(raw: string, sort: string, valueIsTime = true): Cursor {
  let c: Partial<Cursor> | undefined;
  try {
    c = JSON.parse(Buffer.from(raw, 'base64url').toString()) as Partial<Cursor>;
  } catch {
    c = undefined;
  }
  if (!c || typeof c.value !== 'string' || typeof c.id !== 'string' || typeof c.sort !== 'string' || (c.at !== undefined && Number.isNaN(Date.parse(c.at))) || (valueIsTime && Number.isNaN(Date.parse(c.value)))) {
    throw Problem.validation([{ pointer: '/cursor', detail: 'is not a cursor this API returned' }], 'The query is not valid.');
  }
  if (c.sort !== sort) {
    throw Problem.validation([{ pointer: '/cursor', detail: `belongs to sort=${c.sort}, not sort=${sort}; start again without a cursor` }], 'The query is not valid.');
  }
  return c as Cursor;
}
