import { Controller, Get, Param, ParseUUIDPipe } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { StatusCadenceList, type IncidentSeverity } from '@vigil/contracts';
import { ApiJsonResponse, ApiProblems, assertIncidentVisible, Caller, Permit, type Principal } from '@vigil/platform';
import { DataSource } from 'typeorm';
import type { CadenceRow } from '../cadence-tracker';

@ApiTags('status updates')
@Controller('v1/incidents')
export class StatusUpdatesController {
  constructor(private readonly dataSource: DataSource) {}

  @Get(':incidentId/status-updates')
  @Permit('incidents.read')
  @ApiOperation({
    summary: 'Status updates owed on an incident: per audience, its cadence, when the next is due, reminders and misses',
    description: 'Any message sent to the audience counts as an update and restarts its clock.',
    operationId: 'listStatusUpdateClocks',
  })
  @ApiJsonResponse(200, StatusCadenceList, 'The clocks')
  @ApiProblems(400, 404, 503)
  async list(@Param('incidentId', new ParseUUIDPipe()) incidentId: string, @Caller() caller: Principal) {
    await assertIncidentVisible(this.dataSource, 'comms', incidentId, caller);
    const rows: CadenceRow[] = await this.dataSource.query(`SELECT * FROM comms.status_cadences WHERE incident_id = $1 ORDER BY audience`, [incidentId]);
    return {
      items: rows.map((r) => ({
        incidentId: r.incident_id,
        audience: r.audience,
        severity: r.severity as IncidentSeverity,
        intervalSeconds: r.interval_seconds,
        graceSeconds: r.grace_seconds,
        active: r.active,
        lastUpdateAt: r.last_update_at?.toISOString() ?? null,
        dueAt: r.due_at.toISOString(),
        remindedAt: r.reminded_at?.toISOString() ?? null,
        missedAt: r.missed_at?.toISOString() ?? null,
      })),
    };
  }
}
