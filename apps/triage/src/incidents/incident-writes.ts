import { createEvent, Topics, type AlertSeverity, type AssetCriticality, type EventData, type EventDefinition, type IncidentCategory, type IncidentSnapshot } from '@vigil/contracts';
import { enqueueEvents, statementBuilder, type Bind, type OutboxItem } from '@vigil/messaging';
import { canSeeIncident, Problem, type Principal } from '@vigil/platform';
import type { EntityManager } from 'typeorm';
import { functionalImpactFromAlert, moreCritical, severityOf, worseFunctionalImpact, type SeverityMatrix } from '../classification/severity-matrix';
import { Incident, toSnapshot } from '../persistence/incident.entity';

/** The incident row, locked for the rest of the transaction (every change to an incident takes it). */
export async function lockIncident(manager: EntityManager, incidentId: string): Promise<Incident | null> {
  return (await lockIncidents(manager, [incidentId]))[0] ?? null;
}

/**
 * 404 unless the incident exists and the caller may see it (for reads of what hangs off it:
 * history, notes, links, alerts). A restricted incident is absent to whoever is not on it.
 */
export async function requireIncident(manager: Pick<EntityManager, 'query'>, incidentId: string, caller: Principal): Promise<void> {
  const [row] = (await manager.query(`SELECT restricted, owner, responders FROM triage.incidents WHERE id = $1`, [incidentId])) as Array<{
    restricted: boolean;
    owner: string | null;
    responders: string[];
  }>;
  if (!row || !canSeeIncident(caller, row)) throw Problem.notFound(`Incident ${incidentId}`);
}

/** Links registered assets to an incident (once each); the binds are SQL expressions. */
export const LINK_ASSETS_SQL = (incidentId: string, assetIds: string) =>
  `INSERT INTO triage.incident_assets (incident_id, asset_id) SELECT ${incidentId}, unnest(${assetIds}::uuid[]) ON CONFLICT DO NOTHING`;

/** Links registered assets to an incident (once each). */
export async function linkAssets(manager: EntityManager, incidentId: string, assetIds: readonly string[]): Promise<void> {
  if (assetIds.length === 0) return;
  await manager.query(LINK_ASSETS_SQL('$1::uuid', '$2'), [incidentId, assetIds]);
}

/**
 * Inserts a new incident with its search document, which is no field of the entity (only the
 * statements in incidents/search change it): set here, the row is written once, not inserted and
 * at once updated.
 */
export async function insertIncident(manager: EntityManager, incident: Incident, searchLexemes: readonly string[]): Promise<void> {
  const columns = manager.connection.getMetadata(Incident).columns;
  const { bind, params } = statementBuilder();
  await manager.query(
    `INSERT INTO triage.incidents (${columns.map((c) => c.databaseName).join(', ')}, search)
     VALUES (${columns.map((c) => bind(c.getEntityValue(incident))).join(', ')}, array_to_tsvector(${bind(searchLexemes)}::text[]))`,
    params,
  );
}

/**
 * Writes a changed incident back. The row is locked and known, so this is one UPDATE of every
 * column (TypeORM's save would read the row again first to work out what changed).
 */
export async function saveIncident(manager: EntityManager, incident: Incident): Promise<void> {
  const { id, createdAt: _createdAt, ...fields } = incident;
  await manager.createQueryBuilder().update(Incident).set(fields).where('id = :id', { id }).execute();
}

/** Several incidents locked in one order (by id), so that two merges never deadlock. */
export async function lockIncidents(manager: EntityManager, incidentIds: string[]): Promise<Incident[]> {
  if (incidentIds.length === 0) return [];
  return manager
    .createQueryBuilder(Incident, 'i')
    .setLock('for_no_key_update')
    .where('i.id IN (:...ids)', { ids: incidentIds })
    .orderBy('i.id')
    .getMany();
}

/** An incident event for the outbox, carrying the incident's snapshot after the change, keyed by incident. */
export function incidentEvent<E extends EventDefinition>(definition: E, incident: Incident, data: Omit<EventData<E>, 'incident'>, time?: Date): OutboxItem {
  const event = createEvent(definition, {
    source: '/vigil/triage',
    subject: incident.id,
    time,
    data: { ...data, incident: toSnapshot(incident) as IncidentSnapshot } as EventData<E>,
  });
  return { event, topic: Topics.incidents, key: incident.id };
}

/** Enqueues an incident event, carrying the incident's snapshot after the change, keyed by incident. */
export async function publishIncidentEvent<E extends EventDefinition>(
  manager: EntityManager,
  definition: E,
  incident: Incident,
  data: Omit<EventData<E>, 'incident'>,
  time?: Date,
): Promise<void> {
  await enqueueEvents(manager, 'triage', [incidentEvent(definition, incident, data, time)]);
}

