import type { AssetCriticality, IncidentCategory, IncidentPhase, IncidentSeverity, IncidentSnapshot } from '@vigil/contracts';
import type { EntityManager } from 'typeorm';

/** What escalation triggers and rules look at, from the newest incident snapshot tasking has read. */
export interface IncidentFacts {
  incidentId: string;
  title: string;
  severity: IncidentSeverity;
  category: IncidentCategory;
  phase: IncidentPhase;
  exercise: boolean;
  restricted: boolean;
  assetCriticality: AssetCriticality | null;
  acknowledgedAt: string | null;
  version: number;
}

export const TERMINAL_PHASES: readonly IncidentPhase[] = ['closed', 'false_positive', 'merged'];

export const SEVERITY_RANK: Record<IncidentSeverity, number> = { SEV4: 1, SEV3: 2, SEV2: 3, SEV1: 4 };

export function factsOf(s: IncidentSnapshot): IncidentFacts {
  return {
    incidentId: s.incidentId,
    title: s.title,
    severity: s.severity,
    category: s.category,
    phase: s.phase,
    exercise: s.exercise,
    restricted: s.restricted ?? false,
    assetCriticality: s.classification?.assetCriticality ?? null,
    acknowledgedAt: s.timestamps.acknowledgedAt,
    version: s.version,
  };
}

interface FactsRow {
  incident_id: string;
  title: string;
  severity: IncidentSeverity;
  category: IncidentCategory;
  phase: IncidentPhase;
  exercise: boolean;
  restricted: boolean;
  asset_criticality: AssetCriticality | null;
  acknowledged_at: Date | null;
  version: number;
}

const fromRow = (r: FactsRow): IncidentFacts => ({
  incidentId: r.incident_id,
  title: r.title,
  severity: r.severity,
  category: r.category,
  phase: r.phase,
  exercise: r.exercise,
  restricted: r.restricted,
  assetCriticality: r.asset_criticality,
  acknowledgedAt: r.acknowledged_at?.toISOString() ?? null,
  version: r.version,
});

export async function readFacts(manager: Pick<EntityManager, 'query'>, incidentId: string, lock = false): Promise<IncidentFacts | null> {
  const [row]: FactsRow[] = await manager.query(`SELECT * FROM tasking.incident_facts WHERE incident_id = $1 ${lock ? 'FOR UPDATE' : ''}`, [incidentId]);
  return row ? fromRow(row) : null;
}

/**
 * Records the facts of a snapshot unless a newer one was read already (events of one incident
 * arrive in order on one topic, but a replay must not move them back). Returns the facts before
 * and after, which is what a trigger compares (e.g. did the severity rise?).
 */
export async function recordFacts(manager: Pick<EntityManager, 'query'>, snapshot: IncidentSnapshot): Promise<{ before: IncidentFacts | null; after: IncidentFacts; stale: boolean }> {
  const before = await readFacts(manager, snapshot.incidentId, true);
  const next = factsOf(snapshot);
  if (before && before.version >= next.version) return { before, after: before, stale: true };
  await manager.query(
    `INSERT INTO tasking.incident_facts (incident_id, title, severity, category, phase, exercise, restricted, asset_criticality, acknowledged_at, version)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
     ON CONFLICT (incident_id) DO UPDATE SET title = EXCLUDED.title, severity = EXCLUDED.severity, category = EXCLUDED.category, phase = EXCLUDED.phase,
       exercise = EXCLUDED.exercise, restricted = EXCLUDED.restricted, asset_criticality = EXCLUDED.asset_criticality,
       acknowledged_at = EXCLUDED.acknowledged_at, version = EXCLUDED.version`,
    [next.incidentId, next.title, next.severity, next.category, next.phase, next.exercise, next.restricted, next.assetCriticality, next.acknowledgedAt, next.version],
  );
  return { before, after: next, stale: false };
}
