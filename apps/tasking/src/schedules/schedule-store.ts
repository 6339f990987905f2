import type { OverrideView, RevisionView, ScheduleDefinition, ScheduleView } from '@vigil/contracts';
import type { EntityManager } from 'typeorm';

/*
 * Reads of schedules and the engine built from them. No HTTP here (no @vigil/platform): the
 * escalation runner uses these too, and runs in tests without Nest.
 */
import { ScheduleEngine, type OverrideInput, type RevisionInput, type Shift, type Source } from './engine/schedule-engine';

type Db = Pick<EntityManager, 'query'>;

export interface ScheduleRow {
  id: string;
  name: string;
  description: string | null;
  time_zone: string;
  created_at: Date;
  created_by: string;
  archived_at: Date | null;
}

export interface RevisionRow {
  schedule_id: string;
  revision: number;
  effective_from: Date;
  definition: ScheduleDefinition;
  created_at: Date;
  created_by: string;
  reason: string | null;
}

export interface OverrideRow {
  id: string;
  schedule_id: string;
  person_id: string;
  person_name: string;
  starts_at: Date;
  ends_at: Date;
  reason: string | null;
  created_at: Date;
  created_by: string;
  cancelled_at: Date | null;
  cancelled_by: string | null;
}

export const toRevisionView = (r: RevisionRow): RevisionView => ({
  revision: r.revision,
  effectiveFrom: r.effective_from.toISOString(),
  definition: r.definition,
  createdAt: r.created_at.toISOString(),
  createdBy: r.created_by,
  reason: r.reason,
});

export const toOverrideView = (o: OverrideRow): OverrideView => ({
  overrideId: o.id,
  scheduleId: o.schedule_id,
  personId: o.person_id,
  personName: o.person_name,
  start: o.starts_at.toISOString(),
  end: o.ends_at.toISOString(),
  reason: o.reason,
  createdAt: o.created_at.toISOString(),
  createdBy: o.created_by,
  cancelledAt: o.cancelled_at?.toISOString() ?? null,
  cancelledBy: o.cancelled_by,
});

export async function revisionsOf(db: Db, scheduleId: string): Promise<RevisionRow[]> {
  return db.query(`SELECT * FROM tasking.schedule_revisions WHERE schedule_id = $1 ORDER BY revision`, [scheduleId]);
}

export async function overridesOf(db: Db, scheduleId: string): Promise<OverrideRow[]> {
  return db.query(
    `SELECT o.*, p.name AS person_name FROM tasking.schedule_overrides o JOIN tasking.people p ON p.id = o.person_id WHERE o.schedule_id = $1 ORDER BY o.starts_at, o.created_at`,
    [scheduleId],
  );
}

export function toScheduleView(s: ScheduleRow, revisions: RevisionRow[], now = Date.now()): ScheduleView {
  const inForce = new ScheduleEngine(revisions.map(toRevisionInput)).revisionAt(now);
  return {
    scheduleId: s.id,
    name: s.name,
    description: s.description,
    timeZone: s.time_zone,
    current: inForce ? toRevisionView(revisions.find((r) => r.revision === inForce.revision)!) : null,
    upcoming: revisions.filter((r) => r.effective_from.getTime() > now).map(toRevisionView),
    createdAt: s.created_at.toISOString(),
    createdBy: s.created_by,
  };
}

export const toRevisionInput = (r: RevisionRow): RevisionInput => ({ revision: r.revision, effectiveFrom: r.effective_from.getTime(), definition: r.definition });

/** An override counts until it ends, or until it was cancelled if that came first. */
export const toOverrideInput = (o: OverrideRow): OverrideInput => ({
  overrideId: o.id,
  personId: o.person_id,
  start: o.starts_at.getTime(),
  end: Math.min(o.ends_at.getTime(), o.cancelled_at?.getTime() ?? Number.POSITIVE_INFINITY),
  createdAt: o.created_at.getTime(),
});

/** People's names and whether they are still on the roster, for everyone a schedule names. */
export async function peopleDirectory(db: Db): Promise<Map<string, { name: string; active: boolean }>> {
  const rows: Array<{ id: string; name: string; active: boolean }> = await db.query(`SELECT id, name, active FROM tasking.people`);
  return new Map(rows.map((r) => [r.id, { name: r.name, active: r.active }]));
}

/** Everything needed to answer who is on call on a schedule, with an optional revision not yet stored (a preview). */
export async function loadEngine(db: Db, scheduleId: string, extra?: RevisionInput): Promise<{ engine: ScheduleEngine; people: Map<string, { name: string; active: boolean }> }> {
  const [revisions, overrides, people] = await Promise.all([revisionsOf(db, scheduleId), overridesOf(db, scheduleId), peopleDirectory(db)]);
  const engine = new ScheduleEngine(
    [...revisions.map(toRevisionInput), ...(extra ? [extra] : [])],
    overrides.map(toOverrideInput),
    (personId) => people.get(personId)?.active ?? false,
  );
  return { engine, people };
}

export function namedPeople(ids: string[], people: Map<string, { name: string }>) {
  return ids.map((personId) => ({ personId, name: people.get(personId)?.name ?? '(unknown)' }));
}

export function sourceView(source: Source) {
  return source.kind === 'layer' ? { kind: 'layer' as const, layer: source.layer, overrideId: null } : { kind: 'override' as const, layer: null, overrideId: source.overrideId };
}

export function shiftView(s: Shift, people: Map<string, { name: string }>) {
  return { start: new Date(s.start).toISOString(), end: new Date(s.end).toISOString(), people: namedPeople(s.people, people), source: sourceView(s.source) };
}

