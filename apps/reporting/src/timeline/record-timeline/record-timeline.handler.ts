import { Injectable } from '@nestjs/common';
import {
  ActionApprovedV1,
  ActionExecutedV1,
  ActionFailedV1,
  ActionRequestedV1,
  ActionReviewedV1,
  ActionUndoneV1,
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
  IncidentRecurrenceDetectedV1,
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
  TaskSkippedV1,
  TaskSlaBreachedV1,
  TaskStartedV1,
  PlaybookAppliedV1,
  type CloudEvent,
  type EventData,
  type EventDefinition,
} from '@vigil/contracts';
import { onRunOf, type HandlerRegistration } from '@vigil/messaging';
import type { EntityManager } from 'typeorm';

/** An event as a line of an incident's timeline. */
export interface Line {
  at: string;
  summary: string;
  incidentId?: string;
  alertId?: string;
  /**
   * Lines with the same key are one entry, counted: the repeats of an alert (and the attachments
   * triage reports for them), which would otherwise be one row each.
   */
  collapseKey?: string;
  /** How many occurrences this line stands for on its collapsed entry (default one). */
  weight?: number;
}

/** What a line may read of the event beside its data. */
type Envelope = Pick<CloudEvent, 'type' | 'time'>;

interface LineOf<D extends EventDefinition> {
  readonly def: D;
  line(data: EventData<D>, event: Envelope): Line;
}

/** How each event of a definition reads on an incident's timeline, typed by it. */
function lineOf<D extends EventDefinition>(def: D, line: (data: EventData<D>, event: Envelope) => Line): LineOf<EventDefinition> {
  return { def, line } as LineOf<EventDefinition>;
}

