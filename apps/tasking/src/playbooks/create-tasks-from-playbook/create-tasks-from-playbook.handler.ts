import { Injectable } from '@nestjs/common';
import type { EventData, IncidentOpenedV1 } from '@vigil/contracts';
import type { EntityManager } from 'typeorm';
import { lockTasksOfIncidents } from '../../tasks/merged-incident-lock';
import { applyPlaybook, tasksForSteps } from '../apply-playbook/apply-playbook';
import { choosePlaybook } from '../library/playbook-rules';
import { latestPlaybooks, stored } from '../library/playbook-store';

/**
 * On incident opened: the playbook chosen for the incident (by category, severity, asset criticality
 * and exercise; the default otherwise), at its newest version, gives one task per step, due relative
 * to when the incident was declared. The incident keeps that version (an IR manager can move it).
 * None for an incident already merged into another (its merge was read first): that one has them.
 * The merge may be applied at this very moment on another partition: the lock makes one of the two
 * wait for the other, so a merge committed first is seen here, and tasks committed first are
 * cancelled by the merge.
 */
@Injectable()
export class CreateTasksFromPlaybookHandler {
  async handle({ incident }: EventData<typeof IncidentOpenedV1>, manager: EntityManager): Promise<void> {
    await lockTasksOfIncidents(manager, [incident.incidentId]);
    const merged: unknown[] = await manager.query(`SELECT 1 FROM tasking.merged_incidents WHERE incident_id = $1`, [incident.incidentId]);
    if (merged.length > 0) return;
    const already: unknown[] = await manager.query(`SELECT 1 FROM tasking.incident_playbooks WHERE incident_id = $1`, [incident.incidentId]);
    if (already.length > 0) return;
    const playbooks = (await latestPlaybooks(manager)).map(stored);
    const playbook = choosePlaybook(playbooks, {
      category: incident.category,
      severity: incident.severity,
      assetCriticality: incident.classification?.assetCriticality ?? null,
      exercise: incident.exercise,
    });
    if (!playbook) return; // no default playbook: the team removed it on purpose
    const subject = {
      incidentId: incident.incidentId,
      severity: incident.severity,
      declaredAt: new Date(incident.timestamps.declaredAt),
      exercise: incident.exercise,
      rtoMinutes: incident.recoveryTimeObjectiveMinutes ?? null,
    };
    const now = new Date();
    const tasks = tasksForSteps(manager, subject, playbook, playbook.steps, now);
    await applyPlaybook(manager, subject, playbook, { tasks, allTasks: tasks, previousVersion: null, dropped: [], actor: 'vigil' }, now);
  }
}
