import type { IncidentPhase } from '@vigil/contracts';
import { Problem } from '@vigil/platform';
import type { EntityManager } from 'typeorm';

/**
 * Closing an incident needs its mandatory playbook tasks done or skipped (tasking tells triage about
 * them on the tasks topic): a 409 naming each open one otherwise.
 */
export async function assertMandatoryTasksFinishedBeforeClosing(manager: EntityManager, incidentId: string, to: IncidentPhase): Promise<void> {
  if (to !== 'closed') return;
  const open: Array<{ task_id: string; title: string }> = await manager.query(
    `SELECT task_id, title FROM triage.incident_mandatory_tasks WHERE incident_id = $1 AND state = 'open' ORDER BY updated_at, task_id`,
    [incidentId],
  );
  if (!open.length) return;
  throw new Problem(
    409,
    'Mandatory tasks open',
    `Incident ${incidentId} cannot be closed: ${open.length} mandatory task${open.length === 1 ? ' is' : 's are'} not done: ${open.map((t) => `"${t.title}"`).join(', ')}. Do or skip them first.`,
    { openMandatoryTasks: open.map((t) => ({ taskId: t.task_id, title: t.title })) },
  );
}
