import { ACTION_KINDS, type ActionKind, type ActionStatus, type ActionTarget, type ActionView, type AssetCriticality, type ConnectorKind, type VigilRole } from '@vigil/contracts';
import type { EntityManager } from 'typeorm';
import type { RenderedRequest } from './templates/render-request';

type Db = Pick<EntityManager, 'query'>;

export interface ActionPolicySnapshot {
  name: string;
  policyId: string | null;
  approverRoles: VigilRole[];
  approvals: number;
  expiresAfterMinutes: number;
}

export interface ActionRow {
  id: string;
  incident_id: string;
  task_id: string | null;
  connector_id: string;
  connector_name: string;
  connector_kind: ConnectorKind;
  kind: ActionKind;
  target: ActionTarget;
  parameters: Record<string, string | number | boolean>;
  reason: string;
  criticality: AssetCriticality;
  criticality_source: ActionView['criticalitySource'];
  policy: ActionPolicySnapshot;
  request: RenderedRequest;
  status: ActionStatus;
  requested_by: string;
  requested_at: Date;
  expires_at: Date | null;
  executed_at: Date | null;
  error: string | null;
  break_glass_reason: string | null;
  reviewed_at: Date | null;
  reviewed_by: string | null;
  review_note: string | null;
  undo_of: string | null;
  undone_by: string | null;
  rejected_by: string | null;
  rejected_at: Date | null;
  rejection_reason: string | null;
  rejection_withdrawn: boolean | null;
  executing_since: Date | null;
}

export const SELECT_ACTIONS = `SELECT a.*, c.name AS connector_name, c.kind AS connector_kind FROM tasking.response_actions a JOIN tasking.action_connectors c ON c.id = a.connector_id`;

export const SIGNATURE_NOTE = 'Vigil-Signature: t=<unix seconds when sent>,v1=<hex HMAC-SHA256 of "<t>.<body>" with the connector\'s key>';

/** The exact request, as the dry run shows it: the signature is made at sending time. */
export const previewOf = (r: RenderedRequest): ActionView['request'] => ({ method: r.method, url: r.url, headers: r.headers, body: r.body, signature: SIGNATURE_NOTE });

/** An action awaiting approval past its expiry shows as expired even before anyone touches it. */
export function statusAt(row: Pick<ActionRow, 'status' | 'expires_at'>, now: Date): ActionStatus {
  return row.status === 'awaiting_approval' && row.expires_at && row.expires_at <= now ? 'expired' : row.status;
}

export async function loadActionRows(db: Db, where: string, params: unknown[], limit?: number): Promise<ActionRow[]> {
  return db.query(`${SELECT_ACTIONS} WHERE ${where} ORDER BY a.requested_at, a.id${limit === undefined ? '' : ` LIMIT ${Math.trunc(limit)}`}`, params);
}

/** Views of actions with their approvals and attempts. */
export async function toActionViews(db: Db, rows: ActionRow[], now: Date): Promise<ActionView[]> {
  if (rows.length === 0) return [];
  const ids = rows.map((r) => r.id);
  const approvals: Array<{ action_id: string; approver: string; roles: VigilRole[]; note: string | null; approved_at: Date }> = await db.query(
    `SELECT * FROM tasking.response_action_approvals WHERE action_id = ANY($1::uuid[]) ORDER BY approved_at, approver`,
    [ids],
  );
  const attempts: Array<{ action_id: string; attempt: number; url: string; address: string | null; status_code: number | null; error: string | null; started_at: Date; duration_ms: number }> = await db.query(
    `SELECT * FROM tasking.response_action_attempts WHERE action_id = ANY($1::uuid[]) ORDER BY id`,
    [ids],
  );
  return rows.map((r) => ({
    actionId: r.id,
    incidentId: r.incident_id,
    taskId: r.task_id,
    connector: { connectorId: r.connector_id, name: r.connector_name, kind: r.connector_kind },
    kind: r.kind,
    target: r.target,
    parameters: r.parameters,
    reason: r.reason,
    criticality: r.criticality,
    criticalitySource: r.criticality_source,
    policy: r.policy,
    status: statusAt(r, now),
    approvals: approvals.filter((a) => a.action_id === r.id).map((a) => ({ approver: a.approver, roles: a.roles, at: a.approved_at.toISOString(), note: a.note })),
    expiresAt: r.expires_at?.toISOString() ?? null,
    requestedBy: r.requested_by,
    requestedAt: r.requested_at.toISOString(),
    executedAt: r.executed_at?.toISOString() ?? null,
    error: r.error,
    breakGlass: r.break_glass_reason ? { reason: r.break_glass_reason, reviewedAt: r.reviewed_at?.toISOString() ?? null, reviewedBy: r.reviewed_by, reviewNote: r.review_note } : null,
    rejection: r.rejected_by && r.rejected_at ? { by: r.rejected_by, at: r.rejected_at.toISOString(), reason: r.rejection_reason ?? '', withdrawn: r.rejection_withdrawn ?? false } : null,
    undoOf: r.undo_of,
    undoneBy: r.undone_by,
    undoKind: ACTION_KINDS[r.kind].undo,
    request: previewOf(r.request),
    attempts: attempts
      .filter((a) => a.action_id === r.id)
      .map((a) => ({ attempt: a.attempt, url: a.url, address: a.address, statusCode: a.status_code, error: a.error, at: a.started_at.toISOString(), durationMs: a.duration_ms })),
  }));
}
