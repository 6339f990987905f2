import { Body, Controller, Delete, Get, HttpCode, Param, ParseUUIDPipe, Post, Put } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { EscalationPolicyInput, EscalationPolicyList, EscalationPolicyView, type EscalationTarget } from '@vigil/contracts';
import { ApiJsonBody, ApiJsonResponse, ApiProblems, Caller, Permit, Problem, ZodPipe, type Principal } from '@vigil/platform';
import { randomUUID } from 'node:crypto';
import { DataSource, type EntityManager } from 'typeorm';
import { z } from 'zod';
import { assertPeopleExist } from '../../roster/roster-checks';

interface PolicyRow {
  id: string;
  version: number;
  name: string;
  description: string | null;
  steps: EscalationPolicyInput['steps'];
  repeat: { times: number; fromStep: number };
  created_at: Date;
  updated_at: Date;
  updated_by: string;
  archived_at: Date | null;
}

/** A policy's version number, as a path segment. */
const PolicyVersion = z.string().regex(/^[1-9][0-9]{0,8}$/, 'must be a positive integer');

const SELECT = `SELECT p.id, v.version, v.name, v.description, v.steps, v.repeat, p.created_at, v.created_at AS updated_at, v.created_by AS updated_by, p.archived_at
  FROM tasking.escalation_policies p JOIN tasking.escalation_policy_versions v ON v.policy_id = p.id AND v.version = p.current_version`;

const toView = (r: PolicyRow): EscalationPolicyView => ({
  policyId: r.id,
  version: r.version,
  name: r.name,
  description: r.description,
  steps: r.steps,
  repeat: r.repeat,
  createdAt: r.created_at.toISOString(),
  updatedAt: r.updated_at.toISOString(),
  updatedBy: r.updated_by,
  archived: r.archived_at !== null,
});

/** 422 naming each target that names nothing on the roster or no schedule or team. */
export async function validateTargets(m: Pick<EntityManager, 'query'>, steps: EscalationPolicyInput['steps']): Promise<void> {
  const targets = steps.flatMap((s, i) => s.targets.map((t, j) => ({ t, pointer: `/steps/${i}/targets/${j}` })));
  await assertPeopleExist(m, targets.filter((x) => x.t.type === 'person').map((x) => ({ id: (x.t as Extract<EscalationTarget, { type: 'person' }>).personId, pointer: x.pointer })));
  const errors: Array<{ pointer: string; detail: string }> = [];
  for (const { t, pointer } of targets) {
    if (t.type === 'schedule') {
      const found: unknown[] = await m.query(`SELECT 1 FROM tasking.schedules WHERE id = $1 AND archived_at IS NULL`, [t.scheduleId]);
      if (!found.length) errors.push({ pointer, detail: `no schedule ${t.scheduleId}` });
    }
    if (t.type === 'team') {
      const found: unknown[] = await m.query(`SELECT 1 FROM tasking.teams WHERE id = $1`, [t.teamId]);
      if (!found.length) errors.push({ pointer, detail: `no team ${t.teamId}` });
    }
  }
  if (errors.length) throw Problem.unprocessable(errors);
}

/** Creates a policy, or a new version of one (the caller holds its row lock). */
export async function writePolicyVersion(m: EntityManager, policyId: string, version: number, body: EscalationPolicyInput, actor: string): Promise<void> {
  await m.query(
    `INSERT INTO tasking.escalation_policy_versions (policy_id, version, name, description, steps, repeat, created_at, created_by) VALUES ($1, $2, $3, $4, $5, $6, now(), $7)`,
    [policyId, version, body.name, body.description ?? null, JSON.stringify(body.steps), JSON.stringify(body.repeat), actor],
  );
}

/**
 * Escalation policies: ordered steps (page people, a schedule's on-call, a team, a role; then wait)
 * repeated K times from step N. Every change is a new version; a running escalation keeps the
 * version it started with, so editing a policy never changes one already under way.
 */
@ApiTags('escalation')
@Controller('v1/escalation-policies')
export class EscalationPoliciesController {
  constructor(private readonly dataSource: DataSource) {}

  private async load(m: Pick<EntityManager, 'query'>, policyId: string): Promise<PolicyRow> {
    const [row]: PolicyRow[] = await m.query(`${SELECT} WHERE p.id = $1`, [policyId]);
    if (!row) throw Problem.notFound(`Escalation policy ${policyId}`);
    return row;
  }

  @Post()
  @Permit('oncall.write')
  @ApiOperation({ summary: 'Create an escalation policy (version 1)', operationId: 'createEscalationPolicy' })
  @ApiJsonBody(EscalationPolicyInput)
  @ApiJsonResponse(201, EscalationPolicyView, 'The policy')
  @ApiProblems(400, 503)
  async create(@Body(new ZodPipe(EscalationPolicyInput)) body: EscalationPolicyInput, @Caller() caller: Principal) {
    const row = await this.dataSource.transaction(async (m) => {
      await validateTargets(m, body.steps);
      const id = randomUUID();
      await m.query(`INSERT INTO tasking.escalation_policies (id, current_version, created_at) VALUES ($1, 1, now())`, [id]);
      await writePolicyVersion(m, id, 1, body, caller.subject);
      return this.load(m, id);
    });
    return toView(row);
  }

