import { z } from 'zod';
import { ActionItem, ActionItemType, ReviewState } from '../events/reviews';
import { Timestamp } from '../vocabulary';
import { Actor, Reason, TimelineEntry } from './incident';

const Text = z.string().trim().max(20_000);
const Points = z.array(z.string().trim().min(1).max(2000)).max(100);

/** A moment of the incident's timeline the review calls out (first beacon, containment, …). */
export const KeyMoment = z.strictObject({
  eventId: z.string().min(1).max(200).describe('the timeline entry (its eventId)'),
  label: z.string().trim().min(1).max(200).describe('why it matters, e.g. "first sign of lateral movement"'),
});
export type KeyMoment = z.infer<typeof KeyMoment>;

/** The written part of a review; every field optional, so a draft can be saved as it grows. */
export const UpdateReview = z
  .strictObject({
    summary: Text.optional().describe('what happened, in a few sentences'),
    impact: Text.optional().describe('who and what was affected, for how long, at what cost'),
    rootCause: Text.optional(),
    contributingFactors: Points.optional(),
    whatWorked: Points.optional(),
    whatDidNot: Points.optional(),
    keyMoments: z.array(KeyMoment).max(200).optional().describe('replaces the marked moments of the timeline'),
  })
  .meta({
    id: 'UpdateReview',
    examples: [
      {
        summary: 'An attacker used a phished VPN password to reach web-01 and dump credentials.',
        rootCause: 'VPN accounts without a second factor.',
        contributingFactors: ['EDR alert routed to a shared mailbox at night'],
        whatWorked: ['Isolation of web-01 within 40 minutes'],
        whatDidNot: ['Nobody on call saw the first alert'],
      },
    ],
  });
export type UpdateReview = z.infer<typeof UpdateReview>;

export const TransitionReview = z
  .strictObject({
    to: z.enum(['draft', 'in_review']).describe('in_review: ready for the IR manager; draft: sent back for more work'),
    reason: Reason.optional(),
  })
  .meta({ id: 'TransitionReview', examples: [{ to: 'in_review' }] });
export type TransitionReview = z.infer<typeof TransitionReview>;

export const CompleteReview = z
  .strictObject({ reason: Reason.optional() })
  .meta({ id: 'CompleteReview', examples: [{}] });
export type CompleteReview = z.infer<typeof CompleteReview>;

export const AddActionItem = z
  .strictObject({
    title: z.string().trim().min(1).max(500),
    description: z.string().trim().max(20_000).optional(),
    type: ActionItemType,
    owner: Actor,
    dueAt: Timestamp,
    playbookVersionId: z.string().trim().min(1).max(200).optional().describe('for a playbook change: the playbook version that carries it'),
  })
  .meta({
    id: 'AddActionItem',
    examples: [{ title: 'Alert on lsass reads by unsigned binaries', type: 'detection', owner: 'u-alice', dueAt: '2026-12-10T17:00:00Z' }],
  });
export type AddActionItem = z.infer<typeof AddActionItem>;

/** Links a playbook change to the playbook version that resolved it (or unlinks it with null). */
export const UpdateActionItem = z
  .strictObject({ playbookVersionId: z.string().trim().min(1).max(200).nullable() })
  .meta({ id: 'UpdateActionItem', examples: [{ playbookVersionId: 'ransomware@3' }] });
export type UpdateActionItem = z.infer<typeof UpdateActionItem>;

export const ActionItemStatus = z.enum(['open', 'done', 'cancelled']);
export type ActionItemStatus = z.infer<typeof ActionItemStatus>;

export const ActionItemView = ActionItem.extend({
  description: z.string().nullable(),
  status: ActionItemStatus.describe('follows its task in tasking: done when the task is done'),
  overdue: z.boolean().describe('open and past its due time'),
  taskId: z.uuid().nullable().describe('the task tasking made of it (null until tasking has made it)'),
  createdAt: Timestamp,
  createdBy: z.string(),
  completedAt: Timestamp.nullable(),
  completedBy: z.string().nullable(),
  capability: z.string().nullable().optional().describe('for an exercise\'s improvement plan item: the capability it improves'),
}).meta({ id: 'ActionItem' });
export type ActionItemView = z.infer<typeof ActionItemView>;

export const ActionItemList = z.object({ items: z.array(ActionItemView) }).meta({ id: 'ActionItemList' });

export const ReviewTimelineEntry = TimelineEntry.extend({
  keyMoment: z.string().nullable().describe('the label of a key moment, if the review marked this entry'),
}).meta({ id: 'ReviewTimelineEntry' });

export const ReviewView = z
  .object({
    reviewId: z.uuid(),
    incidentId: z.uuid(),
    state: ReviewState,
    version: z.int().positive().describe('also the ETag: send it in If-Match to change the review'),
    exercise: z.boolean(),
    openedAt: Timestamp,
    updatedAt: Timestamp,
    completedAt: Timestamp.nullable(),
    completedBy: z.string().nullable(),
    summary: z.string(),
    impact: z.string(),
    rootCause: z.string(),
    contributingFactors: z.array(z.string()),
    whatWorked: z.array(z.string()),
    whatDidNot: z.array(z.string()),
    keyMoments: z.array(KeyMoment),
    timeline: z.array(ReviewTimelineEntry),
    actionItems: z.array(ActionItemView),
  })
  .meta({ id: 'Review' });
export type ReviewView = z.infer<typeof ReviewView>;
