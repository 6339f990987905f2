import { Inject, Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { IncidentPhaseChangedV1, type CloudEvent, type EventData } from '@vigil/contracts';
import { LOGGER } from '@vigil/platform';
import type { Logger } from 'pino';
import { DataSource, type EntityManager } from 'typeorm';
import { openReview } from '../review-records';

/**
 * A post-incident review opens, as a draft, when an incident enters post_incident. At start-up,
 * incidents that were already there before reviews existed get theirs too, so none is left that
 * could never be closed.
 */
@Injectable()
export class OpenReviewHandler implements OnApplicationBootstrap {
  constructor(
    private readonly dataSource: DataSource,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async handle(event: CloudEvent, manager: EntityManager): Promise<void> {
    if (event.type !== IncidentPhaseChangedV1.type) return;
    const d = event.data as EventData<typeof IncidentPhaseChangedV1>;
    if (d.to !== 'post_incident') return;
    await openReview(manager, d.incident, new Date(event.time));
  }

  async onApplicationBootstrap(): Promise<void> {
    try {
      const waiting: Array<{ incident_id: string; exercise: boolean }> = await this.dataSource.query(
        `SELECT incident_id, exercise FROM reporting.incident_clocks c
          WHERE phase = 'post_incident' AND NOT EXISTS (SELECT 1 FROM reporting.reviews r WHERE r.incident_id = c.incident_id)`,
      );
      for (const incident of waiting) {
        await this.dataSource.transaction((manager) => openReview(manager, { incidentId: incident.incident_id, exercise: incident.exercise }, new Date()));
      }
      if (waiting.length) this.logger.info({ reviews: waiting.length }, 'opened the reviews of incidents already in post_incident');
    } catch (error) {
      this.logger.warn({ err: error }, 'could not open the reviews of incidents already in post_incident; they open at the next start');
    }
  }
}
