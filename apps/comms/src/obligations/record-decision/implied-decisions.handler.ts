import { Inject, Injectable } from '@nestjs/common';
import type { EventData, IncidentClassifiedV1, IncidentSnapshot } from '@vigil/contracts';
import type { EntityManager } from 'typeorm';
import { CLOCK, type Clock } from '../../timers/clock';
import { ObligationEngine } from '../obligation-engine';

export const CLASSIFICATION_ACTOR = 'system:classification';

/**
 * Where the classification itself implies a triggering decision (information impact "privacy":
 * personal data is affected, so the organisation is aware of a personal-data breach), the clock
 * starts without waiting for a person, from the time the classification was made. The implied
 * decision is logged like any other, once per incident and kind; a person's later decision with
 * an earlier awareness time moves the clock earlier.
 */
@Injectable()
export class ImpliedDecisionsHandler {
  constructor(
    private readonly engine: ObligationEngine,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  /**
   * After an incident is opened (`classified` null) or classified by a person, at `time`: judged
   * with the incident as that event left it, so that a later event of the same run cannot reach
   * back to it.
   */
  async handle(incident: IncidentSnapshot, classified: EventData<typeof IncidentClassifiedV1> | null, time: string, manager: EntityManager): Promise<void> {
    for (const rule of this.engine.rules) {
      if (!rule.impliedBy?.test(incident)) continue;
      const [already] = await manager.query(`SELECT 1 FROM comms.decisions WHERE incident_id = $1 AND kind = $2 AND implied`, [incident.incidentId, rule.trigger]);
      if (already) continue;
      const at = new Date(time);
      const by = classified ? ` (classified by ${classified.actor}: ${classified.reason})` : ' (classified by triage from its alerts)';
      await this.engine.recordDecision(
        manager,
        incident,
        {
          kind: rule.trigger,
          effectiveAt: at,
          awareAt: at,
          reason: `the classification implies it: ${rule.impliedBy.describe}${by}`,
          jurisdictions: [],
          affectedIndividuals: null,
          decidedBy: CLASSIFICATION_ACTOR,
          decidedByName: null,
          implied: true,
        },
        this.clock.now(),
      );
    }
  }
}
