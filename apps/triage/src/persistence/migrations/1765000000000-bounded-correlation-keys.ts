import type { MigrationInterface, QueryRunner } from 'typeorm';
import { boundedKeySql, MAX_KEY_BYTES } from '../../correlation/correlation-keys';

/**
 * Correlation keys longer than MAX_KEY_BYTES are stored as a readable prefix and the SHA-256 of the
 * whole key (see `boundedKey`), so that every key intake lets through fits the B-tree of
 * `incident_keys`. Keys stored before, up to PostgreSQL's limit, are rewritten the same way, so that
 * the next alert with such a key still finds its incident.
 */
export class BoundedCorrelationKeys1765000000000 implements MigrationInterface {
  name = 'BoundedCorrelationKeys1765000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`UPDATE triage.incident_keys SET key = ${boundedKeySql('key')} WHERE octet_length(key) > ${MAX_KEY_BYTES}`);
  }

  async down(): Promise<void> {
    // A hash cannot be turned back into its key. The keys stay: the older code reads them as keys no
    // alert has, and loses only the correlation of these few long ones.
  }
}
