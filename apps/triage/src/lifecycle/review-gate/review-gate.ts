import type { IncidentPhase } from '@vigil/contracts';
import { Problem } from '@vigil/platform';
import type { EntityManager } from 'typeorm';

/**
 * Lessons learned come before closing: an incident that went through post_incident is closed only
 * once its post-incident review (kept by reporting) is completed. Triage knows the review's state
 * from reporting's events; until the first one arrives, there is no review to speak of.
 */
export function reviewGateProblem(incidentId: string, review: { state: string } | undefined): Problem | undefined {
  if (review?.state === 'completed') return undefined;
  const why = review
    ? `its post-incident review is ${review.state === 'in_review' ? 'in review' : 'a draft'}, not completed`
    : 'its post-incident review has not been opened yet (reporting opens it when the incident enters post_incident)';
  return new Problem(409, 'Review not completed', `Incident ${incidentId} cannot be closed: ${why}. Complete the review first.`, {
    reviewState: review?.state ?? null,
    requiredReviewState: 'completed',
  });
}

export async function assertReviewCompletedBeforeClosing(manager: EntityManager, incidentId: string, to: IncidentPhase): Promise<void> {
  if (to !== 'closed') return;
  const [review] = (await manager.query(`SELECT state FROM triage.incident_reviews WHERE incident_id = $1`, [incidentId])) as Array<{ state: string }>;
  const problem = reviewGateProblem(incidentId, review);
  if (problem) throw problem;
}