/** Every event on the timeline, and how it reads there. */
export const TIMELINE_LINES: ReadonlyArray<LineOf<EventDefinition>> = [
  lineOf(AlertReceivedV1, (d) => ({ at: d.receivedAt, alertId: d.alertId, summary: `Alert received from ${d.source} (${d.severity}): ${d.title}` })),
  // Every repeat of an alert is one entry, counted (first and last seen): not a row per repeat.
  lineOf(AlertRepeatedV1, (d) => ({ at: d.lastSeenAt, alertId: d.alertId, summary: `Alert seen again (${d.occurrences} occurrences)`, collapseKey: `repeated:${d.alertId}` })),
  lineOf(AlertAcknowledgedV1, (d) => ({ at: d.acknowledgedAt, alertId: d.alertId, summary: 'Alert acknowledged at its source' })),
  lineOf(AlertResolvedV1, (d) => ({ at: d.resolvedAt, alertId: d.alertId, summary: 'Alert resolved at its source' })),
  lineOf(IncidentOpenedV1, (d) => ({ at: d.incident.timestamps.declaredAt, incidentId: d.incident.incidentId, alertId: d.alert.alertId, summary: `Incident opened as ${d.incident.severity} ${d.incident.category}: ${d.incident.title}` })),
  lineOf(IncidentAlertAttachedV1, (d, event) => {
    const how = d.movedFrom ? ` moved from incident ${d.movedFrom} by ${d.actor ?? 'an analyst'}` : d.correlatedBy && d.correlatedBy !== 'dedup_key' ? ` by ${d.correlatedBy.replace('_', ' ')}` : '';
    // Attached by its dedup key: a repeat of an alert the incident has (triage reports each one),
    // counted on one entry per alert and incident. Moves, merges and correlations stay lines of their own.
    const repeat = !d.movedFrom && (d.correlatedBy ?? 'dedup_key') === 'dedup_key';
    return {
      at: event.time,
      incidentId: d.incident.incidentId,
      alertId: d.alert.alertId,
      summary: `Alert attached${how} (${d.incident.alertCount} in all): ${d.alert.title}`,
      collapseKey: repeat ? `attached:${d.incident.incidentId}:${d.alert.alertId}` : undefined,
      // Triage reports a run of repeats of one alert as one event that says how many it stands for.
      weight: repeat ? (d.repeats ?? 1) : undefined,
    };
  }),
  lineOf(IncidentAlertDetachedV1, (d, event) => {
    // No alertId: the alert's link follows the attached event of the incident it moved to.
    return { at: event.time, incidentId: d.incident.incidentId, summary: `Alert moved to incident ${d.movedTo} by ${d.actor} (${d.reason}): ${d.alert.title}` };
  }),
  lineOf(IncidentMergedV1, (d, event) => ({ at: event.time, incidentId: d.incident.incidentId, summary: `Merged ${d.mergedIncidentIds.length} incident(s) in, ${d.alertsMoved} alert(s), by ${d.actor} (${d.reason})` })),
  lineOf(IncidentClassifiedV1, (d, event) => {
    const c = d.incident.classification;
    return {
      at: event.time,
      incidentId: d.incident.incidentId,
      summary: `Classified ${d.incident.severity} ${d.incident.category}${c ? ` (functional ${c.functionalImpact}, information ${c.informationImpact}, recoverability ${c.recoverability})` : ''}, was ${d.previous.severity} ${d.previous.category}, by ${d.actor} (${d.reason})`,
    };
  }),
  lineOf(IncidentAssignedV1, (d, event) => ({ at: event.time, incidentId: d.incident.incidentId, summary: `Assigned: owner ${d.owner ?? 'none'}, responders ${d.responders.join(', ') || 'none'}, by ${d.actor}` })),
  lineOf(IncidentNoteAddedV1, (d, event) => ({ at: event.time, incidentId: d.incident.incidentId, summary: `Note by ${d.author}: ${d.body.length > 200 ? `${d.body.slice(0, 200)}…` : d.body}` })),
  lineOf(IncidentLinkedV1, (d, event) => ({ at: event.time, incidentId: d.incident.incidentId, summary: `Linked to incident ${d.linkedIncidentId} (${d.relation}) by ${d.actor}` })),
  lineOf(IncidentClockCorrectedV1, (d, event) => ({ at: event.time, incidentId: d.incident.incidentId, summary: `${d.field} corrected from ${d.from ?? 'unset'} to ${d.to} by ${d.actor} (${d.reason})` })),
  lineOf(IncidentAcknowledgedV1, (d, event) => ({ at: d.incident.timestamps.acknowledgedAt ?? event.time, incidentId: d.incident.incidentId, summary: `Acknowledged by ${d.actor}${d.reason ? ` (${d.reason})` : ''}` })),
  lineOf(IncidentPhaseChangedV1, (d, event) => ({ at: event.time, incidentId: d.incident.incidentId, summary: `Phase ${d.from} → ${d.to} by ${d.actor}${d.reason ? ` (${d.reason})` : ''}` })),
  lineOf(IncidentRestrictionChangedV1, (d, event) => ({ at: event.time, incidentId: d.incident.incidentId, summary: `${d.restricted ? 'Restricted to need to know' : 'Restriction lifted'} by ${d.actor} (${d.reason})` })),
  lineOf(IncidentRecurrenceDetectedV1, (d, event) => {
    const matched = [...d.matchedAssetIds.map((id) => `asset ${id}`), ...d.matchedObservables].join(', ');
    return { at: event.time, incidentId: d.incidentId, alertId: d.alert.alertId, summary: `Recurrence during the recovery watch (${d.recurrenceCount}${matched ? `; matched ${matched}` : ''}), watch ends ${d.watchEndsAt}: ${d.alert.title}` };
  }),
  lineOf(TaskCreatedV1, (d) => ({ at: d.createdAt, incidentId: d.incidentId, summary: `Task for ${d.role} (${d.phase}): ${d.title}` })),
  lineOf(TaskCompletedV1, (d) => ({ at: d.completedAt, incidentId: d.incidentId, summary: `Task done by ${d.actor}: ${d.title}${d.note ? ` (${d.note})` : ''}` })),
  lineOf(ReviewOpenedV1, (d) => ({ at: d.openedAt, incidentId: d.review.incidentId, summary: 'Post-incident review opened (draft)' })),
  lineOf(ReviewStateChangedV1, (d, event) => {
    const what = d.to === 'completed' ? 'completed' : d.to === 'in_review' ? 'put in review' : 'sent back to draft';
    return { at: event.time, incidentId: d.review.incidentId, summary: `Post-incident review ${what} by ${d.actor}${d.reason ? ` (${d.reason})` : ''}` };
  }),
  lineOf(ReviewActionItemAddedV1, (d, event) => {
    const a = d.actionItem;
    const from = a.origin === 'exercise' ? 'Improvement plan item' : 'Action item';
    return { at: event.time, incidentId: a.incidentId, summary: `${from} (${a.type.replace('_', ' ')}) for ${a.owner}, due ${a.dueAt.slice(0, 16).replace('T', ' ')} UTC: ${a.title}` };
  }),
  lineOf(TaskCancelledV1, (d) => ({ at: d.cancelledAt, incidentId: d.incidentId, summary: `Task cancelled: ${d.title} (${d.reason})` })),
  lineOf(TaskStartedV1, (d) => ({ at: d.startedAt, incidentId: d.incidentId, summary: `Task started by ${d.actor}: ${d.title}` })),
  lineOf(TaskSkippedV1, (d) => ({ at: d.skippedAt, incidentId: d.incidentId, summary: `Task skipped by ${d.actor}: ${d.title} (${d.reason})` })),
  lineOf(TaskSlaBreachedV1, (d) => ({ at: d.breachedAt, incidentId: d.incidentId, summary: `Task SLA breached (${d.severity}, ${d.phase}, due ${d.dueAt}): ${d.title}` })),
  lineOf(PlaybookAppliedV1, (d) => {
    const change = d.previousVersion
      ? `moved from version ${d.previousVersion} by ${d.actor} (added: ${d.addedSteps.join(', ') || 'none'}; dropped: ${d.droppedSteps.join(', ') || 'none'})`
      : `applied (${d.steps.length} steps)`;
    return { at: d.appliedAt, incidentId: d.incidentId, summary: `Playbook ${d.playbook} version ${d.version} ${change}` };
  }),
  ...[NotificationDeliveredV1, NotificationFailedV1].map((def) =>
    lineOf(def, (d, event) => {
      const verb = event.type === NotificationDeliveredV1.type ? 'delivered' : 'failed';
      return { at: d.at, incidentId: d.incidentId, summary: `Notification to ${d.audience} via ${d.channel} ${verb} after ${d.attempts} attempt(s)${d.lastError ? `: ${d.lastError}` : ''}` };
    }),
  ),
  lineOf(EscalationStartedV1, (d) => ({ at: d.startedAt, incidentId: d.incidentId, summary: `Escalation started with ${d.policyName} (version ${d.policyVersion}): ${d.trigger.reason}` })),
  lineOf(EscalationStepExecutedV1, (d) => {
    const who = d.paged.map((p) => p.name).join(', ') || 'nobody';
    const gaps = d.unresolved.length ? `; ${d.unresolved.map((u) => u.reason).join('; ')}` : '';
    const next = d.nextStepDueAt ? `; next at ${d.nextStepDueAt} unless acknowledged` : '';
    return { at: d.executedAt, incidentId: d.incidentId, summary: `Escalation step ${d.step.number}${d.step.cycle ? ` (repeat ${d.step.cycle})` : ''}: paged ${who}${gaps}${next}` };
  }),
  lineOf(PageRequestedV1, (d) => ({ at: d.requestedAt, incidentId: d.incidentId, summary: `Page to ${d.person.name} requested (step ${d.step.number})` })),
  ...[PageDeliveredV1, PageFailedV1].map((def) =>
    lineOf(def, (d, event) => {
      const verb = event.type === PageDeliveredV1.type ? 'delivered' : 'failed';
      return { at: d.at, incidentId: d.incidentId, summary: `Page ${verb}${d.channel ? ` via ${d.channel}` : ''} after ${d.attempts} attempt(s)${d.lastError ? `: ${d.lastError}` : ''}` };
    }),
  ),
  lineOf(EscalationStoppedV1, (d) => {
    const after = d.lastStep ? ` after step ${d.lastStep.number}` : ' before its first step';
    return { at: d.at, incidentId: d.incidentId, summary: `Escalation stopped${after}: ${d.reason}${d.actor ? ` by ${d.actor}` : ''}${d.detail ? ` (${d.detail})` : ''}` };
  }),
  lineOf(EscalationExhaustedV1, (d) => ({ at: d.at, incidentId: d.incidentId, summary: `Escalation ran out: ${d.policyName} ran ${d.stepsExecuted} step(s) and nobody acknowledged` })),
  lineOf(MessageAwaitingApprovalV1, (d) => ({ at: d.at, incidentId: d.incidentId, summary: `Message to ${words(d.audience)} (${words(d.purpose)}) drafted by ${d.draftedBy}, awaiting approval by ${d.approverRoles.map(words).join(' or ')}` })),
  lineOf(MessageApprovedV1, (d) => ({ at: d.at, incidentId: d.incidentId, summary: `Message to ${words(d.audience)} (${words(d.purpose)}) approved by ${d.approvedBy}${d.comment ? ` (${d.comment})` : ''}` })),
  lineOf(MessageRejectedV1, (d) => ({ at: d.at, incidentId: d.incidentId, summary: `Message to ${words(d.audience)} (${words(d.purpose)}) rejected by ${d.rejectedBy} (${d.reason})` })),
  lineOf(MessageSentV1, (d) => {
    const via = d.channels.map((c) => `${c.name}${c.delivered ? '' : ' (failed)'}`).join(', ');
    return { at: d.at, incidentId: d.incidentId, summary: `Message to ${words(d.audience)} (${words(d.purpose)}) ${words(d.outcome)} via ${via}; text SHA-256 ${d.textSha256.slice(0, 12)}…` };
  }),
  lineOf(DecisionRecordedV1, (d) => ({ at: d.recordedAt, incidentId: d.incidentId, summary: `Decision: ${words(d.kind)}, effective ${d.effectiveAt}, by ${d.decidedBy} (${d.reason})` })),
  lineOf(ObligationOpenedV1, (d, event) => ({ at: event.time, incidentId: d.obligation.incidentId, summary: `Regulatory clock started: ${d.obligation.title}, due ${d.obligation.deadline ?? 'after the earlier stage'}` })),
  lineOf(ObligationApproachingV1, (d) => ({ at: d.at, incidentId: d.obligation.incidentId, summary: `Regulatory deadline approaching: ${d.obligation.title}, ${Math.max(0, Math.round(d.timeLeftSeconds / 60))} min left (due ${d.obligation.deadline})` })),
  lineOf(ObligationMissedV1, (d) => ({ at: d.at, incidentId: d.obligation.incidentId, summary: `Regulatory deadline missed: ${d.obligation.title} was due ${d.obligation.deadline}` })),
  lineOf(ObligationSubmittedV1, (d) => {
    return {
      at: d.submittedAt,
      incidentId: d.obligation.incidentId,
      summary: `Regulatory notice submitted: ${d.obligation.title} by ${d.submittedBy}${d.reference ? ` (${d.reference})` : ''}${d.lateReason ? `, late: ${d.lateReason}` : ''}`,
    };
  }),
  lineOf(ObligationChangedV1, (d) => ({ at: d.at, incidentId: d.obligation.incidentId, summary: `Regulatory clock ${words(d.change)}: ${d.obligation.title} by ${d.actor} (${d.reason})${d.obligation.deadline ? `; due ${d.obligation.deadline}` : ''}` })),
  lineOf(StatusUpdateDueV1, (d) => ({ at: d.at, incidentId: d.incidentId, summary: `Status update to ${words(d.audience)} due (every ${Math.round(d.intervalSeconds / 60)} min for ${d.severity})` })),
  lineOf(StatusUpdateMissedV1, (d) => ({ at: d.at, incidentId: d.incidentId, summary: `Status update to ${words(d.audience)} missed: due ${d.dueAt}, none sent within ${Math.round(d.graceSeconds / 60)} min` })),
  // Response actions (tasking): the record of what was done to systems, and who allowed it.
  lineOf(ActionRequestedV1, (d) => {
    const how = d.breakGlass ? `break-glass by ${d.requestedBy} (${d.breakGlass.reason})` : d.undoOf ? `undo by ${d.requestedBy}` : `requested by ${d.requestedBy}, ${d.approvalsRequired} approval(s) needed`;
    return { at: d.requestedAt, incidentId: d.incidentId, summary: `Action ${words(d.kind)} on ${d.target.value} via ${d.connector.name}: ${how}` };
  }),
  lineOf(ActionApprovedV1, (d) => ({ at: d.approvedAt, incidentId: d.incidentId, summary: `Action ${words(d.kind)} on ${d.target.value} approved by ${d.approver} (${d.approvals} of ${d.approvalsRequired})` })),
  lineOf(ActionExecutedV1, (d) => ({ at: d.executedAt, incidentId: d.incidentId, summary: `Action ${words(d.kind)} on ${d.target.value} carried out (HTTP ${d.statusCode}, ${d.attempts} attempt(s))${d.breakGlass ? ', break-glass' : ''}` })),
  // A rejection's error says it already ("rejected by …", "withdrawn by its requester …").
  lineOf(ActionFailedV1, (d) => ({ at: d.at, incidentId: d.incidentId, summary: `Action ${words(d.kind)} on ${d.target.value} ${d.outcome === 'rejected' ? d.error : `${d.outcome}: ${d.error}`}` })),
  lineOf(ActionUndoneV1, (d) => ({ at: d.undoneAt, incidentId: d.incidentId, summary: `Action ${words(d.kind)} on ${d.target.value} undone (${words(d.undoKind)}) by ${d.actor}` })),
  lineOf(ActionReviewedV1, (d) => ({ at: d.reviewedAt, incidentId: d.incidentId, summary: `Break-glass action ${words(d.kind)} on ${d.target.value} reviewed by ${d.reviewer}: ${d.note}` })),
];

