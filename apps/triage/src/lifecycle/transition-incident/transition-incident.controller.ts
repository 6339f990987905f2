import { Body, Controller, Headers, Param, ParseUUIDPipe, UseInterceptors } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { createEvent, IncidentPhaseChangedV1, TransitionIncident } from '@vigil/contracts';
import { allows, Caller, Problem, ZodPipe, type Principal } from '@vigil/platform';
import { DataSource } from 'typeorm';
import { expectedVersion, IncidentETagInterceptor } from '../../incidents/concurrency';
import { IncidentChangeRoute } from '../../incidents/incident-change-route';
import { setClockValue, toSnapshot, toView } from '../../persistence/incident.entity';
import { allowedTransitions, canTransition, clockFieldOf, isReturnToContainment } from '../phases';
import { clockOrderViolation } from '../correct-clock/clock-order';
import { changeIncident, effectiveTime } from '../record-change';
import { assertReviewCompletedBeforeClosing } from '../review-gate/review-gate';
import { assertMandatoryTasksFinishedBeforeClosing } from '../task-gate/task-gate';

@ApiTags('incidents')
@Controller('v1/incidents')
@UseInterceptors(IncidentETagInterceptor)
export class TransitionIncidentController {
  constructor(private readonly dataSource: DataSource) {}

  @IncidentChangeRoute(':incidentId/transition', {
    permission: 'incidents.transition',
    operation: {
      summary: 'Move an incident to its next lifecycle phase',
      description:
        'detected → triaged → contained → eradicated → recovered → post_incident → closed; detected or triaged → false_positive. ' +
        'A recovered or post_incident incident that had a recurrence (recurrenceCount > 0) may go back to contained, by an IR manager ' +
        '(permission incidents.reopen-containment, else 403); its first containedAt stays (MTTC is measured to the first containment). ' +
        'Entering contained, eradicated, recovered or closed sets that timestamp. An illegal transition is a 409 naming the allowed ones. ' +
        'Closing needs the incident\'s mandatory playbook tasks done or skipped (tasking; a 409 names them in openMandatoryTasks) ' +
        'and then its post-incident review completed (reporting): until it is, a 409 says why.',
      operationId: 'transitionIncident',
    },
    body: TransitionIncident,
    response: 'The incident in its new phase',
    conflicts: true,
  })
  async transition(
    @Param('incidentId', new ParseUUIDPipe()) incidentId: string,
    @Headers('if-match') ifMatch: string | undefined,
    @Body(new ZodPipe(TransitionIncident)) body: TransitionIncident,
    @Caller() caller: Principal,
  ) {
    const actor = caller.subject;
    const incident = await changeIncident(this.dataSource, incidentId, expectedVersion(ifMatch), caller, async (incident, manager) => {
      const from = incident.phase;
      const context = { recurrences: incident.recurrenceCount ?? 0 };
      if (!canTransition(from, body.to, context)) {
        const allowed = allowedTransitions(from, context);
        throw new Problem(
          409,
          'Illegal transition',
          `An incident in phase ${from} cannot move to ${body.to}; ` +
            (allowed.length ? `allowed: ${allowed.join(', ')}.` : `${from} is a final phase.`),
          { currentPhase: from, requestedPhase: body.to, allowedTransitions: allowed },
        );
      }
      const returning = isReturnToContainment(from, body.to);
      if (returning && !allows(caller.roles, 'incidents.reopen-containment')) {
        throw new Problem(403, 'Forbidden', 'Moving a recovered incident back to contained after a recurrence is for an IR manager (incidents.reopen-containment).');
      }
      await assertMandatoryTasksFinishedBeforeClosing(manager, incident.id, body.to);
      await assertReviewCompletedBeforeClosing(manager, incident.id, body.to);
      const at = effectiveTime(incident, body.at);
      incident.phase = body.to;
      // Back in containment after a recurrence, the clock keeps the first containment (and the recovery it had).
      const clockField = returning ? undefined : clockFieldOf(body.to);
      if (clockField) {
        setClockValue(incident, clockField, at);
        // A backdated phase must not come before the one it follows (nor before detection).
        const violation = clockOrderViolation(incident);
        if (violation) throw Problem.unprocessable([{ pointer: '/at', detail: `would break the clock's order: ${violation}` }]);
        incident.clockNotes = { ...incident.clockNotes, [clockField]: { by: actor, reason: body.reason ?? null, at: new Date().toISOString() } };
      }
      return {
        history: { actor: caller, action: 'transitioned', fromPhase: from, toPhase: body.to, effectiveAt: at, reason: body.reason },
        event: (i) =>
          createEvent(IncidentPhaseChangedV1, {
            source: '/vigil/triage',
            subject: i.id,
            time: at, // when it happened (a backdated change keeps its place on the timeline)
            data: { incident: toSnapshot(i), from, to: body.to, actor, reason: body.reason ?? null },
          }),
      };
    });
    return toView(incident);
  }
}
