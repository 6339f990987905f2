import { Controller, Get, Param, ParseUUIDPipe } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { Timeline } from '@vigil/contracts';
import { ApiJsonResponse, ApiProblems, assertIncidentVisible, Caller, Permit, Problem, type Principal } from '@vigil/platform';
import { DataSource } from 'typeorm';
import { incidentTimeline } from '../timeline-entries';

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
    const entries = await incidentTimeline(this.dataSource, incidentId);
    if (entries.length === 0) throw Problem.notFound(`A timeline for incident ${incidentId}`);
    return { incidentId, entries };
  }
}
