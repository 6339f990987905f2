import { Controller, Get, Param, ParseUUIDPipe } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { Timeline } from '@vigil/contracts';
import { ApiJsonResponse, ApiProblems, assertIncidentVisible, Caller, Permit, Problem, type Principal } from '@vigil/platform';
import { DataSource } from 'typeorm';

@ApiTags('reporting')
@Controller('v1/incidents')
export class TimelineController {
  constructor(private readonly dataSource: DataSource) {}

  @Get(':incidentId/timeline')
  @Permit('incidents.read')
  @ApiOperation({ summary: 'Everything that happened to an incident, from every service, in time order', operationId: 'getIncidentTimeline' })
  @ApiJsonResponse(200, Timeline, 'The timeline')
  @ApiProblems(400, 404, 503)
  async get(@Param('incidentId', new ParseUUIDPipe()) incidentId: string, @Caller() caller: Principal) {
    await assertIncidentVisible(this.dataSource, 'reporting', incidentId, caller, `A timeline for incident ${incidentId}`);
    // Alerts are keyed by dedup key, not incident: they join the timeline through the links triage reported.
    const rows: Array<{ at: Date; type: string; source: string; summary: string; event_id: string }> = await this.dataSource.query(
      `SELECT at, type, source, summary, event_id FROM reporting.timeline_entries
        WHERE incident_id = $1
           OR alert_id IN (SELECT alert_id FROM reporting.incident_alert_links WHERE incident_id = $1)
        ORDER BY at, event_id`,
      [incidentId],
    );
    if (rows.length === 0) throw Problem.notFound(`A timeline for incident ${incidentId}`);
    return {
      incidentId,
      entries: rows.map((r) => ({ at: r.at.toISOString(), type: r.type, source: r.source, summary: r.summary, eventId: r.event_id })),
    };
  }
}
