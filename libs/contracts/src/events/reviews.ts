import { z } from 'zod';
import { Topics } from '../topics';
import { Timestamp } from '../vocabulary';
import { defineEvent } from './define-event';

/**
 * The post-incident review (lessons learned): reporting opens one when an incident enters
 * `post_incident`; it is drafted, put in review and completed. Triage will not close an incident
 * before its review is completed.
 */
export const ReviewState = z.enum(['draft', 'in_review', 'completed']);
export type ReviewState = z.infer<typeof ReviewState>;

/** What an action item changes: detection (a rule, a sensor), a control, a playbook, or training. */
export const ActionItemType = z.enum(['detection', 'control', 'playbook_change', 'training']);
export type ActionItemType = z.infer<typeof ActionItemType>;

/** The review as each review event leaves it; a consumer keeps the newest `version`. */
export const ReviewSummary = z.object({
  reviewId: z.uuid(),
  incidentId: z.uuid(),
  state: ReviewState,
  exercise: z.boolean(),
  version: z.int().positive(),
});
export type ReviewSummary = z.infer<typeof ReviewSummary>;

/** Follow-up work decided in a review or an exercise's improvement plan; tasking makes it a task. */
export const ActionItem = z.object({
  actionItemId: z.uuid(),
  incidentId: z.uuid().describe('the incident the work follows from (for an exercise: its exercise incident)'),
  origin: z.enum(['review', 'exercise']),
  reviewId: z.uuid().nullable(),
  exerciseId: z.uuid().nullable(),
  title: z.string(),
  type: ActionItemType,
  owner: z.string().describe('the person who owns the work, by identity subject or e-mail address'),
  dueAt: Timestamp,
  playbookVersionId: z.string().nullable().describe('for a playbook change: the playbook version that carries it, once there is one'),
  exercise: z.boolean().describe('whether its incident is an exercise incident'),
});
export type ActionItem = z.infer<typeof ActionItem>;

export const ReviewOpenedV1 = defineEvent(
  'vigil.review.opened.v1',
  Topics.reviews,
  z.object({ review: ReviewSummary, openedAt: Timestamp }),
);

export const ReviewStateChangedV1 = defineEvent(
  'vigil.review.state-changed.v1',
  Topics.reviews,
  z.object({ review: ReviewSummary, from: ReviewState, to: ReviewState, actor: z.string(), reason: z.string().nullable() }),
);

export const ReviewActionItemAddedV1 = defineEvent(
  'vigil.review.action-item-added.v1',
  Topics.reviews,
  z.object({ actionItem: ActionItem, actor: z.string() }),
);
