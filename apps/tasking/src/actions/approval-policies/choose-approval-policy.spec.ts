import type { ApprovalPolicyView } from '@vigil/contracts';
import { chooseApprovalPolicy, effectiveCriticality } from './choose-approval-policy';

const policy = (over: Partial<ApprovalPolicyView>): ApprovalPolicyView => ({
  policyId: '00000000-0000-4000-8000-000000000001',
  name: 'p',
  criticalities: ['critical'],
  actionKinds: [],
  approverRoles: ['ir_manager'],
  approvals: 1,
  expiresAfterMinutes: 30,
  updatedAt: null,
  updatedBy: null,
  ...over,
});

describe(chooseApprovalPolicy.name, () => {
  it('falls back to two approvers for critical and high assets, one for the rest', () => {
    expect(chooseApprovalPolicy([], 'critical', 'isolate_host').approvals).toBe(2);
    expect(chooseApprovalPolicy([], 'high', 'block_ip').approvals).toBe(2);
    expect(chooseApprovalPolicy([], 'low', 'isolate_host').approvals).toBe(1);
  });

  it('prefers a policy naming the kind, then the strictest', () => {
    const all = policy({ name: 'all kinds', approvals: 3 });
    const isolate = policy({ name: 'isolation', actionKinds: ['isolate_host'], approvals: 2 });
    const lax = policy({ name: 'lax', approvals: 1 });
    expect(chooseApprovalPolicy([lax, all, isolate], 'critical', 'isolate_host').name).toBe('isolation');
    expect(chooseApprovalPolicy([lax, all, isolate], 'critical', 'block_ip').name).toBe('all kinds');
    expect(chooseApprovalPolicy([lax, all, isolate], 'medium', 'block_ip').name).toMatch(/^default/);
  });
});

describe(effectiveCriticality.name, () => {
  it('takes the incident\'s, lets a request raise it but not lower it, and treats unknown as high', () => {
    expect(effectiveCriticality('low', undefined)).toEqual({ criticality: 'low', source: 'incident' });
    expect(effectiveCriticality('low', 'critical')).toEqual({ criticality: 'critical', source: 'request' });
    expect(effectiveCriticality('critical', 'low')).toEqual({ criticality: 'critical', source: 'incident' });
    expect(effectiveCriticality(null, undefined)).toEqual({ criticality: 'high', source: 'unknown' });
    expect(effectiveCriticality(null, 'low')).toEqual({ criticality: 'low', source: 'request' });
  });
});
