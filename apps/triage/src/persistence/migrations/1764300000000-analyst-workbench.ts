import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Correlation, suppression, promotion, classification, the asset register and the analyst API.
 *
 * - `incident_alerts` becomes `alerts`: every alert triage has seen, attached to an incident,
 *   waiting for promotion (below the severity threshold) or suppressed by a rule.
 * - `incident_keys` holds the correlation keys an open incident answers to (dedup key, group key,
 *   asset + category, observable); correlation is one indexed lookup, serialised per key by
 *   advisory locks, so two alerts sharing a key never open two incidents.
 * - The one-open-incident-per-dedup-key index goes: a dedup key can move with its alert to
 *   another incident (moves and merges), and correlation answers for it through `incident_keys`.
 */
export class AnalystWorkbench1764300000000 implements MigrationInterface {
  name = 'AnalystWorkbench1764300000000';

  async up(q: QueryRunner): Promise<void> {
    // The asset register (NIST SP 800-61 risk assessment): what each asset is worth to the business.
    await q.query(`CREATE TABLE triage.assets (
      id uuid PRIMARY KEY,
      identifier text NOT NULL,
      name text NOT NULL,
      hostnames text[] NOT NULL DEFAULT '{}',
      ips text[] NOT NULL DEFAULT '{}',
      owner text,
      business_service text,
      criticality text NOT NULL CHECK (criticality IN ('low', 'medium', 'high', 'critical')),
      data_classification text NOT NULL CHECK (data_classification IN ('public', 'internal', 'confidential', 'restricted')),
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now()
    )`);
    await q.query(`CREATE UNIQUE INDEX assets_identifier ON triage.assets (lower(identifier))`);
    await q.query(`CREATE INDEX assets_hostnames ON triage.assets USING gin (hostnames)`);
    await q.query(`CREATE INDEX assets_ips ON triage.assets USING gin (ips)`);
    await q.query(`CREATE INDEX assets_created ON triage.assets (created_at DESC, id DESC)`);

    await q.query(`ALTER TABLE triage.incidents
      ADD COLUMN functional_impact text NOT NULL DEFAULT 'none' CHECK (functional_impact IN ('none', 'low', 'medium', 'high')),
      ADD COLUMN information_impact text NOT NULL DEFAULT 'none' CHECK (information_impact IN ('none', 'privacy', 'proprietary', 'integrity')),
      ADD COLUMN recoverability text NOT NULL DEFAULT 'regular' CHECK (recoverability IN ('regular', 'supplemented', 'extended', 'not_recoverable')),
      ADD COLUMN asset_criticality text CHECK (asset_criticality IN ('low', 'medium', 'high', 'critical')),
      ADD COLUMN classified_by text,
      ADD COLUMN owner text,
      ADD COLUMN responders text[] NOT NULL DEFAULT '{}',
      ADD COLUMN merged_into uuid REFERENCES triage.incidents(id),
      ADD COLUMN clock_notes jsonb NOT NULL DEFAULT '{}',
      ADD COLUMN search tsvector GENERATED ALWAYS AS (to_tsvector('simple', title || ' ' || dedup_key)) STORED`);
    await q.query(`DROP INDEX triage.incidents_open_dedup_key`);
    await q.query(`DROP INDEX triage.incidents_phase_severity`);
    await q.query(`CREATE INDEX incidents_dedup_key ON triage.incidents (dedup_key)`);
    // The list's filters, each with the default order (newest first) so a page is an index range.
    await q.query(`CREATE INDEX incidents_phase_created ON triage.incidents (phase, created_at DESC, id DESC)`);
    await q.query(`CREATE INDEX incidents_severity_created ON triage.incidents (severity, created_at DESC, id DESC)`);
    await q.query(`CREATE INDEX incidents_category_created ON triage.incidents (category, created_at DESC, id DESC)`);
    await q.query(`CREATE INDEX incidents_owner_created ON triage.incidents (owner, created_at DESC, id DESC) WHERE owner IS NOT NULL`);
    await q.query(`CREATE INDEX incidents_detected ON triage.incidents (detected_at DESC, id DESC)`);
    await q.query(`CREATE INDEX incidents_updated ON triage.incidents (updated_at DESC, id DESC)`);
    await q.query(`CREATE INDEX incidents_responders ON triage.incidents USING gin (responders)`);
    await q.query(`CREATE INDEX incidents_search ON triage.incidents USING gin (search)`);

    await q.query(`ALTER TABLE triage.incident_alerts RENAME TO alerts`);
    await q.query(`ALTER INDEX triage.incident_alerts_incident RENAME TO alerts_incident`);
    await q.query(`ALTER TABLE triage.alerts
      ALTER COLUMN incident_id DROP NOT NULL,
      ADD COLUMN disposition text NOT NULL DEFAULT 'attached' CHECK (disposition IN ('attached', 'pending', 'suppressed')),
      ADD COLUMN correlated_by text,
      ADD COLUMN suppression_rule_id uuid,
      ADD COLUMN category text,
      ADD COLUMN exercise boolean NOT NULL DEFAULT false,
      ADD COLUMN data jsonb,
      ADD CONSTRAINT alerts_attached_has_incident CHECK ((disposition = 'attached') = (incident_id IS NOT NULL))`);
    await q.query(`CREATE INDEX alerts_dedup_key ON triage.alerts (dedup_key)`);
    await q.query(`CREATE INDEX alerts_unattached ON triage.alerts (disposition, received_at DESC, alert_id DESC) WHERE disposition <> 'attached'`);

    await q.query(`CREATE TABLE triage.incident_keys (
      kind text NOT NULL,
      key text NOT NULL,
      incident_id uuid NOT NULL REFERENCES triage.incidents(id),
      last_seen_at timestamptz NOT NULL,
      PRIMARY KEY (kind, key, incident_id)
    )`);
    await q.query(`CREATE INDEX incident_keys_incident ON triage.incident_keys (incident_id)`);

    await q.query(`CREATE TABLE triage.incident_assets (
      incident_id uuid NOT NULL REFERENCES triage.incidents(id),
      asset_id uuid NOT NULL REFERENCES triage.assets(id),
      PRIMARY KEY (incident_id, asset_id)
    )`);
    await q.query(`CREATE INDEX incident_assets_asset ON triage.incident_assets (asset_id, incident_id)`);

    // One row per rule kind; shipped enabled with windows a SOC would start from.
    await q.query(`CREATE TABLE triage.correlation_rules (
      kind text PRIMARY KEY CHECK (kind IN ('reference', 'group_key', 'asset_category', 'observable')),
      enabled boolean NOT NULL,
      window_seconds int CHECK (window_seconds > 0),
      observable_types text[] NOT NULL DEFAULT '{}',
      updated_by text,
      updated_at timestamptz NOT NULL DEFAULT now()
    )`);
    await q.query(`INSERT INTO triage.correlation_rules (kind, enabled, window_seconds, observable_types) VALUES
      ('reference', true, NULL, '{}'),
      ('group_key', true, NULL, '{}'),
      ('asset_category', true, 3600, '{}'),
      ('observable', true, 3600, '{ip,domain,url,hash,email}')`);

    await q.query(`CREATE TABLE triage.suppression_rules (
      id uuid PRIMARY KEY,
      name text NOT NULL,
      owner text NOT NULL,
      reason text NOT NULL,
      match jsonb NOT NULL,
      created_at timestamptz NOT NULL,
      expires_at timestamptz NOT NULL,
      revoked_at timestamptz,
      revoked_by text,
      suppressed_alerts bigint NOT NULL DEFAULT 0,
      suppressed_occurrences bigint NOT NULL DEFAULT 0,
      last_matched_at timestamptz,
      CHECK (expires_at > created_at)
    )`);
    await q.query(`CREATE INDEX suppression_rules_active ON triage.suppression_rules (expires_at) WHERE revoked_at IS NULL`);

    await q.query(`CREATE TABLE triage.incident_notes (
      id uuid PRIMARY KEY,
      incident_id uuid NOT NULL REFERENCES triage.incidents(id),
      author text NOT NULL,
      body text NOT NULL,
      created_at timestamptz NOT NULL
    )`);
    await q.query(`CREATE INDEX incident_notes_incident ON triage.incident_notes (incident_id, created_at, id)`);

    // Stored once per direction so either side lists its links with one index range.
    await q.query(`CREATE TABLE triage.incident_links (
      incident_id uuid NOT NULL REFERENCES triage.incidents(id),
      linked_incident_id uuid NOT NULL REFERENCES triage.incidents(id),
      relation text NOT NULL,
      created_by text NOT NULL,
      created_at timestamptz NOT NULL,
      PRIMARY KEY (incident_id, linked_incident_id),
      CHECK (incident_id <> linked_incident_id)
    )`);

    await q.query(`ALTER TABLE triage.incident_history ADD COLUMN details jsonb`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE triage.incident_history DROP COLUMN details`);
    await q.query(`DROP TABLE triage.incident_links`);
    await q.query(`DROP TABLE triage.incident_notes`);
    await q.query(`DROP TABLE triage.suppression_rules`);
    await q.query(`DROP TABLE triage.correlation_rules`);
    await q.query(`DROP TABLE triage.incident_assets`);
    await q.query(`DROP TABLE triage.incident_keys`);
    await q.query(`DROP INDEX triage.alerts_unattached`);
    await q.query(`DROP INDEX triage.alerts_dedup_key`);
    await q.query(`DELETE FROM triage.alerts WHERE disposition <> 'attached'`);
    await q.query(`ALTER TABLE triage.alerts DROP CONSTRAINT alerts_attached_has_incident,
      DROP COLUMN disposition, DROP COLUMN correlated_by, DROP COLUMN suppression_rule_id, DROP COLUMN category,
      DROP COLUMN exercise, DROP COLUMN data, ALTER COLUMN incident_id SET NOT NULL`);
    await q.query(`ALTER INDEX triage.alerts_incident RENAME TO incident_alerts_incident`);
    await q.query(`ALTER TABLE triage.alerts RENAME TO incident_alerts`);
    for (const index of ['dedup_key', 'phase_created', 'severity_created', 'category_created', 'owner_created', 'detected', 'updated', 'responders', 'search']) {
      await q.query(`DROP INDEX triage.incidents_${index}`);
    }
    await q.query(`CREATE INDEX incidents_phase_severity ON triage.incidents (phase, severity)`);
    await q.query(`CREATE UNIQUE INDEX incidents_open_dedup_key ON triage.incidents (dedup_key)
      WHERE phase NOT IN ('closed', 'false_positive', 'merged')`);
    await q.query(`ALTER TABLE triage.incidents DROP COLUMN search, DROP COLUMN clock_notes, DROP COLUMN merged_into,
      DROP COLUMN responders, DROP COLUMN owner, DROP COLUMN classified_by, DROP COLUMN asset_criticality,
      DROP COLUMN recoverability, DROP COLUMN information_impact, DROP COLUMN functional_impact`);
    await q.query(`DROP TABLE triage.assets`);
  }
}
