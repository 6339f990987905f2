import { EventCatalog, IncidentOpenedV1, Topics, type CloudEvent } from '@vigil/contracts';
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
}

/**
 * Something that starts an escalation: an incident opened and not acknowledged, a severity that
 * rose, a task past its SLA (to come). A trigger names the event types it reads and decides from
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

export function defaultTriggers(): TriggerRegistry {
  return new TriggerRegistry().register(incidentOpened).register(severityRaised);
}
