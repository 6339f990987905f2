import { Injectable } from '@nestjs/common';
import {
  AlertAcknowledgedV1,
  AlertReceivedV1,
  AlertRepeatedV1,
  AlertResolvedV1,
  DecisionRecordedV1,
  EscalationExhaustedV1,
  EscalationStartedV1,
  EscalationStepExecutedV1,
  EscalationStoppedV1,
  IncidentAcknowledgedV1,
  IncidentAlertAttachedV1,
  IncidentAlertDetachedV1,
  IncidentAssignedV1,
  IncidentClassifiedV1,
  IncidentClockCorrectedV1,
  IncidentLinkedV1,
  IncidentMergedV1,
  IncidentNoteAddedV1,
  IncidentOpenedV1,
  IncidentPhaseChangedV1,
  MessageApprovedV1,
  MessageAwaitingApprovalV1,
  MessageRejectedV1,
  MessageSentV1,
  IncidentRestrictionChangedV1,
  NotificationDeliveredV1,
  NotificationFailedV1,
  ObligationApproachingV1,
  ObligationChangedV1,
  ObligationMissedV1,
  ObligationOpenedV1,
  ObligationSubmittedV1,
  PageDeliveredV1,
  PageFailedV1,
  PageRequestedV1,
  StatusUpdateDueV1,
  StatusUpdateMissedV1,
  ReviewActionItemAddedV1,
  ReviewOpenedV1,
  ReviewStateChangedV1,
  TaskCancelledV1,
  TaskCompletedV1,
  TaskCreatedV1,
  type CloudEvent,
  type EventData,
} from '@vigil/contracts';
import type { EntityManager } from 'typeorm';
import { TimelineEntry } from '../../persistence/entities';

interface Line {
  at: string;
  summary: string;
  incidentId?: string;
  alertId?: string;
}