  @Get()
  @Permit('oncall.read')
  @ApiOperation({ summary: 'Escalation policies in force (their current versions), by name', operationId: 'listEscalationPolicies' })
  @ApiJsonResponse(200, EscalationPolicyList, 'The policies')
  @ApiProblems(503)
  async list() {
    const rows: PolicyRow[] = await this.dataSource.query(`${SELECT} WHERE p.archived_at IS NULL ORDER BY v.name, p.id`);
    return { items: rows.map(toView) };
  }

  @Get(':policyId')
  @Permit('oncall.read')
  @ApiOperation({ summary: 'One escalation policy, its current version', operationId: 'getEscalationPolicy' })
  @ApiJsonResponse(200, EscalationPolicyView, 'The policy')
  @ApiProblems(400, 404, 503)
  async get(@Param('policyId', new ParseUUIDPipe()) policyId: string) {
    return toView(await this.load(this.dataSource, policyId));
  }

  @Get(':policyId/versions/:version')
  @Permit('oncall.read')
  @ApiOperation({ summary: 'One version of a policy (the one an escalation ran, say)', operationId: 'getEscalationPolicyVersion' })
  @ApiJsonResponse(200, EscalationPolicyView, 'That version')
  @ApiProblems(400, 404, 503)
  async version(@Param('policyId', new ParseUUIDPipe()) policyId: string, @Param('version', new ZodPipe(PolicyVersion, 'parameter')) version: string) {
    const [row]: PolicyRow[] = await this.dataSource.query(
      `SELECT p.id, v.version, v.name, v.description, v.steps, v.repeat, p.created_at, v.created_at AS updated_at, v.created_by AS updated_by, p.archived_at
         FROM tasking.escalation_policies p JOIN tasking.escalation_policy_versions v ON v.policy_id = p.id WHERE p.id = $1 AND v.version = $2`,
      [policyId, Number(version)],
    );
    if (!row) throw Problem.notFound(`Version ${version} of escalation policy ${policyId}`);
    return toView(row);
  }

  @Put(':policyId')
  @Permit('oncall.write')
  @ApiOperation({ summary: 'Change a policy: a new version for escalations that start from now on; running ones keep theirs', operationId: 'updateEscalationPolicy' })
  @ApiJsonBody(EscalationPolicyInput)
  @ApiJsonResponse(200, EscalationPolicyView, 'The policy, its new version')
  @ApiProblems(400, 404, 503)
  async update(@Param('policyId', new ParseUUIDPipe()) policyId: string, @Body(new ZodPipe(EscalationPolicyInput)) body: EscalationPolicyInput, @Caller() caller: Principal) {
    const row = await this.dataSource.transaction(async (m) => {
      const [current]: Array<{ current_version: number }> = await m.query(`SELECT current_version FROM tasking.escalation_policies WHERE id = $1 AND archived_at IS NULL FOR UPDATE`, [policyId]);
      if (!current) throw Problem.notFound(`Escalation policy ${policyId}`);
      await validateTargets(m, body.steps);
      const version = current.current_version + 1;
      await writePolicyVersion(m, policyId, version, body, caller.subject);
      await m.query(`UPDATE tasking.escalation_policies SET current_version = $2 WHERE id = $1`, [policyId, version]);
      return this.load(m, policyId);
    });
    return toView(row);
  }

  @Delete(':policyId')
  @Permit('oncall.write')
  @HttpCode(204)
  @ApiOperation({ summary: 'Archive a policy: no new escalation uses it (running ones finish); refused while an escalation rule names it', operationId: 'archiveEscalationPolicy' })
  @ApiProblems(400, 404, 409, 503)
  async archive(@Param('policyId', new ParseUUIDPipe()) policyId: string) {
    await this.dataSource.transaction(async (m) => {
      await this.load(m, policyId);
      const [routing]: Array<{ named: boolean }> = await m.query(
        `SELECT (default_policy_id = $1 OR EXISTS (SELECT 1 FROM jsonb_array_elements(rules) r WHERE r->>'policyId' = $1::text)) AS named FROM tasking.escalation_routing WHERE id = 1`,
        [policyId],
      );
      if (routing?.named) throw new Problem(409, 'Conflict', 'The escalation rules name this policy; change them first (PUT /v1/escalation-routing).');
      await m.query(`UPDATE tasking.escalation_policies SET archived_at = now() WHERE id = $1`, [policyId]);
    });
  }
}
