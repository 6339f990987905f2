import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Audiences, channels, templates, the message ledger, status-update cadences, the decision log and
 * regulatory clocks. Notifications become one message's delivery through one channel.
 */
export class CommunicationProtocols1765200000000 implements MigrationInterface {
  name = 'CommunicationProtocols1765200000000';

  async up(q: QueryRunner): Promise<void> {
    // The newest incident snapshot comms has read: what templates, rules and cadences look at.
    await q.query(`CREATE TABLE comms.incidents (
      incident_id uuid PRIMARY KEY,
      version int NOT NULL,
      snapshot jsonb NOT NULL,
      updated_at timestamptz NOT NULL
    )`);

    await q.query(`CREATE TABLE comms.channels (
      id uuid PRIMARY KEY,
      name text NOT NULL UNIQUE,
      kind text NOT NULL CHECK (kind IN ('webhook', 'slack', 'teams', 'email')),
      enabled boolean NOT NULL,
      config jsonb NOT NULL,
      secrets jsonb NOT NULL,
      source text NOT NULL CHECK (source IN ('config', 'api')),
      created_at timestamptz NOT NULL,
      updated_at timestamptz NOT NULL,
      updated_by text
    )`);

    await q.query(`CREATE TABLE comms.audiences (
      audience text PRIMARY KEY,
      channels text[] NOT NULL DEFAULT '{}',
      recipients text[] NOT NULL DEFAULT '{}',
      rule jsonb NOT NULL,
      auto_notify text[] NOT NULL DEFAULT '{}',
      requires_approval boolean NOT NULL,
      status_cadence jsonb NOT NULL DEFAULT '{}',
      cadence_grace_seconds int NOT NULL,
      updated_at timestamptz NOT NULL DEFAULT now(),
      updated_by text
    )`);
    const audience = (key: string, rule: object, autoNotify: string[], requiresApproval: boolean, cadence: object, grace: number) =>
      q.query(
        `INSERT INTO comms.audiences (audience, rule, auto_notify, requires_approval, status_cadence, cadence_grace_seconds) VALUES ($1, $2, $3, $4, $5, $6)`,
        [key, rule, autoNotify, requiresApproval, cadence, grace],
      );
    const rule = (minSeverity: string, includeExercises: boolean, includeRestricted: boolean) => ({ minSeverity, categories: null, includeExercises, includeRestricted });
    await audience('ir_team', rule('SEV4', true, true), ['initial_notice', 'resolution'], false, {}, 300);
    await audience('management', rule('SEV2', false, false), ['initial_notice', 'resolution'], false, { SEV1: 1800, SEV2: 7200 }, 600);
    await audience('legal', rule('SEV2', false, false), ['initial_notice'], false, {}, 600);
    await audience('employees', rule('SEV1', false, false), [], true, {}, 600);
    for (const outside of ['customers', 'regulators', 'law_enforcement', 'media', 'partners']) {
      await audience(outside, rule('SEV4', false, false), [], true, {}, 600);
    }

    await q.query(`CREATE TABLE comms.templates (
      audience text NOT NULL,
      purpose text NOT NULL,
      subject text NOT NULL,
      body text NOT NULL,
      version int NOT NULL,
      updated_at timestamptz NOT NULL,
      updated_by text NOT NULL,
      PRIMARY KEY (audience, purpose)
    )`);

    await q.query(`CREATE TABLE comms.messages (
      id uuid PRIMARY KEY,
      incident_id uuid NOT NULL,
      audience text NOT NULL,
      purpose text NOT NULL,
      status text NOT NULL CHECK (status IN ('awaiting_approval', 'rejected', 'approved', 'sending', 'sent', 'partially_sent', 'failed')),
      subject text NOT NULL,
      text text NOT NULL,
      text_sha256 text NOT NULL,
      note text,
      obligation_id uuid,
      checklist_missing text[] NOT NULL DEFAULT '{}',
      composed jsonb NOT NULL,
      automatic boolean NOT NULL,
      dedupe_key text UNIQUE,
      restricted boolean NOT NULL,
      requires_approval boolean NOT NULL,
      approver_roles text[] NOT NULL DEFAULT '{}',
      drafted_by text NOT NULL,
      drafted_at timestamptz NOT NULL,
      approved_by text,
      approved_at timestamptz,
      approval_comment text,
      rejected_by text,
      rejected_at timestamptz,
      rejection_reason text,
      released_at timestamptz,
      completed_at timestamptz
    )`);
    await q.query(`CREATE INDEX messages_incident ON comms.messages (incident_id, drafted_at)`);
    await q.query(`CREATE INDEX messages_awaiting ON comms.messages (drafted_at) WHERE status = 'awaiting_approval'`);

    // A notification is one message's delivery through one channel, kept exactly as it was sent.
    // The team notice once per incident (Pages1765100000000 made it partial, for rows without a
    // page) now holds only for rows with neither a message nor a page; pages keep theirs.
    await q.query(`DROP INDEX comms.notifications_once_per_incident`);
    await q.query(`ALTER TABLE comms.notifications
      ADD COLUMN message_id uuid REFERENCES comms.messages(id),
      ADD COLUMN channel_id uuid,
      ADD COLUMN channel_name text,
      ADD COLUMN recipients text[] NOT NULL DEFAULT '{}',
      ADD COLUMN body text,
      ADD COLUMN body_sha256 text`);
    await q.query(`CREATE UNIQUE INDEX notifications_legacy_once ON comms.notifications (incident_id, kind, channel, audience) WHERE message_id IS NULL AND page_id IS NULL`);
    await q.query(`CREATE UNIQUE INDEX notifications_message_channel ON comms.notifications (message_id, channel_id) WHERE message_id IS NOT NULL`);
    await q.query(`ALTER TABLE comms.deliveries ADD COLUMN receipt jsonb`);

    await q.query(`CREATE TABLE comms.status_cadences (
      incident_id uuid NOT NULL,
      audience text NOT NULL,
      severity text NOT NULL,
      interval_seconds int NOT NULL,
      grace_seconds int NOT NULL,
      active boolean NOT NULL,
      started_at timestamptz NOT NULL,
      last_update_at timestamptz,
      due_at timestamptz NOT NULL,
      reminded_at timestamptz,
      missed_at timestamptz,
      next_check_at timestamptz,
      PRIMARY KEY (incident_id, audience)
    )`);
    await q.query(`CREATE INDEX status_cadences_due ON comms.status_cadences (next_check_at) WHERE active AND next_check_at IS NOT NULL`);

    // Who decided what, when and why: appended to, never changed.
    await q.query(`CREATE TABLE comms.decisions (
      id uuid PRIMARY KEY,
      incident_id uuid NOT NULL,
      kind text NOT NULL,
      effective_at timestamptz NOT NULL,
      aware_at timestamptz NOT NULL,
      reason text NOT NULL,
      jurisdictions text[] NOT NULL DEFAULT '{}',
      affected_individuals int,
      decided_by text NOT NULL,
      decided_by_name text,
      implied boolean NOT NULL,
      recorded_at timestamptz NOT NULL,
      obligations_started text[] NOT NULL DEFAULT '{}'
    )`);
    await q.query(`CREATE INDEX decisions_incident ON comms.decisions (incident_id, recorded_at)`);
    await q.query(`CREATE UNIQUE INDEX decisions_implied_once ON comms.decisions (incident_id, kind) WHERE implied`);
    await q.query(`CREATE FUNCTION comms.decisions_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION 'the decision log is append-only'; END $$`);
    await q.query(`CREATE TRIGGER decisions_immutable BEFORE UPDATE OR DELETE ON comms.decisions FOR EACH ROW EXECUTE FUNCTION comms.decisions_immutable()`);
    await q.query(`CREATE TRIGGER decisions_no_truncate BEFORE TRUNCATE ON comms.decisions FOR EACH STATEMENT EXECUTE FUNCTION comms.decisions_immutable()`);

    await q.query(`CREATE TABLE comms.obligations (
      id uuid PRIMARY KEY,
      incident_id uuid NOT NULL,
      rule text NOT NULL,
      stage text NOT NULL,
      decision_id uuid NOT NULL REFERENCES comms.decisions(id),
      status text NOT NULL CHECK (status IN ('pending', 'open', 'paused', 'late', 'submitted', 'submitted_late', 'waived')),
      started_at timestamptz NOT NULL,
      aware_at timestamptz NOT NULL,
      base_deadline timestamptz,
      deadline timestamptz,
      deadline_kind text NOT NULL,
      deadline_basis text NOT NULL,
      affected_individuals int,
      paused_at timestamptz,
      paused_seconds int NOT NULL DEFAULT 0,
      reminders_sent int NOT NULL DEFAULT 0,
      missed_at timestamptz,
      submitted_at timestamptz,
      submitted_by text,
      reference text,
      message_id uuid,
      late_reason text,
      waived_reason text,
      next_check_at timestamptz,
      created_at timestamptz NOT NULL,
      updated_at timestamptz NOT NULL,
      UNIQUE (incident_id, rule, stage)
    )`);
    await q.query(`CREATE INDEX obligations_due ON comms.obligations (next_check_at) WHERE next_check_at IS NOT NULL`);
    await q.query(`CREATE TABLE comms.obligation_history (
      id bigserial PRIMARY KEY,
      obligation_id uuid NOT NULL REFERENCES comms.obligations(id),
      at timestamptz NOT NULL,
      actor text NOT NULL,
      action text NOT NULL,
      reason text,
      details jsonb
    )`);
    await q.query(`CREATE INDEX obligation_history_obligation ON comms.obligation_history (obligation_id, id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE comms.obligation_history`);
    await q.query(`DROP TABLE comms.obligations`);
    await q.query(`DROP TABLE comms.decisions`);
    await q.query(`DROP FUNCTION comms.decisions_immutable()`);
    await q.query(`DROP TABLE comms.status_cadences`);
    await q.query(`ALTER TABLE comms.deliveries DROP COLUMN receipt`);
    await q.query(`DROP INDEX comms.notifications_message_channel`);
    await q.query(`DROP INDEX comms.notifications_legacy_once`);
    await q.query(`DELETE FROM comms.deliveries WHERE notification_id IN (SELECT id FROM comms.notifications WHERE message_id IS NOT NULL)`);
    await q.query(`DELETE FROM comms.notifications WHERE message_id IS NOT NULL`);
    await q.query(`ALTER TABLE comms.notifications DROP COLUMN message_id, DROP COLUMN channel_id, DROP COLUMN channel_name, DROP COLUMN recipients, DROP COLUMN body, DROP COLUMN body_sha256`);
    await q.query(`CREATE UNIQUE INDEX notifications_once_per_incident ON comms.notifications (incident_id, kind, channel, audience) WHERE page_id IS NULL`);
    await q.query(`DROP TABLE comms.messages`);
    await q.query(`DROP TABLE comms.templates`);
    await q.query(`DROP TABLE comms.audiences`);
    await q.query(`DROP TABLE comms.channels`);
    await q.query(`DROP TABLE comms.incidents`);
  }
}
