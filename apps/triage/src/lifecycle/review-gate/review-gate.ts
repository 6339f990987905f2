import type { IncidentPhase } from '@vigil/contracts';
import { Problem } from '@vigil/platform';
import type { EntityManager } from 'typeorm';
import { reviewGateRefusal } from './review-gate-rule';

/** Closing an incident needs its post-incident review completed: a 409 naming why otherwise. */
export async function assertReviewCompletedBeforeClosing(manager: EntityManager, incidentId: string, to: IncidentPhase): Promise<void> {
  if (to !== 'closed') return;
  const [review] = (await manager.query(`SELECT state FROM triage.incident_reviews WHERE incident_id = $1`, [incidentId])) as Array<{ state: string }>;
  const refusal = reviewGateRefusal(incidentId, review);
  if (refusal) throw new Problem(409, 'Review not completed', refusal.detail, { reviewState: refusal.reviewState, requiredReviewState: 'completed' });
}