/** How each event reads on an incident's timeline. */
export function describe(event: CloudEvent): Line | undefined {
  switch (event.type) {
    case AlertReceivedV1.type: {
      const d = event.data as EventData<typeof AlertReceivedV1>;
      return { at: d.receivedAt, alertId: d.alertId, summary: `Alert received from ${d.source} (${d.severity}): ${d.title}` };
    }
    case AlertRepeatedV1.type: {
      const d = event.data as EventData<typeof AlertRepeatedV1>;
      return { at: d.lastSeenAt, alertId: d.alertId, summary: `Alert seen again (${d.occurrences} occurrences)` };
    }
    case AlertAcknowledgedV1.type: {
      const d = event.data as EventData<typeof AlertAcknowledgedV1>;
      return { at: d.acknowledgedAt, alertId: d.alertId, summary: 'Alert acknowledged at its source' };
    }
    case AlertResolvedV1.type: {
      const d = event.data as EventData<typeof AlertResolvedV1>;
      return { at: d.resolvedAt, alertId: d.alertId, summary: 'Alert resolved at its source' };
    }
    case IncidentOpenedV1.type: {
      const d = event.data as EventData<typeof IncidentOpenedV1>;
      return { at: d.incident.timestamps.declaredAt, incidentId: d.incident.incidentId, alertId: d.alert.alertId, summary: `Incident opened as ${d.incident.severity} ${d.incident.category}: ${d.incident.title}` };
    }
    case IncidentAlertAttachedV1.type: {
      const d = event.data as EventData<typeof IncidentAlertAttachedV1>;
      const how = d.movedFrom ? ` moved from incident ${d.movedFrom} by ${d.actor ?? 'an analyst'}` : d.correlatedBy && d.correlatedBy !== 'dedup_key' ? ` by ${d.correlatedBy.replace('_', ' ')}` : '';
      return { at: event.time, incidentId: d.incident.incidentId, alertId: d.alert.alertId, summary: `Alert attached${how} (${d.incident.alertCount} in all): ${d.alert.title}` };
    }
    case IncidentAlertDetachedV1.type: {
      // No alertId: the alert's link follows the attached event of the incident it moved to.
      const d = event.data as EventData<typeof IncidentAlertDetachedV1>;
      return { at: event.time, incidentId: d.incident.incidentId, summary: `Alert moved to incident ${d.movedTo} by ${d.actor} (${d.reason}): ${d.alert.title}` };
    }
    case IncidentMergedV1.type: {
      const d = event.data as EventData<typeof IncidentMergedV1>;
      return { at: event.time, incidentId: d.incident.incidentId, summary: `Merged ${d.mergedIncidentIds.length} incident(s) in, ${d.alertsMoved} alert(s), by ${d.actor} (${d.reason})` };
    }
    case IncidentClassifiedV1.type: {
      const d = event.data as EventData<typeof IncidentClassifiedV1>;
      const c = d.incident.classification;
      return {
        at: event.time,
        incidentId: d.incident.incidentId,
        summary: `Classified ${d.incident.severity} ${d.incident.category}${c ? ` (functional ${c.functionalImpact}, information ${c.informationImpact}, recoverability ${c.recoverability})` : ''}, was ${d.previous.severity} ${d.previous.category}, by ${d.actor} (${d.reason})`,
      };
    }
    case IncidentAssignedV1.type: {
      const d = event.data as EventData<typeof IncidentAssignedV1>;
      return { at: event.time, incidentId: d.incident.incidentId, summary: `Assigned: owner ${d.owner ?? 'none'}, responders ${d.responders.join(', ') || 'none'}, by ${d.actor}` };
    }
    case IncidentNoteAddedV1.type: {
      const d = event.data as EventData<typeof IncidentNoteAddedV1>;
      return { at: event.time, incidentId: d.incident.incidentId, summary: `Note by ${d.author}: ${d.body.length > 200 ? `${d.body.slice(0, 200)}…` : d.body}` };
    }
    case IncidentLinkedV1.type: {
      const d = event.data as EventData<typeof IncidentLinkedV1>;
      return { at: event.time, incidentId: d.incident.incidentId, summary: `Linked to incident ${d.linkedIncidentId} (${d.relation}) by ${d.actor}` };
    }
    case IncidentClockCorrectedV1.type: {
      const d = event.data as EventData<typeof IncidentClockCorrectedV1>;
      return { at: event.time, incidentId: d.incident.incidentId, summary: `${d.field} corrected from ${d.from ?? 'unset'} to ${d.to} by ${d.actor} (${d.reason})` };
    }
    case IncidentAcknowledgedV1.type: {
      const d = event.data as EventData<typeof IncidentAcknowledgedV1>;
      return { at: d.incident.timestamps.acknowledgedAt ?? event.time, incidentId: d.incident.incidentId, summary: `Acknowledged by ${d.actor}${d.reason ? ` (${d.reason})` : ''}` };
    }
    case IncidentPhaseChangedV1.type: {
      const d = event.data as EventData<typeof IncidentPhaseChangedV1>;
      return { at: event.time, incidentId: d.incident.incidentId, summary: `Phase ${d.from} → ${d.to} by ${d.actor}${d.reason ? ` (${d.reason})` : ''}` };
    }
    case IncidentRestrictionChangedV1.type: {
      const d = event.data as EventData<typeof IncidentRestrictionChangedV1>;
      return { at: event.time, incidentId: d.incident.incidentId, summary: `${d.restricted ? 'Restricted to need to know' : 'Restriction lifted'} by ${d.actor} (${d.reason})` };
    }
    case TaskCreatedV1.type: {
      const d = event.data as EventData<typeof TaskCreatedV1>;
      return { at: d.createdAt, incidentId: d.incidentId, summary: `Task for ${d.role} (${d.phase}): ${d.title}` };
    }
    case TaskCompletedV1.type: {
      const d = event.data as EventData<typeof TaskCompletedV1>;
      return { at: d.completedAt, incidentId: d.incidentId, summary: `Task done by ${d.actor}: ${d.title}${d.note ? ` (${d.note})` : ''}` };
    }
    case ReviewOpenedV1.type: {
      const d = event.data as EventData<typeof ReviewOpenedV1>;
      return { at: d.openedAt, incidentId: d.review.incidentId, summary: 'Post-incident review opened (draft)' };
    }
    case ReviewStateChangedV1.type: {
      const d = event.data as EventData<typeof ReviewStateChangedV1>;
      const what = d.to === 'completed' ? 'completed' : d.to === 'in_review' ? 'put in review' : 'sent back to draft';
      return { at: event.time, incidentId: d.review.incidentId, summary: `Post-incident review ${what} by ${d.actor}${d.reason ? ` (${d.reason})` : ''}` };
    }
    case ReviewActionItemAddedV1.type: {
      const d = event.data as EventData<typeof ReviewActionItemAddedV1>;
      const a = d.actionItem;
      const from = a.origin === 'exercise' ? 'Improvement plan item' : 'Action item';
      return { at: event.time, incidentId: a.incidentId, summary: `${from} (${a.type.replace('_', ' ')}) for ${a.owner}, due ${a.dueAt.slice(0, 16).replace('T', ' ')} UTC: ${a.title}` };
    }
    case TaskCancelledV1.type: {
      const d = event.data as EventData<typeof TaskCancelledV1>;
      return { at: d.cancelledAt, incidentId: d.incidentId, summary: `Task cancelled: ${d.title} (${d.reason})` };
    }
    case NotificationDeliveredV1.type:
    case NotificationFailedV1.type: {
      const d = event.data as EventData<typeof NotificationDeliveredV1>;
      const verb = event.type === NotificationDeliveredV1.type ? 'delivered' : 'failed';
      return { at: d.at, incidentId: d.incidentId, summary: `Notification to ${d.audience} via ${d.channel} ${verb} after ${d.attempts} attempt(s)${d.lastError ? `: ${d.lastError}` : ''}` };
    }
    case EscalationStartedV1.type: {
      const d = event.data as EventData<typeof EscalationStartedV1>;
      return { at: d.startedAt, incidentId: d.incidentId, summary: `Escalation started with ${d.policyName} (version ${d.policyVersion}): ${d.trigger.reason}` };
    }
    case EscalationStepExecutedV1.type: {
      const d = event.data as EventData<typeof EscalationStepExecutedV1>;
      const who = d.paged.map((p) => p.name).join(', ') || 'nobody';
      const gaps = d.unresolved.length ? `; ${d.unresolved.map((u) => u.reason).join('; ')}` : '';
      const next = d.nextStepDueAt ? `; next at ${d.nextStepDueAt} unless acknowledged` : '';
      return { at: d.executedAt, incidentId: d.incidentId, summary: `Escalation step ${d.step.number}${d.step.cycle ? ` (repeat ${d.step.cycle})` : ''}: paged ${who}${gaps}${next}` };
    }
    case PageRequestedV1.type: {
      const d = event.data as EventData<typeof PageRequestedV1>;
      return { at: d.requestedAt, incidentId: d.incidentId, summary: `Page to ${d.person.name} requested (step ${d.step.number})` };
    }
    case PageDeliveredV1.type:
    case PageFailedV1.type: {
      const d = event.data as EventData<typeof PageDeliveredV1>;
      const verb = event.type === PageDeliveredV1.type ? 'delivered' : 'failed';
      return { at: d.at, incidentId: d.incidentId, summary: `Page ${verb}${d.channel ? ` via ${d.channel}` : ''} after ${d.attempts} attempt(s)${d.lastError ? `: ${d.lastError}` : ''}` };
    }
    case EscalationStoppedV1.type: {
      const d = event.data as EventData<typeof EscalationStoppedV1>;
      const after = d.lastStep ? ` after step ${d.lastStep.number}` : ' before its first step';
      return { at: d.at, incidentId: d.incidentId, summary: `Escalation stopped${after}: ${d.reason}${d.actor ? ` by ${d.actor}` : ''}${d.detail ? ` (${d.detail})` : ''}` };
    }
    case EscalationExhaustedV1.type: {
      const d = event.data as EventData<typeof EscalationExhaustedV1>;
      return { at: d.at, incidentId: d.incidentId, summary: `Escalation ran out: ${d.policyName} ran ${d.stepsExecuted} step(s) and nobody acknowledged` };
    }
    case MessageAwaitingApprovalV1.type: {
      const d = event.data as EventData<typeof MessageAwaitingApprovalV1>;
      return { at: d.at, incidentId: d.incidentId, summary: `Message to ${words(d.audience)} (${words(d.purpose)}) drafted by ${d.draftedBy}, awaiting approval by ${d.approverRoles.map(words).join(' or ')}` };
    }
    case MessageApprovedV1.type: {
      const d = event.data as EventData<typeof MessageApprovedV1>;
      return { at: d.at, incidentId: d.incidentId, summary: `Message to ${words(d.audience)} (${words(d.purpose)}) approved by ${d.approvedBy}${d.comment ? ` (${d.comment})` : ''}` };
    }
    case MessageRejectedV1.type: {
      const d = event.data as EventData<typeof MessageRejectedV1>;
      return { at: d.at, incidentId: d.incidentId, summary: `Message to ${words(d.audience)} (${words(d.purpose)}) rejected by ${d.rejectedBy} (${d.reason})` };
    }
    case MessageSentV1.type: {
      const d = event.data as EventData<typeof MessageSentV1>;
      const via = d.channels.map((c) => `${c.name}${c.delivered ? '' : ' (failed)'}`).join(', ');
      return { at: d.at, incidentId: d.incidentId, summary: `Message to ${words(d.audience)} (${words(d.purpose)}) ${words(d.outcome)} via ${via}; text SHA-256 ${d.textSha256.slice(0, 12)}…` };
    }
    case DecisionRecordedV1.type: {
      const d = event.data as EventData<typeof DecisionRecordedV1>;
      return { at: d.recordedAt, incidentId: d.incidentId, summary: `Decision: ${words(d.kind)}, effective ${d.effectiveAt}, by ${d.decidedBy} (${d.reason})` };
    }
    case ObligationOpenedV1.type: {
      const d = event.data as EventData<typeof ObligationOpenedV1>;
      return { at: event.time, incidentId: d.obligation.incidentId, summary: `Regulatory clock started: ${d.obligation.title}, due ${d.obligation.deadline ?? 'after the earlier stage'}` };
    }
    case ObligationApproachingV1.type: {
      const d = event.data as EventData<typeof ObligationApproachingV1>;
      return { at: d.at, incidentId: d.obligation.incidentId, summary: `Regulatory deadline approaching: ${d.obligation.title}, ${Math.max(0, Math.round(d.timeLeftSeconds / 60))} min left (due ${d.obligation.deadline})` };
    }
    case ObligationMissedV1.type: {
      const d = event.data as EventData<typeof ObligationMissedV1>;
      return { at: d.at, incidentId: d.obligation.incidentId, summary: `Regulatory deadline missed: ${d.obligation.title} was due ${d.obligation.deadline}` };
    }
    case ObligationSubmittedV1.type: {
      const d = event.data as EventData<typeof ObligationSubmittedV1>;
      return {
        at: d.submittedAt,
        incidentId: d.obligation.incidentId,
        summary: `Regulatory notice submitted: ${d.obligation.title} by ${d.submittedBy}${d.reference ? ` (${d.reference})` : ''}${d.lateReason ? `, late: ${d.lateReason}` : ''}`,
      };
    }
    case ObligationChangedV1.type: {
      const d = event.data as EventData<typeof ObligationChangedV1>;
      return { at: d.at, incidentId: d.obligation.incidentId, summary: `Regulatory clock ${words(d.change)}: ${d.obligation.title} by ${d.actor} (${d.reason})${d.obligation.deadline ? `; due ${d.obligation.deadline}` : ''}` };
    }
    case StatusUpdateDueV1.type: {
      const d = event.data as EventData<typeof StatusUpdateDueV1>;
      return { at: d.at, incidentId: d.incidentId, summary: `Status update to ${words(d.audience)} due (every ${Math.round(d.intervalSeconds / 60)} min for ${d.severity})` };
    }
    case StatusUpdateMissedV1.type: {
      const d = event.data as EventData<typeof StatusUpdateMissedV1>;
      return { at: d.at, incidentId: d.incidentId, summary: `Status update to ${words(d.audience)} missed: due ${d.dueAt}, none sent within ${Math.round(d.graceSeconds / 60)} min` };
    }
    default:
      return undefined;
  }
}

