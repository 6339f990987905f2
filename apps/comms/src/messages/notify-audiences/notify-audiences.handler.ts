import { Inject, Injectable } from '@nestjs/common';
import type { IncidentSnapshot, MessagePurpose } from '@vigil/contracts';
import type { EntityManager } from 'typeorm';
import { ACTIVE_PHASES, hears } from '../../audiences/audience-rules';
import { allAudiences, needsApproval, type AudienceRow } from '../../audiences/audience-store';
import { findSnapshots } from '../../incidents/incident-snapshots';
import { CadenceTracker } from '../../status-updates/cadence-tracker';
import { CLOCK, type Clock } from '../../timers/clock';
import { MessageLedger, type AutomaticNotice } from '../message-ledger';

/** An incident event as its audiences see it: the incident as the event left it. */
export interface IncidentChange {
  incident: IncidentSnapshot;
  /** Its phase changed to one that ends it. */
  resolved: boolean;
}

/** Phases that end an incident for its audiences: a change to one of them sends the resolution. */
export const RESOLVED_PHASES: ReadonlySet<string> = new Set(['recovered', 'closed', 'false_positive']);

/**
 * What happens on its own as an incident moves: inside audiences whose rule matches get the
 * initial notice as soon as an event shows the incident active and within their rule — when it
 * opens, or when it comes into the rule later (its severity raised by more alerts or by a person,
 * its category or restriction changed, the rule itself widened) — and the resolution when it is
 * recovered or closed (only those told of it), each once. Status-update clocks follow the
 * incident's severity and phase. Outside audiences are never written to without a person.
 */
@Injectable()
export class NotifyAudiencesHandler {
  constructor(
    private readonly ledger: MessageLedger,
    private readonly cadence: CadenceTracker,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  /**
   * A run of incident events, in their order. Each event is judged against each audience's rule
   * with the incident as THAT event left it (its snapshot), and a notice says what the first
   * event that brought the incident into the rule showed; so who is told, and what, does not
   * depend on how the events were cut into runs. The clocks follow each incident's newest stored
   * snapshot (which the run has just recorded). One read of the audiences, one of the clocks, one
   * of what the ledger holds already, and one write of every notice of the run.
   */
  async handleRun(changes: readonly IncidentChange[], manager: EntityManager, afterCommit: (fn: () => void) => void): Promise<void> {
    if (changes.length === 0) return;
    const now = this.clock.now();
    const audiences = await allAudiences(manager);
    const ids = [...new Set(changes.map((c) => c.incident.incidentId))];
    const snapshots = await findSnapshots(manager, ids);
    const cadences = await this.cadence.lockAll(manager, [...snapshots.keys()]);
    for (const [incidentId, incident] of snapshots) await this.cadence.sync(manager, incident, now, audiences, cadences.get(incidentId) ?? []);

    // Every notice the run's events would send, the first event's for each (incident, audience, purpose).
    const wanted = new Map<string, AutomaticNotice>();
    const want = (incident: IncidentSnapshot, audience: AudienceRow, purpose: 'initial_notice' | 'resolution') => {
      const key = dedupeKey(purpose, incident.incidentId, audience.audience);
      if (!wanted.has(key)) wanted.set(key, { incident, audience, purpose, dedupeKey: key });
    };
    for (const { incident, resolved } of changes) {
      if (ACTIVE_PHASES.has(incident.phase)) for (const audience of audiences.filter((a) => auto(a, 'initial_notice', incident))) want(incident, audience, 'initial_notice');
      if (resolved) for (const audience of audiences.filter((a) => auto(a, 'resolution', incident))) want(incident, audience, 'resolution');
    }
    if (wanted.size === 0) return;
    // What the ledger holds already (most events of an incident find its notices sent), and who
    // was told: before this run, or by it. Only those told of an incident hear that it is over.
    const initialKey = (n: AutomaticNotice) => dedupeKey('initial_notice', n.incident.incidentId, n.audience.audience);
    const keys = [...new Set([...wanted.keys(), ...[...wanted.values()].map(initialKey)])];
    const held = new Set(((await manager.query(`SELECT dedupe_key FROM comms.messages WHERE dedupe_key = ANY($1::text[])`, [keys])) as Array<{ dedupe_key: string }>).map((r) => r.dedupe_key));
    const notices = [...wanted.values()].filter(
      (n) => !held.has(n.dedupeKey) && (n.purpose !== 'resolution' || held.has(initialKey(n)) || wanted.has(initialKey(n))),
    );
    await this.ledger.releaseAutomatic(manager, notices, now, afterCommit);
  }
}

function auto(audience: AudienceRow, purpose: 'initial_notice' | 'resolution', incident: IncidentSnapshot): boolean {
  return audience.auto_notify.includes(purpose) && !needsApproval(audience) && audience.channels.length > 0 && hears(audience.rule, incident);
}

function dedupeKey(purpose: MessagePurpose, incidentId: string, audience: string): string {
  return `auto:${purpose}:${incidentId}:${audience}`;
}
