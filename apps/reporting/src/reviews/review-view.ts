import type { ReviewView } from '@vigil/contracts';
import type { EntityManager } from 'typeorm';
import { incidentTimeline } from '../timeline/timeline-entries';
import { actionItemsWhere, toActionItemView, type ReviewRow } from './review-records';

/** A review as the API and the reports show it: its text, its timeline with key moments marked, its action items. */
export async function reviewView(manager: Pick<EntityManager, 'query'>, review: ReviewRow, now: Date): Promise<ReviewView> {
  const [timeline, items] = await Promise.all([incidentTimeline(manager, review.incident_id), actionItemsWhere(manager, 'incident_id', review.incident_id)]);
  const marked = new Map(review.key_moments.map((m) => [m.eventId, m.label]));
  return {
    reviewId: review.review_id,
    incidentId: review.incident_id,
    state: review.state,
    version: review.version,
    exercise: review.exercise,
    openedAt: review.opened_at.toISOString(),
    updatedAt: review.updated_at.toISOString(),
    completedAt: review.completed_at ? review.completed_at.toISOString() : null,
    completedBy: review.completed_by,
    summary: review.summary,
    impact: review.impact,
    rootCause: review.root_cause,
    contributingFactors: review.contributing_factors,
    whatWorked: review.what_worked,
    whatDidNot: review.what_did_not,
    keyMoments: review.key_moments,
    timeline: timeline.map((e) => ({ ...e, keyMoment: marked.get(e.eventId) ?? null })),
    actionItems: items.map((a) => toActionItemView(a, now)),
  };
}
