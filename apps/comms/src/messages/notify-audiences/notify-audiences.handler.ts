import { Inject, Injectable } from '@nestjs/common';
import type { IncidentSnapshot, MessagePurpose } from '@vigil/contracts';
import type { EntityManager } from 'typeorm';
import { ACTIVE_PHASES, hears } from '../../audiences/audience-rules';
import { allAudiences, needsApproval, type AudienceRow } from '../../audiences/audience-store';
import { findSnapshots } from '../../incidents/incident-snapshots';
import { CadenceTracker } from '../../status-updates/cadence-tracker';
import { CLOCK, type Clock } from '../../timers/clock';
import { MessageLedger, type AutomaticNotice } from '../message-ledger';

/** What one incident event may change for its audiences, with the incident as that event left it. */
export interface IncidentChange {
  incident: IncidentSnapshot;
  /** Opened, classified or restriction changed: it may bring the incident into an audience's rule. */
  opening: boolean;
  /** Its phase changed to one that ends it. */
  resolved: boolean;
}

/** Phases that end an incident for its audiences: a change to one of them sends the resolution. */
export const RESOLVED_PHASES: ReadonlySet<string> = new Set(['recovered', 'closed', 'false_positive']);

/**
 * What happens on its own as an incident moves: inside audiences whose rule matches get the
 * initial notice (when it opens, or when a reclassification brings it into their rule) and the
 * resolution (when it is recovered or closed), each once; status-update clocks follow the
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
   * with the incident as THAT event left it (its snapshot), so who is told does not depend on how
   * the events were cut into runs: a severity raised by a later alert of the same run does not
   * reach back to the opening. The clocks follow each incident's newest stored snapshot (which
   * the run has just recorded). One read of the audiences, one of the clocks, one of who was told
   * already, and one write of every notice of the run.
   */
  async handleRun(changes: readonly IncidentChange[], manager: EntityManager, afterCommit: (fn: () => void) => void): Promise<void> {
    if (changes.length === 0) return;
    const now = this.clock.now();
    const audiences = await allAudiences(manager);
    const ids = [...new Set(changes.map((c) => c.incident.incidentId))];
    const snapshots = await findSnapshots(manager, ids);
    const cadences = await this.cadence.lockAll(manager, [...snapshots.keys()]);
    for (const [incidentId, incident] of snapshots) await this.cadence.sync(manager, incident, now, audiences, cadences.get(incidentId) ?? []);

    const notices = new Map<string, AutomaticNotice>();
    const resolutions: AutomaticNotice[] = [];
    for (const { incident, opening, resolved } of changes) {
      if (opening && ACTIVE_PHASES.has(incident.phase)) {
        for (const audience of audiences.filter((a) => auto(a, 'initial_notice', incident))) {
          const key = dedupeKey('initial_notice', incident.incidentId, audience.audience);
          if (!notices.has(key)) notices.set(key, { incident, audience, purpose: 'initial_notice', dedupeKey: key });
        }
      }
      if (resolved) {
        for (const audience of audiences.filter((a) => auto(a, 'resolution', incident))) {
          resolutions.push({ incident, audience, purpose: 'resolution', dedupeKey: dedupeKey('resolution', incident.incidentId, audience.audience) });
        }
      }
    }
    if (resolutions.length > 0) {
      // Only those told of the incident (before this run, or by it) hear that it is over.
      const initialKey = (n: AutomaticNotice) => dedupeKey('initial_notice', n.incident.incidentId, n.audience.audience);
      const rows = (await manager.query(`SELECT dedupe_key FROM comms.messages WHERE dedupe_key = ANY($1::text[])`, [resolutions.map(initialKey)])) as Array<{ dedupe_key: string }>;
      const told = new Set([...rows.map((r) => r.dedupe_key), ...notices.keys()]);
      for (const n of resolutions) if (told.has(initialKey(n)) && !notices.has(n.dedupeKey)) notices.set(n.dedupeKey, n);
    }
    await this.ledger.releaseAutomatic(manager, [...notices.values()], now, afterCommit);
  }
}

function auto(audience: AudienceRow, purpose: 'initial_notice' | 'resolution', incident: IncidentSnapshot): boolean {
  return audience.auto_notify.includes(purpose) && !needsApproval(audience) && audience.channels.length > 0 && hears(audience.rule, incident);
}

function dedupeKey(purpose: MessagePurpose, incidentId: string, audience: string): string {
  return `auto:${purpose}:${incidentId}:${audience}`;
}
