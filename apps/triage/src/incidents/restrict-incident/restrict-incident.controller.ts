import { Body, Controller, Headers, Param, ParseUUIDPipe, UseInterceptors } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { createEvent, IncidentRestrictionChangedV1, RestrictIncident } from '@vigil/contracts';
import { Caller, ZodPipe, type Principal } from '@vigil/platform';
import { DataSource } from 'typeorm';
import { changeIncident } from '../../lifecycle/record-change';
import { toSnapshot } from '../../persistence/incident.entity';
import { expectedVersion, IncidentETagInterceptor } from '../concurrency';
import { IncidentChangeRoute } from '../incident-change-route';
import { toOneView } from '../incident-views';

/**
 * Need to know (insider threat, executive compromise, legal hold): a restricted incident is seen
 * only by its owner, its responders, IR managers and auditors, in every service. The restriction
 * travels in every incident event's snapshot, so each service enforces it on its own data.
 */
@ApiTags('incidents')
@Controller('v1/incidents')
@UseInterceptors(IncidentETagInterceptor)
export class RestrictIncidentController {
  constructor(private readonly dataSource: DataSource) {}

  @IncidentChangeRoute(':incidentId/restriction', {
    permission: 'incidents.restrict',
    operation: {
      summary: 'Restrict an incident to those who need to know, or lift the restriction',
      description:
        'Restricted: only its owner, its responders, IR managers and auditors see the incident, its alerts, tasks, notifications and timeline; ' +
        'to anyone else it does not exist (404, absent from lists and counts). Name the people with /assignment.',
      operationId: 'restrictIncident',
    },
    body: RestrictIncident,
    response: 'The incident with its restriction',
  })
  async restrict(
    @Param('incidentId', new ParseUUIDPipe()) incidentId: string,
    @Headers('if-match') ifMatch: string | undefined,
    @Body(new ZodPipe(RestrictIncident)) body: RestrictIncident,
    @Caller() caller: Principal,
  ) {
    const incident = await changeIncident(this.dataSource, incidentId, expectedVersion(ifMatch), caller, (incident) => {
      if (incident.restricted === body.restricted) return null;
      incident.restricted = body.restricted;
      return {
        history: { actor: caller, action: body.restricted ? 'restricted' : 'restriction_lifted', reason: body.reason },
        event: (i) =>
          createEvent(IncidentRestrictionChangedV1, {
            source: '/vigil/triage',
            subject: i.id,
            data: { incident: toSnapshot(i), restricted: body.restricted, actor: caller.subject, reason: body.reason },
          }),
      };
    });
    return toOneView(this.dataSource, incident);
  }
}
