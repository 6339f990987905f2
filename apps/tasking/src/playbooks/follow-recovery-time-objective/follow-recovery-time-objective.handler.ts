import { Injectable } from '@nestjs/common';
import { PlaybookDefinition, type IncidentSeverity, type IncidentSnapshot } from '@vigil/contracts';
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
  /** Takes any incident event's snapshot (every event on the incidents topic carries one). */
  async handle(snapshot: IncidentSnapshot | undefined, manager: EntityManager): Promise<void> {
    if (!snapshot || snapshot.recoveryTimeObjectiveMinutes === undefined) return;
    const rto = snapshot.recoveryTimeObjectiveMinutes;
    const [row]: Array<{ playbook_key: string; version: number; severity: IncidentSeverity; declared_at: Date; recovery_time_objective_minutes: number | null }> = await manager.query(
      `SELECT playbook_key, version, severity, declared_at, recovery_time_objective_minutes FROM tasking.incident_playbooks WHERE incident_id = $1 FOR UPDATE`,
      [snapshot.incidentId],
    );
    if (!row || row.recovery_time_objective_minutes === rto) return;
    await manager.query(`UPDATE tasking.incident_playbooks SET recovery_time_objective_minutes = $2 WHERE incident_id = $1`, [snapshot.incidentId, rto]);
    const version = await playbookVersion(manager, row.playbook_key, row.version);
    if (!version) return;
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
