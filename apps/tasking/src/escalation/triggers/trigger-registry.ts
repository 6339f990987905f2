import { EventCatalog, IncidentOpenedV1, IncidentRecurrenceDetectedV1, TaskSlaBreachedV1, Topics, type CloudEvent, type EventData } from '@vigil/contracts';
import { SEVERITY_RANK, TERMINAL_PHASES, type IncidentFacts } from '../incident-facts';

/** What a trigger sees: the event, the incident's facts before and after it, and the time. */
export interface TriggerContext {
  before: IncidentFacts | null;
  after: IncidentFacts | null;
  now: Date;
}

/** A trigger's decision to start an escalation. */
export interface TriggerFiring {
  /** Unique per incident and firing: the same firing twice (a redelivered event) starts one escalation. */
  key: string;
  /** Why, in words: it goes on the timeline and into every page. */
  reason: string;
  /** Whether the incident's running escalations of other policies stop (superseded) when this one starts. */
  supersedes: boolean;
  /**
   * Whether this firing joins an escalation of the same trigger kind already running for the
   * incident instead of starting another: several tasks past their SLA at once page one wave,
   * not one per task. Once that escalation has stopped (acknowledged, say), the next firing starts one.
   */
  joinsRunning?: boolean;
  /**
   * A person (their token subject) paged before the policy's steps, e.g. the incident's owner: a
   * step of its own, waiting as long as the policy's first step. Absent from the roster: the policy alone.
   */
  pageFirst?: string;
}

/**
 * Something that starts an escalation: an incident opened and not acknowledged, a severity that
 * rose, a task past its SLA. A trigger names the event types it reads and decides from
 * each; the registry subscribes tasking's consumer to their topics. To add one: implement this,
 * put its event in the contracts' catalog, and register it in the tasking module.
 */
export interface EscalationTrigger {
  readonly kind: string;
  readonly eventTypes: readonly string[];
  /** The incident the event concerns; by default `data.incident.incidentId`, else `data.incidentId`. */
  incidentIdOf?(event: CloudEvent): string | undefined;
  evaluate(event: CloudEvent, context: TriggerContext): TriggerFiring | null;
}

export function defaultIncidentIdOf(event: CloudEvent): string | undefined {
  const data = event.data as { incident?: { incidentId?: string }; incidentId?: string };
  return data.incident?.incidentId ?? data.incidentId;
}

/** Replaying old events (a new consumer group, a restore) must not page anyone about the past. */
export const MAX_TRIGGER_AGE_MS = 60 * 60_000;
export function tooOld(event: CloudEvent, now: Date): boolean {
  return now.getTime() - Date.parse(event.time) > MAX_TRIGGER_AGE_MS;
}

export class TriggerRegistry {
  private readonly triggers: EscalationTrigger[] = [];

  register(trigger: EscalationTrigger): this {
    if (this.triggers.some((t) => t.kind === trigger.kind)) throw new Error(`escalation trigger ${trigger.kind} is registered twice`);
    for (const type of trigger.eventTypes) if (!Object.hasOwn(EventCatalog, type)) throw new Error(`escalation trigger ${trigger.kind}: ${type} is not in the event catalog`);
    this.triggers.push(trigger);
    return this;
  }

  forEvent(type: string): EscalationTrigger[] {
    return this.triggers.filter((t) => t.eventTypes.includes(type));
  }

  eventTypes(): string[] {
    return [...new Set(this.triggers.flatMap((t) => t.eventTypes))];
  }

  /** The topics the consumer must read for these triggers. */
  topics(): string[] {
    return [...new Set(this.eventTypes().map((type) => (EventCatalog as Record<string, { topic: string }>)[type].topic))];
  }
}

const INCIDENT_EVENT_TYPES = Object.values(EventCatalog)
  .filter((d) => d.topic === Topics.incidents)
  .map((d) => d.type);

/** An incident opened and not acknowledged: its escalation starts at once (a first step may only wait). */
export const incidentOpened: EscalationTrigger = {
  kind: 'incident-opened',
  eventTypes: [IncidentOpenedV1.type],
  evaluate(event, { after, now }) {
    if (!after || after.acknowledgedAt || TERMINAL_PHASES.includes(after.phase) || tooOld(event, now)) return null;
    return { key: 'incident-opened', reason: `${after.severity} incident opened and not acknowledged`, supersedes: false };
  },
};

/**
 * An incident whose severity rose (by classification, or any change triage reports): the policy
 * for the new severity takes over, acknowledged or not, since whoever acknowledged a SEV3 may not
 * be who a SEV1 needs.
 */
export const severityRaised: EscalationTrigger = {
  kind: 'severity-raised',
  eventTypes: INCIDENT_EVENT_TYPES.filter((t) => t !== IncidentOpenedV1.type),
  evaluate(event, { before, after, now }) {
    if (!before || !after || TERMINAL_PHASES.includes(after.phase) || tooOld(event, now)) return null;
    if (SEVERITY_RANK[after.severity] <= SEVERITY_RANK[before.severity]) return null;
    return { key: `severity-raised:v${after.version}`, reason: `severity raised from ${before.severity} to ${after.severity}`, supersedes: true };
  },
};

/**
 * A task past its SLA (tasking's own SLA watcher publishes the breach): the incident's escalation
 * policy pages about it, acknowledged or not. It does not supersede a running escalation: the
 * breach is one more reason to answer, not a new severity. Breaches join an escalation already
 * running for the incident's breaches: a playbook's tasks falling due together page once, and a
 * breach after that escalation was acknowledged pages again.
 */
export const taskSlaBreached: EscalationTrigger = {
  kind: 'task-sla-breached',
  eventTypes: [TaskSlaBreachedV1.type],
  incidentIdOf: defaultIncidentIdOf,
  evaluate(event, { after, now }) {
    if (!after || TERMINAL_PHASES.includes(after.phase) || tooOld(event, now)) return null;
    const d = event.data as EventData<typeof TaskSlaBreachedV1>;
    return { key: `task-sla-breached:${d.taskId}`, reason: `task "${d.title}" (${d.phase}, ${d.role}) passed its SLA (due ${d.dueAt})`, supersedes: false, joinsRunning: true };
  },
};

/**
 * An alert recurred on a recovered incident during its recovery watch (triage attached it as a
 * recurrence): its owner is paged first, then the policy the rules choose, acknowledged or not —
 * the threat may be back. One escalation per recurrence.
 */
export const recurrenceDetected: EscalationTrigger = {
  kind: 'recurrence-detected',
  eventTypes: [IncidentRecurrenceDetectedV1.type],
  evaluate(event, { after, now }) {
    if (!after || TERMINAL_PHASES.includes(after.phase) || tooOld(event, now)) return null;
    const d = event.data as EventData<typeof IncidentRecurrenceDetectedV1>;
    const matched = [...d.matchedAssetIds.map((id) => `asset ${id}`), ...d.matchedObservables].join(', ');
    return {
      key: `recurrence-detected:${d.recurrenceCount}`,
      reason: `recurrence during the recovery watch (${d.recurrenceCount}): ${d.alert.title}${matched ? ` — matched ${matched}` : ''}`,
      supersedes: false,
      ...(d.owner ? { pageFirst: d.owner } : {}),
    };
  },
};

export function defaultTriggers(): TriggerRegistry {
  return new TriggerRegistry().register(incidentOpened).register(severityRaised).register(taskSlaBreached).register(recurrenceDetected);
}
