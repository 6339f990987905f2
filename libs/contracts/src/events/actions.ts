import { z } from 'zod';
import { ActionKind, ActionTarget } from '../api/actions';
import { Topics } from '../topics';
import { AssetCriticality, Timestamp, VigilRole } from '../vocabulary';
import { defineEvent } from './define-event';

/**
 * Response actions (tasking) on the incident's timeline: requested, each approval, and how it
 * ended (executed or failed, refused and expired included); an undo and a break-glass review.
 * On vigil.tasks.v1, keyed by incident id. Nothing secret: no signing key, no response body.
 */

const ActionRef = {
  actionId: z.uuid(),
  incidentId: z.uuid(),
  kind: ActionKind,
  target: ActionTarget,
};

export const ActionRequestedV1 = defineEvent(
  'vigil.action.requested.v1',
  Topics.tasks,
  z.object({
    ...ActionRef,
    taskId: z.uuid().nullable(),
    connector: z.object({ connectorId: z.uuid(), name: z.string() }),
    reason: z.string(),
    criticality: AssetCriticality,
    approvalsRequired: z.int().min(0).describe('0 for break-glass and undo'),
    approverRoles: z.array(VigilRole),
    expiresAt: Timestamp.nullable(),
    requestedBy: z.string(),
    requestedAt: Timestamp,
    breakGlass: z.object({ reason: z.string() }).nullable(),
    undoOf: z.uuid().nullable(),
  }),
);

export const ActionApprovedV1 = defineEvent(
  'vigil.action.approved.v1',
  Topics.tasks,
  z.object({
    ...ActionRef,
    approver: z.string(),
    roles: z.array(VigilRole),
    approvals: z.int().describe('approvals so far, this one included'),
    approvalsRequired: z.int(),
    approvedAt: Timestamp,
  }),
);

export const ActionExecutedV1 = defineEvent(
  'vigil.action.executed.v1',
  Topics.tasks,
  z.object({
    ...ActionRef,
    statusCode: z.int(),
    attempts: z.int(),
    breakGlass: z.boolean(),
    undoOf: z.uuid().nullable(),
    executedAt: Timestamp,
  }),
);

export const ActionFailedV1 = defineEvent(
  'vigil.action.failed.v1',
  Topics.tasks,
  z.object({
    ...ActionRef,
    outcome: z
      .enum(['failed', 'refused', 'expired', 'rejected', 'interrupted'])
      .describe(
        'failed (the connector answered an error or could not be reached), refused (the outbound guard would not call it), expired (approvals lapsed), ' +
          'rejected (an approver rejected it, or its requester withdrew it, before it ran), interrupted (the service stopped while sending it: the outcome at the connector is unknown)',
      ),
    error: z.string(),
    attempts: z.int(),
    at: Timestamp,
  }),
);

export const ActionUndoneV1 = defineEvent(
  'vigil.action.undone.v1',
  Topics.tasks,
  z.object({
    ...ActionRef,
    undoActionId: z.uuid(),
    undoKind: ActionKind,
    actor: z.string(),
    undoneAt: Timestamp,
  }),
);

export const ActionReviewedV1 = defineEvent(
  'vigil.action.reviewed.v1',
  Topics.tasks,
  z.object({
    ...ActionRef,
    reviewer: z.string(),
    note: z.string(),
    reviewedAt: Timestamp,
  }),
);
