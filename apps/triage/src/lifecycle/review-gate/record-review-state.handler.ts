import { Injectable } from '@nestjs/common';
import type { EventData, ReviewOpenedV1, ReviewStateChangedV1 } from '@vigil/contracts';
import type { EventMeta } from '@vigil/messaging';
import type { EntityManager } from 'typeorm';

/** Keeps the newest review state per incident (a replayed or reordered older event changes nothing). */
@Injectable()
export class RecordReviewStateHandler {
  async handle({ review }: EventData<typeof ReviewOpenedV1> | EventData<typeof ReviewStateChangedV1>, manager: EntityManager, meta: EventMeta): Promise<void> {
    await manager.query(
      `INSERT INTO triage.incident_reviews AS r (incident_id, review_id, state, version, updated_at) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (incident_id) DO UPDATE SET review_id = EXCLUDED.review_id, state = EXCLUDED.state, version = EXCLUDED.version, updated_at = EXCLUDED.updated_at
       WHERE r.version < EXCLUDED.version`,
      [review.incidentId, review.reviewId, review.state, review.version, meta.time],
    );
  }
}
