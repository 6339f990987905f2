import { Body, Controller, Get, Param, Put } from '@nestjs/common';
import { ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { CorrelationRuleKind, CorrelationRuleList, CorrelationRuleView, UpdateCorrelationRule } from '@vigil/contracts';
import { ApiJsonBody, ApiJsonResponse, ApiProblems, Caller, Permit, Problem, ZodPipe, type Principal } from '@vigil/platform';
import { DataSource } from 'typeorm';
import { listRuleRows, toRuleView } from './correlation-rules';

@ApiTags('correlation')
@Controller('v1/correlation-rules')
export class CorrelationRulesController {
  constructor(private readonly dataSource: DataSource) {}

  @Get()
  @Permit('triage-rules.read')
  @ApiOperation({ summary: 'The correlation rules and their windows', operationId: 'listCorrelationRules' })
  @ApiJsonResponse(200, CorrelationRuleList, 'Every rule, enabled or not')
  @ApiProblems(503)
  async list() {
    return { items: (await listRuleRows(this.dataSource)).map(toRuleView) };
  }

  @Put(':kind')
  @Permit('triage-rules.write')
  @ApiOperation({
    summary: 'Enable, disable or tune a correlation rule',
    description: 'Applies to alerts triaged from now on; incidents already formed are left as they are.',
    operationId: 'updateCorrelationRule',
  })
  @ApiParam({ name: 'kind', enum: CorrelationRuleKind.options })
  @ApiJsonBody(UpdateCorrelationRule)
  @ApiJsonResponse(200, CorrelationRuleView, 'The rule as it now is')
  @ApiProblems(400, 404, 503)
  async update(@Param('kind') kind: string, @Body(new ZodPipe(UpdateCorrelationRule)) body: UpdateCorrelationRule, @Caller() caller: Principal) {
    if (!CorrelationRuleKind.safeParse(kind).success) throw Problem.notFound(`Correlation rule ${kind}`);
    if (body.observableTypes !== undefined && kind !== 'observable') {
      throw Problem.unprocessable([{ pointer: '/observableTypes', detail: 'applies to the observable rule only' }]);
    }
    if (body.windowSeconds !== undefined && (kind === 'reference' || kind === 'group_key') && body.windowSeconds !== null) {
      throw Problem.unprocessable([{ pointer: '/windowSeconds', detail: `the ${kind} rule has no window: it holds while the incident is open` }]);
    }
    // In a transaction, so the audit record commits with the change.
    const [row] = await this.dataSource.transaction((manager) => manager.query(
      `WITH updated AS (
         UPDATE triage.correlation_rules SET
           enabled = COALESCE($2, enabled),
           window_seconds = CASE WHEN $3::boolean THEN $4::int ELSE window_seconds END,
           observable_types = COALESCE($5::text[], observable_types),
           updated_by = $6, updated_at = now()
         WHERE kind = $1 RETURNING *)
       SELECT * FROM updated`,
      [kind, body.enabled ?? null, body.windowSeconds !== undefined, body.windowSeconds ?? null, body.observableTypes ?? null, caller.subject],
    ));
    return toRuleView(row);
  }
}
