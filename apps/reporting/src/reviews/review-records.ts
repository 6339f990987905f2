import {
  createEvent,
  ReviewOpenedV1,
  ReviewStateChangedV1,
  Topics,
  type ActionItemView,
  type KeyMoment,
  type ReviewState,
  type ReviewSummary,
} from '@vigil/contracts';
import { enqueueEvent } from '@vigil/messaging';
import { Problem } from '@vigil/platform';
import { randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { updateReturning } from '../persistence/sql';

type Query = Pick<EntityManager, 'query'>;

export interface ReviewRow {
  review_id: string;
  incident_id: string;
  state: ReviewState;
  version: number;
  exercise: boolean;
  opened_at: Date;
  updated_at: Date;
  completed_at: Date | null;
  completed_by: string | null;
  summary: string;
  impact: string;
  root_cause: string;
  contributing_factors: string[];
  what_worked: string[];
  what_did_not: string[];
  key_moments: KeyMoment[];
}

export interface ActionItemRow {
  action_item_id: string;
  incident_id: string;
  origin: 'review' | 'exercise';
  review_id: string | null;
  exercise_id: string | null;
  title: string;
  description: string | null;
  type: ActionItemView['type'];
  owner: string;
  due_at: Date;
  playbook_version_id: string | null;
  capability: string | null;
  exercise: boolean;
  status: ActionItemView['status'];
  task_id: string | null;
  created_at: Date;
  created_by: string;
  completed_at: Date | null;
  completed_by: string | null;
}

const iso = (d: Date | null) => (d ? d.toISOString() : null);

export function toReviewSummary(r: ReviewRow): ReviewSummary {
  return { reviewId: r.review_id, incidentId: r.incident_id, state: r.state, exercise: r.exercise, version: r.version };
}

export function toActionItemView(a: ActionItemRow, now: Date): ActionItemView {
  return {
    actionItemId: a.action_item_id,
    incidentId: a.incident_id,
    origin: a.origin,
    reviewId: a.review_id,
    exerciseId: a.exercise_id,
    title: a.title,
    description: a.description,
    type: a.type,
    owner: a.owner,
    dueAt: a.due_at.toISOString(),
    playbookVersionId: a.playbook_version_id,
    exercise: a.exercise,
    status: a.status,
    overdue: a.status === 'open' && a.due_at.getTime() < now.getTime(),
    taskId: a.task_id,
    createdAt: a.created_at.toISOString(),
    createdBy: a.created_by,
    completedAt: iso(a.completed_at),
    completedBy: a.completed_by,
    capability: a.capability,
  };
}

export async function findReview(manager: Query, incidentId: string, lock = false): Promise<ReviewRow | undefined> {
  const [row] = (await manager.query(`SELECT * FROM reporting.reviews WHERE incident_id = $1${lock ? ' FOR UPDATE' : ''}`, [incidentId])) as ReviewRow[];
  return row;
}

/** The review of an incident, or a 404 that says a review opens when the incident enters post_incident. */
export async function reviewOf(manager: Query, incidentId: string, lock = false): Promise<ReviewRow> {
  const row = await findReview(manager, incidentId, lock);
  if (!row) {
    throw new Problem(404, 'Not found', `Incident ${incidentId} has no post-incident review: one opens when the incident enters post_incident.`);
  }
  return row;
}

export async function actionItemsWhere(manager: Query, column: 'incident_id' | 'exercise_id', id: string): Promise<ActionItemRow[]> {
  return (await manager.query(`SELECT * FROM reporting.action_items WHERE ${column} = $1 ORDER BY created_at, action_item_id`, [id])) as ActionItemRow[];
}

/**
 * Opens the review of an incident that entered post_incident, once: a second call (a replayed
 * event, the start-up backfill) changes nothing. The opening is announced on vigil.reviews.v1, so
 * that triage knows closing must wait for it.
 */
export async function openReview(manager: EntityManager, incident: { incidentId: string; exercise: boolean }, at: Date): Promise<boolean> {
  const opened = (await manager.query(
    `INSERT INTO reporting.reviews (review_id, incident_id, state, version, exercise, opened_at, updated_at)
     VALUES ($1, $2, 'draft', 1, $3, $4, $4) ON CONFLICT (incident_id) DO NOTHING RETURNING *`,
    [randomUUID(), incident.incidentId, incident.exercise, at],
  )) as ReviewRow[];
  if (opened.length === 0) return false;
  const review = opened[0];
  await enqueueEvent(
    manager,
    'reporting',
    createEvent(ReviewOpenedV1, { source: '/vigil/reporting', subject: review.incident_id, time: at, data: { review: toReviewSummary(review), openedAt: at.toISOString() } }),
    { topic: Topics.reviews, key: review.incident_id },
  );
  return true;
}

/** Moves a review to another state, bumping its version, with the event in the same transaction. */
export async function changeReviewState(manager: EntityManager, review: ReviewRow, to: ReviewState, actor: string, reason: string | null, now: Date): Promise<ReviewRow> {
  const [updated] = await updateReturning<ReviewRow>(
    manager,
    `UPDATE reporting.reviews SET state = $2, version = version + 1, updated_at = $3,
            completed_at = CASE WHEN $2 = 'completed' THEN $3 ELSE completed_at END,
            completed_by = CASE WHEN $2 = 'completed' THEN $4 ELSE completed_by END
      WHERE review_id = $1 RETURNING *`,
    [review.review_id, to, now, actor],
  );
  await enqueueEvent(
    manager,
    'reporting',
    createEvent(ReviewStateChangedV1, {
      source: '/vigil/reporting',
      subject: review.incident_id,
      time: now,
      data: { review: toReviewSummary(updated), from: review.state, to, actor, reason },
    }),
    { topic: Topics.reviews, key: review.incident_id },
  );
  return updated;
}
