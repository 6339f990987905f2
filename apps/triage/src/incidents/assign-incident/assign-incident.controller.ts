import { Body, Controller, Headers, Param, ParseUUIDPipe, UseInterceptors } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { AssignIncident, createEvent, IncidentAssignedV1 } from '@vigil/contracts';
import { Caller, ZodPipe, type Principal } from '@vigil/platform';
import { DataSource } from 'typeorm';
import { changeIncident } from '../../lifecycle/record-change';
import { toSnapshot } from '../../persistence/incident.entity';
import { expectedVersion, IncidentETagInterceptor } from '../concurrency';
import { IncidentChangeRoute } from '../incident-change-route';
import { toOneView } from '../incident-views';

@ApiTags('incidents')
@Controller('v1/incidents')
@UseInterceptors(IncidentETagInterceptor)
export class AssignIncidentController {
  constructor(private readonly dataSource: DataSource) {}

  @IncidentChangeRoute(':incidentId/assignment', {
    permission: 'incidents.assign',
    operation: { summary: 'Assign the owner (IR manager) and the responders', operationId: 'assignIncident' },
    body: AssignIncident,
    response: 'The incident as assigned',
  })
  async assign(
    @Param('incidentId', new ParseUUIDPipe()) incidentId: string,
    @Headers('if-match') ifMatch: string | undefined,
    @Body(new ZodPipe(AssignIncident)) body: AssignIncident,
    @Caller() caller: Principal,
  ) {
    const incident = await changeIncident(this.dataSource, incidentId, expectedVersion(ifMatch), caller, (incident) => {
      const owner = body.owner === undefined ? incident.owner : body.owner;
      const responders = body.responders === undefined ? incident.responders : [...new Set(body.responders)];
      if (owner === incident.owner && responders.join('\n') === incident.responders.join('\n')) return null;
      const previous = { owner: incident.owner, responders: incident.responders };
      incident.owner = owner;
      incident.responders = responders;
      return {
        history: { actor: caller, action: 'assigned', reason: body.reason ?? null, details: { previous, owner, responders } },
        event: (i) => createEvent(IncidentAssignedV1, { source: '/vigil/triage', subject: i.id, data: { incident: toSnapshot(i), owner, responders, actor: caller.subject, reason: body.reason ?? null } }),
      };
    });
    return toOneView(this.dataSource, incident);
  }
}