const LINES = new Map(TIMELINE_LINES.map((l) => [l.def.type, l]));

/** How an event reads on an incident's timeline (undefined: not on it). */
export function describe(event: CloudEvent): Line | undefined {
  return LINES.get(event.type)?.line(event.data as never, event);
}

/** snake_case vocabulary read as words (`law_enforcement` → law enforcement). */
function words(value: string): string {
  return value.replace(/_/g, ' ');
}

/** A line as it is written: the event it came from, and how many events it stands for. */
export interface TimelineWrite extends Line {
  eventId: string;
  type: string;
  source: string;
}

/** Reporting writes a run's lines in a few statements; these are the registrations that do it. */
@Injectable()
export class RecordTimelineHandler {
  /**
   * One run-wise registration for every event on the timeline: a stretch of N events of any of
   * these types, in order, is two or three statements. (One registration per type cut a busy
   * partition — new alerts between repeats, new incidents between attached alerts — into stretches
   * of a few events, each its own statements.)
   */
  registrations(): HandlerRegistration[] {
    return [
      onRunOf(
        TIMELINE_LINES.map((l) => l.def),
        async (run, tx) => {
          const lines = run.map(({ type, data, meta }) => ({ ...LINES.get(type)!.line(data as never, meta), eventId: meta.id, type: meta.type, source: meta.source }));
          await this.record(tx, lines);
        },
      ),
    ];
  }

