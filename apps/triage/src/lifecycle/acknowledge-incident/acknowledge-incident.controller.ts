import { Body, Controller, Headers, Param, ParseUUIDPipe, UseInterceptors } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { AcknowledgeIncident, createEvent, IncidentAcknowledgedV1 } from '@vigil/contracts';
import { Caller, ZodPipe, type Principal } from '@vigil/platform';
import { DataSource } from 'typeorm';
import { expectedVersion, IncidentETagInterceptor } from '../../incidents/concurrency';
import { IncidentChangeRoute } from '../../incidents/incident-change-route';
import { toSnapshot, toView } from '../../persistence/incident.entity';
import { changeIncident, effectiveTime } from '../record-change';

@ApiTags('incidents')
@Controller('v1/incidents')
@UseInterceptors(IncidentETagInterceptor)
export class AcknowledgeIncidentController {
  constructor(private readonly dataSource: DataSource) {}

  /** The first acknowledgement stops the MTTA clock; repeating it changes nothing. */
  @IncidentChangeRoute(':incidentId/acknowledge', {
    permission: 'incidents.acknowledge',
    operation: { summary: 'Acknowledge an incident (first acknowledgement sets acknowledgedAt)', operationId: 'acknowledgeIncident' },
    body: AcknowledgeIncident,
    response: 'The incident after acknowledgement',
  })
  async acknowledge(
    @Param('incidentId', new ParseUUIDPipe()) incidentId: string,
    @Headers('if-match') ifMatch: string | undefined,
    @Body(new ZodPipe(AcknowledgeIncident)) body: AcknowledgeIncident,
    @Caller() caller: Principal,
  ) {
    const actor = caller.subject;
    const incident = await changeIncident(this.dataSource, incidentId, expectedVersion(ifMatch), caller, (incident) => {
      if (incident.acknowledgedAt) return null;
      const at = effectiveTime(incident, body.at);
      incident.acknowledgedAt = at;
      incident.clockNotes = { ...incident.clockNotes, acknowledgedAt: { by: actor, reason: body.reason ?? null, at: new Date().toISOString() } };
      return {
        history: { actor: caller, action: 'acknowledged', effectiveAt: at, reason: body.reason },
        event: (i) =>
          createEvent(IncidentAcknowledgedV1, {
            source: '/vigil/triage',
            subject: i.id,
            time: at, // when it happened (a backdated change keeps its place on the timeline)
            data: { incident: toSnapshot(i), actor, reason: body.reason ?? null },
          }),
      };
    });
    return toView(incident);
  }
}
