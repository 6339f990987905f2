import { Injectable } from '@nestjs/common';
import { newestPerIncident, PlaybookDefinition, type IncidentSeverity, type IncidentSnapshot } from '@vigil/contracts';
import type { EntityManager } from 'typeorm';
import { slaMinutes } from '../library/playbook-rules';
import { playbookVersion } from '../library/playbook-store';

/**
 * When an incident's recovery time objective changes after it opened (an asset of a business service
 * with a tighter RTO joined it, or the register changed), its unfinished recovery tasks that have not
 * breached yet follow: due at the declaration plus the new RTO, or their step's SLA when none is set.
 * Snapshots without the field (older producers) change nothing.
 */
@Injectable()
export class FollowRecoveryTimeObjectiveHandler {
  /**
   * A run's snapshots (every event on the incidents topic carries one): each incident's newest, its playbook row locked and read with the others'
   * in one statement (in id order); only an incident whose RTO moved is written.
   */
  async handleRun(snapshots: readonly IncidentSnapshot[], manager: EntityManager): Promise<void> {
    const newest = newestPerIncident(
      snapshots.filter((s) => s.recoveryTimeObjectiveMinutes !== undefined),
      (s) => s,
    );
    if (newest.length === 0) return;
    const rows: Array<{ incident_id: string; playbook_key: string; version: number; severity: IncidentSeverity; declared_at: Date; recovery_time_objective_minutes: number | null }> =
      await manager.query(
        `SELECT incident_id, playbook_key, version, severity, declared_at, recovery_time_objective_minutes FROM tasking.incident_playbooks
          WHERE incident_id = ANY($1::uuid[]) ORDER BY incident_id FOR UPDATE`,
        [newest.map((s) => s.incidentId)],
      );
    const byIncident = new Map(rows.map((r) => [r.incident_id, r]));
    for (const snapshot of newest) {
      const row = byIncident.get(snapshot.incidentId);
      const rto = snapshot.recoveryTimeObjectiveMinutes ?? null;
      if (!row || row.recovery_time_objective_minutes === rto) continue;
      await manager.query(`UPDATE tasking.incident_playbooks SET recovery_time_objective_minutes = $2 WHERE incident_id = $1`, [snapshot.incidentId, rto]);
      const version = await playbookVersion(manager, row.playbook_key, row.version);
      if (!version) continue;
      for (const step of PlaybookDefinition.parse(version.definition).steps.filter((s) => s.phase === 'recovered')) {
        const due = new Date(row.declared_at.getTime() + slaMinutes(step, row.severity, rto) * 60_000);
        await manager.query(
          `UPDATE tasking.tasks SET due_at = $4
            WHERE incident_id = $1 AND playbook = $2 AND step_key = $3 AND status IN ('open', 'in_progress') AND sla_breached_at IS NULL`,
          [snapshot.incidentId, row.playbook_key, step.key, due],
        );
      }
    }
  }
}