  /**
   * Writes lines: each on its own in one multi-row insert (a replayed one changes nothing), those
   * with a collapse key into one entry per key (counted, first and last seen), and the alert links
   * of incident lines. A merge moves the merged incidents' alert links first.
   */
  async record(manager: Pick<EntityManager, 'query'>, lines: TimelineWrite[]): Promise<void> {
    if (lines.length === 0) return;
    const single = lines.filter((l) => !l.collapseKey);
    if (single.length > 0) {
      await manager.query(
        `INSERT INTO reporting.timeline_entries (event_id, incident_id, alert_id, at, type, source, summary)
         SELECT * FROM unnest($1::text[], $2::uuid[], $3::uuid[], $4::timestamptz[], $5::text[], $6::text[], $7::text[])
         ON CONFLICT (event_id) DO NOTHING`,
        [
          single.map((l) => l.eventId),
          single.map((l) => l.incidentId ?? null),
          // An alert's own lines are keyed by the alert; an incident's by the incident only.
          single.map((l) => (l.alertId && !l.incidentId ? l.alertId : null)),
          single.map((l) => l.at),
          single.map((l) => l.type),
          single.map((l) => l.source),
          single.map((l) => l.summary),
        ],
      );
    }
    const collapsed = collapse(lines.filter((l) => l.collapseKey));
    if (collapsed.length > 0) {
      // The entry keeps its first event's id and time; the count adds up, the newest line's summary wins.
      await manager.query(
        `INSERT INTO reporting.timeline_entries AS t (event_id, incident_id, alert_id, at, type, source, summary, collapse_key, count, last_at)
         SELECT * FROM unnest($1::text[], $2::uuid[], $3::uuid[], $4::timestamptz[], $5::text[], $6::text[], $7::text[], $8::text[], $9::int[], $10::timestamptz[])
         ON CONFLICT (collapse_key) WHERE collapse_key IS NOT NULL DO UPDATE SET
           count = t.count + EXCLUDED.count,
           summary = CASE WHEN EXCLUDED.last_at >= coalesce(t.last_at, t.at) THEN EXCLUDED.summary ELSE t.summary END,
           last_at = GREATEST(coalesce(t.last_at, t.at), EXCLUDED.last_at)`,
        [
          collapsed.map((c) => c.eventId),
          collapsed.map((c) => c.incidentId ?? null),
          collapsed.map((c) => (c.alertId && !c.incidentId ? c.alertId : null)),
          collapsed.map((c) => c.at),
          collapsed.map((c) => c.type),
          collapsed.map((c) => c.source),
          collapsed.map((c) => c.summary),
          collapsed.map((c) => c.collapseKey),
          collapsed.map((c) => c.count),
          collapsed.map((c) => c.lastAt),
        ],
      );
    }
    // The newest link of each alert in the run wins (one row each: an upsert touches a row once).
    const links = new Map<string, string>();
    for (const l of lines) if (l.incidentId && l.alertId) links.set(l.alertId, l.incidentId);
    if (links.size > 0) {
      await manager.query(
        `INSERT INTO reporting.incident_alert_links (alert_id, incident_id) SELECT * FROM unnest($1::uuid[], $2::uuid[])
         ON CONFLICT (alert_id) DO UPDATE SET incident_id = EXCLUDED.incident_id`,
        [[...links.keys()], [...links.values()]],
      );
    }
  }

  /** The merged incidents' alerts are the target's now: their timeline entries follow them. */
  async moveLinksOfMerged(manager: Pick<EntityManager, 'query'>, d: EventData<typeof IncidentMergedV1>): Promise<void> {
    await manager.query(`UPDATE reporting.incident_alert_links SET incident_id = $1 WHERE incident_id = ANY($2::uuid[])`, [d.incident.incidentId, d.mergedIncidentIds]);
  }
}

/** Lines with one collapse key as one entry: first event and time, newest summary, how many. */
function collapse(lines: TimelineWrite[]): Array<TimelineWrite & { count: number; lastAt: string }> {
  const byKey = new Map<string, TimelineWrite & { count: number; lastAt: string }>();
  for (const l of lines) {
    const entry = byKey.get(l.collapseKey!);
    if (!entry) {
      byKey.set(l.collapseKey!, { ...l, count: l.weight ?? 1, lastAt: l.at });
      continue;
    }
    entry.count += l.weight ?? 1;
    if (Date.parse(l.at) < Date.parse(entry.at)) entry.at = l.at;
    if (Date.parse(l.at) >= Date.parse(entry.lastAt)) {
      entry.lastAt = l.at;
      entry.summary = l.summary;
    }
  }
  return [...byKey.values()];
}
