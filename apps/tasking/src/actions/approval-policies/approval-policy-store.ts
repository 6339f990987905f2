import type { ApprovalPolicyView } from '@vigil/contracts';
import type { EntityManager } from 'typeorm';

interface PolicyRow {
  id: string;
  name: string;
  criticalities: ApprovalPolicyView['criticalities'];
  action_kinds: ApprovalPolicyView['actionKinds'];
  approver_roles: ApprovalPolicyView['approverRoles'];
  approvals: number;
  expires_after_minutes: number;
  updated_at: Date;
  updated_by: string;
}

export const toPolicyView = (r: PolicyRow): ApprovalPolicyView => ({
  policyId: r.id,
  name: r.name,
  criticalities: r.criticalities,
  actionKinds: r.action_kinds,
  approverRoles: r.approver_roles,
  approvals: r.approvals,
  expiresAfterMinutes: r.expires_after_minutes,
  updatedAt: r.updated_at.toISOString(),
  updatedBy: r.updated_by,
});

export async function loadApprovalPolicies(db: Pick<EntityManager, 'query'>, policyId?: string): Promise<ApprovalPolicyView[]> {
  const rows: PolicyRow[] = await db.query(`SELECT * FROM tasking.action_approval_policies ${policyId ? 'WHERE id = $1' : ''} ORDER BY name, id`, policyId ? [policyId] : []);
  return rows.map(toPolicyView);
}
