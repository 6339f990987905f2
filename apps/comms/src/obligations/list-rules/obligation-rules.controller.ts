import { Controller, Get } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { ObligationRuleList } from '@vigil/contracts';
import { ApiJsonResponse, Permit } from '@vigil/platform';
import { ObligationEngine } from '../obligation-engine';
import { OBLIGATION_RULES } from '../rules';

@ApiTags('regulatory clocks')
@Controller('v1/obligation-rules')
export class ObligationRulesController {
  constructor(private readonly engine: ObligationEngine) {}

  @Get()
  @Permit('incidents.read')
  @ApiOperation({
    summary: 'The regulatory rules Vigil knows: trigger, deadlines, content checklist and legal source; enabled ones start clocks (COMMS_OBLIGATION_RULES)',
    operationId: 'listObligationRules',
  })
  @ApiJsonResponse(200, ObligationRuleList, 'The rules')
  list() {
    const enabled = new Set(this.engine.rules.map((r) => r.id));
    return {
      items: Object.values(OBLIGATION_RULES).map((r) => ({
        rule: r.id,
        regulation: r.regulation,
        title: r.title,
        trigger: r.trigger,
        impliedBy: r.impliedBy?.describe ?? null,
        audience: r.audience,
        recipient: r.recipient,
        citation: r.citation,
        sourceUrl: r.sourceUrl,
        pauseAllowed: r.pause,
        enabled: enabled.has(r.id),
        stages: r.stages.map((s) => ({ stage: s.stage, title: s.title, deadline: s.describe, checklist: s.checklist.map((c) => ({ key: c.key, label: c.label, required: c.required })) })),
      })),
    };
  }
}
