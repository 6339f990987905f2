import { findEventDefinition, IncidentAcknowledgedV1, IncidentAlertAttachedV1, IncidentEvents, IncidentMergedV1, isEvent, newestPerIncident, Topics, type CloudEvent, type EventData, type IncidentSnapshot } from '@vigil/contracts';
import { onEvent, onEventRun, type EventMeta, type HandlerContext, type HandlerRegistration } from '@vigil/messaging';
import type { Logger } from 'pino';
import type { EntityManager } from 'typeorm';
import type { Clock } from './clock';
import type { EscalationMetrics } from './escalation-metrics';
import { recordAcknowledgements, startEscalation, stopEscalations, type StoppedEscalation } from './escalation-store';
import { readFacts, recordFacts, recordFactsOf, TERMINAL_PHASES, type IncidentFacts, type RecordedFacts } from './incident-facts';
import { defaultIncidentIdOf, type TriggerRegistry } from './triggers/trigger-registry';

/**
 * What escalation does with the events tasking reads, in the consumer's transaction:
 * keeps each incident's facts (severity, category, phase …) from the newest snapshot; stops the
 * incident's escalations on an acknowledgement (at once: no step runs after this commits) and
 * when it closes or is merged; and lets each registered trigger decide whether to start one.
 */
export class EscalationEventsHandler {
  constructor(
    private readonly triggers: TriggerRegistry,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly metrics: EscalationMetrics | undefined,
    /** Called after a commit that started an escalation (wakes the runner). */
    private readonly onStarted: () => void = () => undefined,
  ) {}

  /**
   * Registrations: every incident event, and every event a trigger reads. Triggers are written
   * against the envelope (any event type may start an escalation), so these take it whole.
   */
  handlers(): HandlerRegistration[] {
    const types = new Set<string>([...IncidentEvents.map((d) => d.type), ...this.triggers.eventTypes()]);
    return [...types].map((type) =>
      type === IncidentAlertAttachedV1.type
        ? onEventRun(IncidentAlertAttachedV1, (run, tx) => this.handleAttachedRun(run, tx))
        : onEvent(findEventDefinition(type)!, (event, tx, meta) => this.handle(event, tx, meta)),
    );
  }

  /**
   * A run of attached alerts (an alert storm, or a backlog): each incident once, from the newest
   * of its events in the run. Its facts go from what they were before the run to its newest
   * snapshot in one step, so a trigger sees one change (a severity raised twice in one run is
   * one raise, to the higher severity) — as it would have had the events come a little later.
   */
  private async handleAttachedRun(run: ReadonlyArray<{ event: CloudEvent<EventData<typeof IncidentAlertAttachedV1>>; meta: EventMeta }>, tx: EntityManager): Promise<void> {
    const newest = newestPerIncident(run, (item) => item.event.data.incident);
    // Every incident's facts in two statements, not two per incident.
    const facts = await recordFactsOf(tx, newest.map(({ event }) => event.data.incident));
    for (const { event, meta } of newest) await this.handle(event, tx, meta, facts.get(event.data.incident.incidentId));
  }

  /** The topics to read: incidents, and those of the triggers' events. */
  topics(): string[] {
    return [...new Set([Topics.incidents, ...this.triggers.topics()])];
  }

  /** One event; `recorded`: its snapshot's facts, recorded already with the rest of its run. */
  async handle(event: CloudEvent, manager: EntityManager, ctx: HandlerContext, recorded?: RecordedFacts): Promise<void> {
    const now = this.clock.now();
    const snapshot = (event.data as { incident?: IncidentSnapshot }).incident;
    let before: IncidentFacts | null;
    let after: IncidentFacts | null;
    if (snapshot) {
      ({ before, after } = recorded ?? (await recordFacts(manager, snapshot)));
    } else {
      const incidentId = defaultIncidentIdOf(event);
      before = after = incidentId ? await readFacts(manager, incidentId) : null;
    }

    const stopped: StoppedEscalation[] = [];
    // Latency is measured to when the acknowledgement took effect (it may be backdated), not to when it was read.
    let acknowledgedAt = now;
    if (isEvent(event, IncidentAcknowledgedV1) && snapshot) {
      const d = event.data;
      if (snapshot.timestamps.acknowledgedAt) acknowledgedAt = new Date(snapshot.timestamps.acknowledgedAt);
      stopped.push(...(await stopEscalations(manager, { incidentIds: [snapshot.incidentId] }, { reason: 'acknowledged', detail: d.reason, actor: d.actor, at: now })));
    }
    if (snapshot && after && TERMINAL_PHASES.includes(after.phase)) {
      stopped.push(...(await stopEscalations(manager, { incidentIds: [snapshot.incidentId] }, { reason: 'resolved', detail: `incident ${after.phase.replace('_', ' ')}`, actor: null, at: now })));
    }
    if (isEvent(event, IncidentMergedV1)) {
      const d = event.data;
      stopped.push(...(await stopEscalations(manager, { incidentIds: d.mergedIncidentIds }, { reason: 'resolved', detail: `merged into ${d.incident.incidentId}`, actor: d.actor, at: now })));
    }
    if (stopped.length && this.metrics) ctx.afterCommit(() => recordAcknowledgements(this.metrics!, stopped, acknowledgedAt));

    for (const trigger of this.triggers.forEvent(event.type)) {
      const incidentId = trigger.incidentIdOf ? trigger.incidentIdOf(event) : undefined;
      const facts = trigger.incidentIdOf ? (incidentId ? await readFacts(manager, incidentId) : null) : after;
      const firing = trigger.evaluate(event, { before, after: facts, now });
      if (!firing || !facts) continue;
      // Merged into another incident (its merge read before this, on another partition): that one escalates.
      const merged: unknown[] = await manager.query(`SELECT 1 FROM tasking.merged_incidents WHERE incident_id = $1`, [facts.incidentId]);
      if (merged.length > 0) continue;
      const outcome = await startEscalation(manager, { facts, triggerKind: trigger.kind, firing, now });
      if ('skipped' in outcome) {
        this.logger.info({ incidentId: facts.incidentId, trigger: trigger.kind, why: outcome.skipped }, 'no escalation started');
        continue;
      }
      this.logger.info({ incidentId: facts.incidentId, escalationId: outcome.started.escalationId, policy: outcome.started.policy.name, trigger: trigger.kind }, 'escalation started');
      ctx.afterCommit(() => {
        this.metrics?.started.add(1, { trigger: trigger.kind, severity: facts.severity, exercise: String(facts.exercise) });
        this.onStarted();
      });
    }
  }
}
