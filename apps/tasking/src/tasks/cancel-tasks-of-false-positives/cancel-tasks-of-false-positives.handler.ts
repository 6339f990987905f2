import { Injectable } from '@nestjs/common';
import type { EventData, IncidentPhaseChangedV1 } from '@vigil/contracts';
import type { EntityManager } from 'typeorm';
import { cancelUnfinishedTasks } from '../cancel-tasks';

/**
 * On an incident moved to false_positive: its open and started tasks are cancelled with the reason
 * (there is nothing to respond to). Done and skipped tasks stay as they are, the record of work done.
 */
@Injectable()
export class CancelTasksOfFalsePositivesHandler {
  async handle(d: EventData<typeof IncidentPhaseChangedV1>, time: string, manager: EntityManager): Promise<void> {
    if (d.to !== 'false_positive') return;
    const incidentId = d.incident.incidentId;
    const at = new Date(time);
    const reason = `incident closed as a false positive by ${d.actor}${d.reason ? `: ${d.reason}` : ''}`;
    await cancelUnfinishedTasks(manager, { incidentIds: [incidentId], at, reason, actor: d.actor, mergedInto: null });
  }
}
