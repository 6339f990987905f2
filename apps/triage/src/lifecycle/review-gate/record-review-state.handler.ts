import { Injectable } from '@nestjs/common';
import { ReviewOpenedV1, ReviewStateChangedV1, type CloudEvent, type EventData } from '@vigil/contracts';
import type { EntityManager } from 'typeorm';

/** Keeps the newest review state per incident (a replayed or reordered older event changes nothing). */
@Injectable()
export class RecordReviewStateHandler {
  async handle(event: CloudEvent, manager: EntityManager): Promise<void> {
    const { review } = event.data as EventData<typeof ReviewOpenedV1> | EventData<typeof ReviewStateChangedV1>;
    await manager.query(
      `INSERT INTO triage.incident_reviews AS r (incident_id, review_id, state, version, updated_at) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (incident_id) DO UPDATE SET review_id = EXCLUDED.review_id, state = EXCLUDED.state, version = EXCLUDED.version, updated_at = EXCLUDED.updated_at
       WHERE r.version < EXCLUDED.version`,
      [review.incidentId, review.reviewId, review.state, review.version, event.time],
    );
  }
}
