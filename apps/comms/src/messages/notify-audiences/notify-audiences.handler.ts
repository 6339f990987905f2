import { Inject, Injectable } from '@nestjs/common';
import type { IncidentSnapshot, MessagePurpose } from '@vigil/contracts';
import { LOGGER } from '@vigil/platform';
import type { Logger } from 'pino';
import type { EntityManager } from 'typeorm';
import { ACTIVE_PHASES, hears } from '../../audiences/audience-rules';
import { allAudiences, needsApproval, type AudienceRow } from '../../audiences/audience-store';
import { findSnapshots } from '../../incidents/incident-snapshots';
import { CadenceTracker } from '../../status-updates/cadence-tracker';
import { defaultTemplate } from '../../templates/default-templates';
import { TemplateError } from '../../templates/template-engine';
import { CLOCK, type Clock } from '../../timers/clock';
import { MessageLedger } from '../message-ledger';

/** What an incident event may change for its audiences. */
export interface IncidentChange {
  opening: boolean;
  resolved: boolean;
}

export const AUDIENCE_RULE_ACTOR = 'system:audience-rule';
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
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  /**
   * After a run of incident events (`opening` when one may bring the incident into an audience's
   * rule: opened, classified, restriction changed; `resolved` when its phase changed to one that
   * ends it): each incident once, from its newest stored snapshot (which
   * the run has just recorded), with the audiences read once for all of them. An incident named
   * by several events of the run is handled once, opening or resolved if any of them was.
   */
  async handleRun(changes: ReadonlyArray<IncidentChange & { incidentId: string }>, manager: EntityManager, afterCommit: (fn: () => void) => void): Promise<void> {
    const byIncident = new Map<string, IncidentChange>();
    for (const c of changes) {
      const seen = byIncident.get(c.incidentId);
      byIncident.set(c.incidentId, { opening: c.opening || (seen?.opening ?? false), resolved: c.resolved || (seen?.resolved ?? false) });
    }
    const snapshots = await findSnapshots(manager, [...byIncident.keys()]);
    if (snapshots.size === 0) return;
    const now = this.clock.now();
    const audiences = await allAudiences(manager);
    // Every incident's status-update clocks in one statement, not one per incident.
    const cadences = await this.cadence.lockAll(manager, [...snapshots.keys()]);
    for (const [incidentId, how] of byIncident) {
      const incident = snapshots.get(incidentId);
      if (!incident) continue;
      await this.cadence.sync(manager, incident, now, audiences, cadences.get(incidentId) ?? []);
      if (how.opening && ACTIVE_PHASES.has(incident.phase)) {
        for (const audience of audiences.filter((a) => this.auto(a, 'initial_notice', incident))) {
          await this.send(manager, incident, audience, 'initial_notice', now, afterCommit);
        }
      }
      if (how.resolved) {
        for (const audience of audiences.filter((a) => this.auto(a, 'resolution', incident))) {
          // Only those told of the incident hear that it is over.
          const [told] = await manager.query(`SELECT 1 FROM comms.messages WHERE dedupe_key = $1`, [dedupeKey('initial_notice', incident.incidentId, audience.audience)]);
          if (told) await this.send(manager, incident, audience, 'resolution', now, afterCommit);
        }
      }
    }
  }

  private auto(audience: AudienceRow, purpose: 'initial_notice' | 'resolution', incident: IncidentSnapshot): boolean {
    return audience.auto_notify.includes(purpose) && !needsApproval(audience) && audience.channels.length > 0 && hears(audience.rule, incident);
  }

  private async send(manager: EntityManager, incident: IncidentSnapshot, audience: AudienceRow, purpose: MessagePurpose, now: Date, afterCommit: (fn: () => void) => void) {
    const input = { incident, audience: audience.audience, purpose, draftedBy: AUDIENCE_RULE_ACTOR, automatic: true, dedupeKey: dedupeKey(purpose, incident.incidentId, audience.audience), now, afterCommit };
    try {
      await this.ledger.draft(manager, input);
    } catch (error) {
      if (!(error instanceof TemplateError)) throw error;
      // A saved template that cannot render must not silence the notice: the shipped one goes out.
      this.logger.error({ err: error, audience: audience.audience, purpose }, 'saved template failed to render; sending the default one');
      await this.ledger.draft(manager, { ...input, template: defaultTemplate(audience.audience, purpose) });
    }
  }
}

function dedupeKey(purpose: MessagePurpose, incidentId: string, audience: string): string {
  return `auto:${purpose}:${incidentId}:${audience}`;
}
