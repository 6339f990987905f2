import { Body, Controller, Get, Put } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { EscalationRouting, EscalationRoutingView } from '@vigil/contracts';
import { ApiJsonBody, ApiJsonResponse, ApiProblems, Caller, Permit, Problem, ZodPipe, type Principal } from '@vigil/platform';
import { DataSource } from 'typeorm';
import { loadRouting } from '../escalation-store';

/**
 * Which escalation policy an incident gets: rules on its severity, category, the criticality of
 * its assets and whether it is an exercise, tried in order; the first that matches wins, else the
 * default. The same rules choose when a severity rises.
 */
@ApiTags('escalation')
@Controller('v1/escalation-routing')
export class EscalationRoutingController {
  constructor(private readonly dataSource: DataSource) {}

  @Get()
  @Permit('oncall.read')
  @ApiOperation({ summary: 'The escalation rules and the default policy', operationId: 'getEscalationRouting' })
  @ApiJsonResponse(200, EscalationRoutingView, 'The rules (none and no default until set: then no incident escalates)')
  @ApiProblems(503)
  async get() {
    const routing = await loadRouting(this.dataSource);
    return routing
      ? { rules: routing.rules, defaultPolicyId: routing.defaultPolicyId, updatedAt: routing.updatedAt!.toISOString(), updatedBy: routing.updatedBy }
      : { rules: [], defaultPolicyId: null, updatedAt: null, updatedBy: null };
  }

  @Put()
  @Permit('oncall.write')
  @ApiOperation({ summary: 'Replace the escalation rules and the default policy', operationId: 'putEscalationRouting' })
  @ApiJsonBody(EscalationRouting)
  @ApiJsonResponse(200, EscalationRoutingView, 'The rules')
  @ApiProblems(400, 503)
  async put(@Body(new ZodPipe(EscalationRouting)) body: EscalationRouting, @Caller() caller: Principal) {
    const named = [...body.rules.map((r, i) => ({ id: r.policyId, pointer: `/rules/${i}/policyId` })), ...(body.defaultPolicyId ? [{ id: body.defaultPolicyId, pointer: '/defaultPolicyId' }] : [])];
    const routing = await this.dataSource.transaction(async (m) => {
      const found: Array<{ id: string }> = named.length
        ? await m.query(`SELECT id FROM tasking.escalation_policies WHERE id = ANY($1::uuid[]) AND archived_at IS NULL`, [named.map((n) => n.id)])
        : [];
      const missing = named.filter((n) => !found.some((f) => f.id === n.id));
      if (missing.length) throw Problem.unprocessable(missing.map((n) => ({ pointer: n.pointer, detail: `no escalation policy ${n.id} (or it is archived)` })));
      await m.query(
        `INSERT INTO tasking.escalation_routing (id, rules, default_policy_id, updated_at, updated_by) VALUES (1, $1, $2, now(), $3)
         ON CONFLICT (id) DO UPDATE SET rules = EXCLUDED.rules, default_policy_id = EXCLUDED.default_policy_id, updated_at = EXCLUDED.updated_at, updated_by = EXCLUDED.updated_by`,
        [JSON.stringify(body.rules), body.defaultPolicyId, caller.subject],
      );
      return loadRouting(m);
    });
    return { rules: routing!.rules, defaultPolicyId: routing!.defaultPolicyId, updatedAt: routing!.updatedAt!.toISOString(), updatedBy: routing!.updatedBy };
  }
}
