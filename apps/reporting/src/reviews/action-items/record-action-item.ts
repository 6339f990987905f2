import { createEvent, ReviewActionItemAddedV1, Topics, type ActionItem } from '@vigil/contracts';
import { enqueueEvent } from '@vigil/messaging';
import type { EntityManager } from 'typeorm';
import type { ActionItemRow } from '../review-records';

/**
 * Records an action item (of a review, or of an exercise's improvement plan) and announces it on
 * vigil.reviews.v1 in the same transaction: tasking makes a task of it, whose completion closes it.
 */
export async function recordActionItem(manager: EntityManager, item: ActionItem, details: { description: string | null; actor: string; at: Date; capability?: string | null }): Promise<ActionItemRow> {
  const [row] = (await manager.query(
    `INSERT INTO reporting.action_items (action_item_id, incident_id, origin, review_id, exercise_id, title, description, type, owner, due_at,
                                         playbook_version_id, exercise, status, created_at, created_by, capability)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 'open', $13, $14, $15) RETURNING *`,
    [
      item.actionItemId,
      item.incidentId,
      item.origin,
      item.reviewId,
      item.exerciseId,
      item.title,
      details.description,
      item.type,
      item.owner,
      new Date(item.dueAt),
      item.playbookVersionId,
      item.exercise,
      details.at,
      details.actor,
      details.capability ?? null,
    ],
  )) as ActionItemRow[];
  await enqueueEvent(
    manager,
    'reporting',
    createEvent(ReviewActionItemAddedV1, { source: '/vigil/reporting', subject: item.incidentId, time: details.at, data: { actionItem: item, actor: details.actor } }),
    { topic: Topics.reviews, key: item.incidentId },
  );
  return row;
}
