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

export async function readFacts(manager: Pick<EntityManager, 'query'>, incidentId: string): Promise<IncidentFacts | null> {
  const [row]: FactsRow[] = await manager.query(`SELECT * FROM tasking.incident_facts WHERE incident_id = $1`, [incidentId]);
  return row ? fromRow(row) : null;
}

/**
 * Records the facts of a snapshot unless a newer one was read already (events of one incident
 * arrive in order on one topic, but a replay must not move them back). Returns the facts before
 * and after, which is what a trigger compares (e.g. did the severity rise?).
 */
export async function recordFacts(manager: Pick<EntityManager, 'query'>, snapshot: IncidentSnapshot): Promise<RecordedFacts> {
  return (await recordFactsOf(manager, [snapshot])).get(snapshot.incidentId)!;
}

export interface RecordedFacts {
  before: IncidentFacts | null;
  after: IncidentFacts;
  stale: boolean;
}

/**
 * `recordFacts` for several incidents' snapshots (one each) at once: their rows locked and read in
 * one statement (in id order), the newer ones written in another.
 */
export async function recordFactsOf(manager: Pick<EntityManager, 'query'>, snapshots: readonly IncidentSnapshot[]): Promise<Map<string, RecordedFacts>> {
  const ids = snapshots.map((s) => s.incidentId).sort();
  const rows: FactsRow[] = await manager.query(`SELECT * FROM tasking.incident_facts WHERE incident_id = ANY($1::uuid[]) ORDER BY incident_id FOR UPDATE`, [ids]);
  const stored = new Map(rows.map((r) => [r.incident_id, fromRow(r)]));
  const recorded = new Map<string, RecordedFacts>();
  const changed: IncidentFacts[] = [];
  for (const snapshot of snapshots) {
    const before = stored.get(snapshot.incidentId) ?? null;
    const next = factsOf(snapshot);
    if (before && before.version >= next.version) {
      recorded.set(snapshot.incidentId, { before, after: before, stale: true });
      continue;
    }
    changed.push(next);
    recorded.set(snapshot.incidentId, { before, after: next, stale: false });
  }
  if (changed.length > 0) {
    await manager.query(
      `INSERT INTO tasking.incident_facts (incident_id, title, severity, category, phase, exercise, restricted, asset_criticality, acknowledged_at, version)
       SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::boolean[], $7::boolean[], $8::text[], $9::timestamptz[], $10::int[])
       ON CONFLICT (incident_id) DO UPDATE SET title = EXCLUDED.title, severity = EXCLUDED.severity, category = EXCLUDED.category, phase = EXCLUDED.phase,
         exercise = EXCLUDED.exercise, restricted = EXCLUDED.restricted, asset_criticality = EXCLUDED.asset_criticality,
         acknowledged_at = EXCLUDED.acknowledged_at, version = EXCLUDED.version`,
      [
        changed.map((f) => f.incidentId),
        changed.map((f) => f.title),
        changed.map((f) => f.severity),
        changed.map((f) => f.category),
        changed.map((f) => f.phase),
        changed.map((f) => f.exercise),
        changed.map((f) => f.restricted),
        changed.map((f) => f.assetCriticality),
        changed.map((f) => f.acknowledgedAt),
        changed.map((f) => f.version),
      ],
    );
  }
  return recorded;
}
