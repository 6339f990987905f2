import { Body, Controller, HttpCode, Post, Query } from '@nestjs/common';
import { ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { GrafanaOnCallImport, ImportReport, PagerDutyImport } from '@vigil/contracts';
import { ApiJsonBody, ApiJsonResponse, ApiProblems, Caller, Permit, Problem, ZodPipe, type Principal } from '@vigil/platform';
import { DataSource } from 'typeorm';
import { z } from 'zod';
import { applyImport } from './apply-import';
import { planFromGrafanaOnCall } from './grafana-oncall';
import type { ImportPlan } from './import-plan';
import { planFromPagerDuty } from './pagerduty';

const ImportQuery = z.strictObject({ dryRun: z.enum(['true', 'false']).default('false') });

class DryRun extends Error {
  constructor(readonly report: Omit<ImportReport, 'dryRun'>) {
    super('dry run');
  }
}

/**
 * Moving in from PagerDuty or Grafana OnCall in one step: their schedules and escalation
 * policies, as their APIs return them, become Vigil's (people matched by e-mail or added).
 * `?dryRun=true` reports what would happen and writes nothing.
 */
@ApiTags('import')
@Controller('v1/oncall-imports')
export class OnCallImportController {
  constructor(private readonly dataSource: DataSource) {}

  private async run(plan: () => ImportPlan, dryRun: boolean, caller: Principal): Promise<ImportReport> {
    let planned: ImportPlan;
    try {
      planned = plan();
    } catch (error) {
      throw Problem.unprocessable([{ pointer: '', detail: (error as Error).message }], 'The import could not be read.');
    }
    try {
      const report = await this.dataSource.transaction(async (m) => {
        const r = await applyImport(m, planned, caller.subject, new Date());
        if (dryRun) throw new DryRun(r);
        return r;
      });
      return { ...report, dryRun: false };
    } catch (error) {
      if (error instanceof DryRun) return { ...error.report, dryRun: true };
      throw error;
    }
  }

  @Post('pagerduty')
  @HttpCode(200)
  @Permit('oncall.write')
  @ApiOperation({ summary: 'Import schedules and escalation policies from PagerDuty (REST API v2 JSON)', operationId: 'importFromPagerDuty' })
  @ApiQuery({ name: 'dryRun', required: false, enum: ['true', 'false'] })
  @ApiJsonBody(PagerDutyImport)
  @ApiJsonResponse(200, ImportReport, 'What was imported (or would be), and what could not be carried over exactly')
  @ApiProblems(400, 503)
  pagerDuty(@Body(new ZodPipe(PagerDutyImport)) body: PagerDutyImport, @Query(new ZodPipe(ImportQuery, 'query')) query: z.infer<typeof ImportQuery>, @Caller() caller: Principal) {
    return this.run(() => planFromPagerDuty(body), query.dryRun === 'true', caller);
  }

  @Post('grafana-oncall')
  @HttpCode(200)
  @Permit('oncall.write')
  @ApiOperation({ summary: 'Import schedules and escalation chains from Grafana OnCall (public API or Terraform JSON)', operationId: 'importFromGrafanaOnCall' })
  @ApiQuery({ name: 'dryRun', required: false, enum: ['true', 'false'] })
  @ApiJsonBody(GrafanaOnCallImport)
  @ApiJsonResponse(200, ImportReport, 'What was imported (or would be), and what could not be carried over exactly')
  @ApiProblems(400, 503)
  grafana(@Body(new ZodPipe(GrafanaOnCallImport)) body: GrafanaOnCallImport, @Query(new ZodPipe(ImportQuery, 'query')) query: z.infer<typeof ImportQuery>, @Caller() caller: Principal) {
    return this.run(() => planFromGrafanaOnCall(body), query.dryRun === 'true', caller);
  }
}
