import { Body, Controller, Headers, Param, ParseUUIDPipe, UseInterceptors } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { CorrectClock, createEvent, IncidentClockCorrectedV1 } from '@vigil/contracts';
import { Caller, Problem, ZodPipe, type Principal } from '@vigil/platform';
import { DataSource } from 'typeorm';
import { expectedVersion, IncidentETagInterceptor } from '../../incidents/concurrency';
import { IncidentChangeRoute } from '../../incidents/incident-change-route';
import { toOneView } from '../../incidents/incident-views';
import { clockValue, setClockValue, toSnapshot } from '../../persistence/incident.entity';
import { changeIncident } from '../record-change';
import { clockOrderViolation } from './clock-order';

@ApiTags('incidents')
@Controller('v1/incidents')
@UseInterceptors(IncidentETagInterceptor)
export class CorrectClockController {
  constructor(private readonly dataSource: DataSource) {}

  @IncidentChangeRoute(':incidentId/clock', {
    permission: 'incidents.correct-clock',
    operation: {
      summary: 'Correct a timestamp of the incident clock by hand (with a reason)',
      description:
        'E.g. occurredAt moved earlier once forensics find the first beacon. Who, when and why are kept (clockNotes, history), ' +
        'and the corrected clock flows to reporting, whose MTTx figures follow it. A lifecycle timestamp can be corrected once its phase has been reached.',
      operationId: 'correctIncidentClock',
    },
    body: CorrectClock,
    response: 'The incident with its corrected clock',
    conflicts: true,
  })
  async correct(
    @Param('incidentId', new ParseUUIDPipe()) incidentId: string,
    @Headers('if-match') ifMatch: string | undefined,
    @Body(new ZodPipe(CorrectClock)) body: CorrectClock,
    @Caller() caller: Principal,
  ) {
    const actor = caller.subject;
    const incident = await changeIncident(this.dataSource, incidentId, expectedVersion(ifMatch), caller, (incident) => {
      const before = clockValue(incident, body.field);
      if (!before) {
        throw new Problem(409, 'Timestamp not set yet', `${body.field} is not set: it is set when the incident reaches that point, and can be corrected after.`);
      }
      const at = new Date(body.at);
      if (at.getTime() > Date.now() + 60_000) throw Problem.unprocessable([{ pointer: '/at', detail: 'must not be in the future' }]);
      if (at.getTime() === before.getTime()) return null;
      setClockValue(incident, body.field, at);
      const violation = clockOrderViolation(incident);
      if (violation) throw Problem.unprocessable([{ pointer: '/at', detail: `would break the clock's order: ${violation}` }]);
      incident.clockNotes = { ...incident.clockNotes, [body.field]: { by: actor, reason: body.reason, at: new Date().toISOString() } };
      return {
        history: { actor: caller, action: 'clock_corrected', reason: body.reason, effectiveAt: at, details: { field: body.field, from: before.toISOString(), to: at.toISOString() } },
        event: (i) =>
          createEvent(IncidentClockCorrectedV1, {
            source: '/vigil/triage',
            subject: i.id,
            data: { incident: toSnapshot(i), field: body.field, from: before.toISOString(), to: at.toISOString(), actor, reason: body.reason },
          }),
      };
    });
    return toOneView(this.dataSource, incident);
  }
}