export interface Occurrence {
  severity: AlertSeverity;
  category?: IncidentCategory | null;
  occurredAt?: string;
  receivedAt?: string;
  /** The most critical registered asset the occurrence names. */
  assetCriticality?: AssetCriticality | null;
  /** The smallest recovery time objective of the registered assets the occurrence names. */
  recoveryTimeObjectiveMinutes?: number | null;
  /** How many occurrences this is (a promoted alert may have repeated while it waited). */
  count?: number;
}

/**
 * More alert occurrences on an open incident (a correlated alert, a repeat, a promoted or moved
 * alert): the count goes up, the clock's occurredAt and detectedAt move earlier if this occurrence
 * saw the activity earlier, and — until an analyst classifies the incident — the classification
 * takes the worse impact and the more critical asset, and severity follows the matrix. An analyst's
 * classification stands. Not saved (see `countOccurrence` and `occurrencesUpdateSql`); the caller publishes.
 */
export function applyOccurrence(incident: Incident, occurrence: Occurrence, matrix: SeverityMatrix): void {
  incident.alertCount += occurrence.count ?? 1;
  incident.version += 1;
  // A time an analyst set by hand stands; otherwise the earliest evidence wins.
  if (occurrence.occurredAt && !incident.clockNotes.occurredAt) {
    const occurredAt = new Date(occurrence.occurredAt);
    if (occurredAt < incident.occurredAt) incident.occurredAt = occurredAt;
  }
  if (occurrence.receivedAt && !incident.clockNotes.detectedAt) {
    const receivedAt = new Date(occurrence.receivedAt);
    if (receivedAt < incident.detectedAt) incident.detectedAt = receivedAt;
  }
  incident.assetCriticality = moreCritical(incident.assetCriticality, occurrence.assetCriticality ?? null);
  incident.recoveryTimeObjectiveMinutes = smallerRecoveryTimeObjective(incident.recoveryTimeObjectiveMinutes, occurrence.recoveryTimeObjectiveMinutes ?? null);
  if (!incident.classifiedBy) {
    incident.functionalImpact = worseFunctionalImpact(incident.functionalImpact, functionalImpactFromAlert(occurrence.severity));
    if (incident.category === 'other' && occurrence.category) incident.category = occurrence.category;
    incident.severity = severityOf(incident, matrix);
  }
  incident.updatedAt = new Date();
}

/** `applyOccurrence`, saved. */
export async function countOccurrence(manager: EntityManager, incident: Incident, occurrence: Occurrence, matrix: SeverityMatrix): Promise<void> {
  applyOccurrence(incident, occurrence, matrix);
  await saveIncident(manager, incident);
}

/**
 * What `applyOccurrence` changes, for several incidents in one UPDATE (each row once), its one
 * value bound with `bind`. `extra`: more columns for each row (`columns`, name → SQL type; their
 * values from `of`), and more SET clauses over `v` (the row's values) and `t` (the stored row).
 */
export function occurrencesUpdateSql<I extends { incident: Incident }>(
  items: readonly I[],
  bind: Bind,
  extra: { columns: Record<string, string>; of: (item: I) => Record<string, unknown>; set: readonly string[] } = { columns: {}, of: () => ({}), set: [] },
): string {
  const rows = items.map((item) => {
    const i = item.incident;
    return {
      id: i.id,
      alert_count: i.alertCount,
      version: i.version,
      occurred_at: i.occurredAt,
      detected_at: i.detectedAt,
      asset_criticality: i.assetCriticality,
      recovery_time_objective_minutes: i.recoveryTimeObjectiveMinutes ?? null,
      functional_impact: i.functionalImpact,
      category: i.category,
      severity: i.severity,
      updated_at: i.updatedAt,
      ...extra.of(item),
    };
  });
  const types = Object.entries(extra.columns).map(([name, type]) => `, ${name} ${type}`).join('');
  return `UPDATE triage.incidents t SET alert_count = v.alert_count, version = v.version, occurred_at = v.occurred_at, detected_at = v.detected_at,
            asset_criticality = v.asset_criticality, recovery_time_objective_minutes = v.recovery_time_objective_minutes, functional_impact = v.functional_impact,
            category = v.category, severity = v.severity, updated_at = v.updated_at${extra.set.map((set) => `, ${set}`).join('')}
       FROM jsonb_to_recordset(${bind(JSON.stringify(rows))}::jsonb) AS v(id uuid, alert_count int, version int, occurred_at timestamptz, detected_at timestamptz,
            asset_criticality text, recovery_time_objective_minutes int, functional_impact text, category text, severity text, updated_at timestamptz${types})
      WHERE t.id = v.id`;
}

/** The smaller of two recovery time objectives, either of which may be unset. */
export function smallerRecoveryTimeObjective(a: number | null | undefined, b: number | null | undefined): number | null {
  if (a === null || a === undefined) return b ?? null;
  if (b === null || b === undefined) return a;
  return Math.min(a, b);
}
