import type { ActionKind, ApprovalPolicyView, AssetCriticality } from '@vigil/contracts';

export const CRITICALITY_RANK: Record<AssetCriticality, number> = { low: 1, medium: 2, high: 3, critical: 4 };

/**
 * What applies where no stored policy matches: two approvers (IR managers or analysts) for a
 * critical or high asset — a server, a domain controller —, one for the rest, a workstation; an
 * hour to approve.
 */
export const DEFAULT_APPROVAL_POLICIES: ApprovalPolicyView[] = [
  { policyId: null, name: 'default: critical and high assets', criticalities: ['critical', 'high'], actionKinds: [], approverRoles: ['ir_manager', 'security_analyst'], approvals: 2, expiresAfterMinutes: 60, updatedAt: null, updatedBy: null },
  { policyId: null, name: 'default: medium and low assets', criticalities: ['medium', 'low'], actionKinds: [], approverRoles: ['ir_manager', 'security_analyst'], approvals: 1, expiresAfterMinutes: 60, updatedAt: null, updatedBy: null },
];

/**
 * The policy for an action: among the stored ones covering the criticality, one naming the kind
 * before one covering all kinds, then the strictest (most approvals, then shortest expiry), then
 * by name so the choice is stable; the defaults when none covers it.
 */
export function chooseApprovalPolicy(stored: readonly ApprovalPolicyView[], criticality: AssetCriticality, kind: ActionKind): ApprovalPolicyView {
  const covering = (list: readonly ApprovalPolicyView[]) => list.filter((p) => p.criticalities.includes(criticality) && (p.actionKinds.length === 0 || p.actionKinds.includes(kind)));
  const ranked = covering(stored).sort(
    (a, b) => Number(b.actionKinds.length > 0) - Number(a.actionKinds.length > 0) || b.approvals - a.approvals || a.expiresAfterMinutes - b.expiresAfterMinutes || a.name.localeCompare(b.name),
  );
  return ranked[0] ?? covering(DEFAULT_APPROVAL_POLICIES)[0];
}

/** The stricter of the incident's criticality and the one the request gives (a request can raise it, never lower it); unknown counts as high. */
export function effectiveCriticality(incident: AssetCriticality | null, requested: AssetCriticality | undefined): { criticality: AssetCriticality; source: 'incident' | 'request' | 'unknown' } {
  if (requested && (!incident || CRITICALITY_RANK[requested] > CRITICALITY_RANK[incident])) return { criticality: requested, source: 'request' };
  if (incident) return { criticality: incident, source: 'incident' };
  return { criticality: 'high', source: 'unknown' };
}
