import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Dedup keys were global: any integration could acknowledge, resolve or repeat another's alert.
 * Now a key is unique within a namespace — the integration's own (`integration:<id>`), or one that
 * integrations created with the same `dedupNamespace` share (`shared:<name>`), as PagerDuty scopes
 * keys per service. Existing integrations each get their own namespace and their open alerts go
 * with them, so a source keeps acknowledging and resolving what it opened; only crossing
 * integrations stops working. Alerts from before integrations existed keep a `legacy` namespace.
 *
 * Integrations may also be allowed to name an incident (label `vigil_incident`); none is at first.
 */
export class DedupNamespaces1764910000000 implements MigrationInterface {
  name = 'DedupNamespaces1764910000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE intake.integrations
      ADD COLUMN dedup_namespace text,
      ADD COLUMN allow_incident_reference boolean NOT NULL DEFAULT false`);
    await q.query(`UPDATE intake.integrations SET dedup_namespace = 'integration:' || id`);
    await q.query(`ALTER TABLE intake.integrations ALTER COLUMN dedup_namespace SET NOT NULL`);

    await q.query(`ALTER TABLE intake.alerts ADD COLUMN dedup_namespace text, ADD COLUMN ignored_labels jsonb`);
    await q.query(`UPDATE intake.alerts a SET dedup_namespace = coalesce((SELECT i.dedup_namespace FROM intake.integrations i WHERE i.id = a.integration_id), 'legacy')`);
    await q.query(`ALTER TABLE intake.alerts ALTER COLUMN dedup_namespace SET NOT NULL`);
    await q.query(`CREATE UNIQUE INDEX alerts_open_namespace_dedup_key ON intake.alerts (dedup_namespace, dedup_key) WHERE status <> 'resolved'`);
    await q.query(`DROP INDEX intake.alerts_open_dedup_key`);
  }

  async down(q: QueryRunner): Promise<void> {
    // Two namespaces may each hold an open alert for one key: keep the newest open, as the
    // lifecycle migration did, before the global index comes back.
    await q.query(`UPDATE intake.alerts a SET status = 'resolved', resolved_at = coalesce(a.resolved_at, now())
      WHERE a.status <> 'resolved' AND EXISTS (SELECT 1 FROM intake.alerts b WHERE b.dedup_key = a.dedup_key AND b.status <> 'resolved'
                                                 AND (b.received_at, b.id) > (a.received_at, a.id))`);
    await q.query(`CREATE UNIQUE INDEX alerts_open_dedup_key ON intake.alerts (dedup_key) WHERE status <> 'resolved'`);
    await q.query(`DROP INDEX intake.alerts_open_namespace_dedup_key`);
    await q.query(`ALTER TABLE intake.alerts DROP COLUMN dedup_namespace, DROP COLUMN ignored_labels`);
    await q.query(`ALTER TABLE intake.integrations DROP COLUMN dedup_namespace, DROP COLUMN allow_incident_reference`);
  }
}