/** snake_case vocabulary read as words (`law_enforcement` → law enforcement). */
function words(value: string): string {
  return value.replace(/_/g, ' ');
}

@Injectable()
export class RecordTimelineHandler {
  async handle(event: CloudEvent, manager: EntityManager): Promise<void> {
    const line = describe(event);
    if (!line) return;
    await manager
      .createQueryBuilder()
      .insert()
      .into(TimelineEntry)
      .values({
        eventId: event.id,
        incidentId: line.incidentId ?? null,
        alertId: line.alertId && !line.incidentId ? line.alertId : null,
        at: new Date(line.at),
        type: event.type,
        source: event.source,
        summary: line.summary,
      })
      .orIgnore()
      .execute();
    if (event.type === IncidentMergedV1.type) {
      // The merged incidents' alerts are the target's now: their timeline entries follow them.
      const d = event.data as EventData<typeof IncidentMergedV1>;
      await manager.query(`UPDATE reporting.incident_alert_links SET incident_id = $1 WHERE incident_id = ANY($2::uuid[])`, [d.incident.incidentId, d.mergedIncidentIds]);
    }
    if (line.incidentId && line.alertId) {
      await manager.query(
        `INSERT INTO reporting.incident_alert_links (alert_id, incident_id) VALUES ($1, $2)
         ON CONFLICT (alert_id) DO UPDATE SET incident_id = EXCLUDED.incident_id`,
        [line.alertId, line.incidentId],
      );
    }
  }
}
