import { Body, Controller, Delete, Get, HttpCode, Param, ParseUUIDPipe, Post, Put } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApprovalPolicyInput, ApprovalPolicyList, ApprovalPolicyView } from '@vigil/contracts';
import { ApiJsonBody, ApiJsonResponse, ApiProblems, auditTouch, Caller, digest, Permit, Problem, ZodPipe, type Principal } from '@vigil/platform';
import { randomUUID } from 'node:crypto';
import { DataSource, type EntityManager } from 'typeorm';
import { loadApprovalPolicies } from '../approval-policy-store';
import { DEFAULT_APPROVAL_POLICIES } from '../choose-approval-policy';

/**
 * Who must approve a response action: by asset criticality and action kind, the roles that count,
 * how many distinct approvers, and how long the request stays open. An action keeps the policy it
 * was requested under.
 */
@ApiTags('response actions')
@Controller('v1/action-approval-policies')
export class ApprovalPoliciesController {
  constructor(private readonly dataSource: DataSource) {}

  private async one(m: Pick<EntityManager, 'query'>, policyId: string): Promise<ApprovalPolicyView> {
    const [p] = await loadApprovalPolicies(m, policyId);
    if (!p) throw Problem.notFound(`Approval policy ${policyId}`);
    return p;
  }

  private async write(m: EntityManager, id: string, body: ApprovalPolicyInput, actor: string, insert: boolean) {
    auditTouch({ ids: { policyId: id }, after: body }, digest);
    const values = [id, body.name, body.criticalities, body.actionKinds, body.approverRoles, body.approvals, body.expiresAfterMinutes, actor];
    await m.query(
      insert
        ? `INSERT INTO tasking.action_approval_policies (id, name, criticalities, action_kinds, approver_roles, approvals, expires_after_minutes, updated_at, updated_by) VALUES ($1, $2, $3, $4, $5, $6, $7, now(), $8)`
        : `UPDATE tasking.action_approval_policies SET name = $2, criticalities = $3, action_kinds = $4, approver_roles = $5, approvals = $6, expires_after_minutes = $7, updated_at = now(), updated_by = $8 WHERE id = $1`,
      values,
    );
  }

  @Post()
  @Permit('action-policies.write')
  @ApiOperation({ summary: 'Add an approval policy', operationId: 'createActionApprovalPolicy' })
  @ApiJsonBody(ApprovalPolicyInput)
  @ApiJsonResponse(201, ApprovalPolicyView, 'The policy')
  @ApiProblems(400, 503)
  async create(@Body(new ZodPipe(ApprovalPolicyInput)) body: ApprovalPolicyInput, @Caller() caller: Principal) {
    return this.dataSource.transaction(async (m) => {
      const id = randomUUID();
      await this.write(m, id, body, caller.subject, true);
      return this.one(m, id);
    });
  }

  @Get()
  @Permit('action-policies.read')
  @ApiOperation({ summary: 'Approval policies, and the defaults that apply where none matches', operationId: 'listActionApprovalPolicies' })
  @ApiJsonResponse(200, ApprovalPolicyList, 'The policies')
  @ApiProblems(503)
  async list() {
    return { items: await loadApprovalPolicies(this.dataSource), defaults: DEFAULT_APPROVAL_POLICIES };
  }

  @Get(':policyId')
  @Permit('action-policies.read')
  @ApiOperation({ summary: 'One approval policy', operationId: 'getActionApprovalPolicy' })
  @ApiJsonResponse(200, ApprovalPolicyView, 'The policy')
  @ApiProblems(400, 404, 503)
  async get(@Param('policyId', new ParseUUIDPipe()) policyId: string) {
    return this.one(this.dataSource, policyId);
  }

  @Put(':policyId')
  @Permit('action-policies.write')
  @ApiOperation({ summary: 'Change an approval policy (for actions requested from now on)', operationId: 'updateActionApprovalPolicy' })
  @ApiJsonBody(ApprovalPolicyInput)
  @ApiJsonResponse(200, ApprovalPolicyView, 'The policy')
  @ApiProblems(400, 404, 503)
  async update(@Param('policyId', new ParseUUIDPipe()) policyId: string, @Body(new ZodPipe(ApprovalPolicyInput)) body: ApprovalPolicyInput, @Caller() caller: Principal) {
    return this.dataSource.transaction(async (m) => {
      auditTouch({ before: await this.one(m, policyId) }, digest);
      await this.write(m, policyId, body, caller.subject, false);
      return this.one(m, policyId);
    });
  }

  @Delete(':policyId')
  @Permit('action-policies.write')
  @HttpCode(204)
  @ApiOperation({ summary: 'Remove an approval policy (actions requested under it keep it)', operationId: 'deleteActionApprovalPolicy' })
  @ApiProblems(400, 404, 503)
  async remove(@Param('policyId', new ParseUUIDPipe()) policyId: string) {
    await this.dataSource.transaction(async (m) => {
      auditTouch({ ids: { policyId }, before: await this.one(m, policyId) }, digest);
      await m.query(`DELETE FROM tasking.action_approval_policies WHERE id = $1`, [policyId]);
    });
  }
}
