import { Body, Controller, HttpCode, Param, ParseUUIDPipe, Post } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { PromoteAlert, TriageAlertView } from '@vigil/contracts';
import { ApiJsonBody, ApiJsonResponse, ApiProblems, Caller, Permit, Problem, ZodPipe, type Principal } from '@vigil/platform';
import { DataSource } from 'typeorm';
import { AlertTriage } from '../../correlation/triage-alert';
import { recordHistory } from '../../lifecycle/record-change';
import { readAlert, receivedAlertOf, toAlertView } from '../alert-rows';

@ApiTags('alerts')
@Controller('v1/alerts')
export class PromoteAlertController {
  constructor(
    private readonly dataSource: DataSource,
    private readonly triage: AlertTriage,
  ) {}

  @Post(':alertId/promote')
  @Permit('alerts.promote')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Promote an alert that waits below the severity threshold (or was suppressed) into an incident',
    description:
      'The alert joins the open incident it correlates with, or opens one; the incident counts every occurrence it gathered while it waited. ' +
      'An alert already in an incident is a 409.',
    operationId: 'promoteAlert',
  })
  @ApiJsonBody(PromoteAlert)
  @ApiJsonResponse(200, TriageAlertView, 'The alert, now in an incident')
  @ApiProblems(400, 404, 409, 503)
  async promote(@Param('alertId', new ParseUUIDPipe()) alertId: string, @Body(new ZodPipe(PromoteAlert)) body: PromoteAlert, @Caller() caller: Principal) {
    return this.dataSource.transaction(async (manager) => {
      const alert = await readAlert(manager, alertId, true);
      if (!alert) throw Problem.notFound(`Alert ${alertId}`);
      if (alert.disposition === 'attached') {
        throw new Problem(409, 'Alert already in an incident', `Alert ${alertId} is in incident ${alert.incident_id}; move it with POST /v1/incidents/{id}/alerts.`, {
          incidentId: alert.incident_id,
        });
      }
      const outcome = await this.triage.triage(manager, receivedAlertOf(alert), { actor: caller.subject, occurrences: alert.occurrences });
      if (outcome.disposition !== 'attached') throw new Error(`promotion left alert ${alertId} ${outcome.disposition}`);
      await recordHistory(manager, outcome.incidentId, {
        actor: caller,
        action: 'alert_promoted',
        reason: body.reason ?? null,
        details: { alertId, was: alert.disposition, suppressionRuleId: alert.suppression_rule_id, opened: outcome.opened },
      });
      return toAlertView((await readAlert(manager, alertId))!);
    });
  }
}
