import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The smallest recovery time objective among an incident's registered assets (their business
 * services'), kept as alerts attach assets: incident events carry it, and tasking times the
 * recovery steps by it. Filled for open incidents from the assets already linked.
 */
export class IncidentRecoveryTimeObjective1765500000000 implements MigrationInterface {
  name = 'IncidentRecoveryTimeObjective1765500000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE triage.incidents ADD COLUMN IF NOT EXISTS recovery_time_objective_minutes int CHECK (recovery_time_objective_minutes > 0)`);
    await q.query(`UPDATE triage.incidents i SET recovery_time_objective_minutes = r.rto
                     FROM (SELECT l.incident_id, min(a.recovery_time_objective_minutes) AS rto
                             FROM triage.incident_assets l JOIN triage.assets a ON a.id = l.asset_id
                            GROUP BY l.incident_id) r
                    WHERE r.incident_id = i.id AND r.rto IS NOT NULL AND i.closed_at IS NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE triage.incidents DROP COLUMN IF EXISTS recovery_time_objective_minutes`);
  }
}
