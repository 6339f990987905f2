import type { QueryRunner } from 'typeorm';

/**
 * Outbox and inbox tables, created by each service's first migration inside its own schema.
 * Frozen once released: a later change gets a new `...V2` function, as migrations must replay
 * exactly as they first ran.
 */
export function messagingTablesV1(schema: string): { up: string[]; down: string[] } {
  const s = `"${schema}"`;
  const channel = outboxChannel(schema);
  return {
    up: [
      `CREATE TABLE ${s}.outbox (
         seq bigserial PRIMARY KEY,
         event_id uuid NOT NULL UNIQUE,
         topic text NOT NULL,
         message_key text NOT NULL,
         event_type text NOT NULL,
         headers jsonb NOT NULL,
         payload jsonb NOT NULL,
         created_at timestamptz NOT NULL DEFAULT now(),
         published_at timestamptz
       )`,
      `CREATE INDEX outbox_unpublished ON ${s}.outbox (seq) WHERE published_at IS NULL`,
      // Wakes the relay the moment a row commits (NOTIFY is delivered on commit only).
      `CREATE FUNCTION ${s}.outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN PERFORM pg_notify('${channel}', ''); RETURN NULL; END $$`,
      `CREATE TRIGGER outbox_notify AFTER INSERT ON ${s}.outbox
         FOR EACH STATEMENT EXECUTE FUNCTION ${s}.outbox_notify()`,
      `CREATE TABLE ${s}.inbox (
         consumer text NOT NULL,
         event_id text NOT NULL,
         event_type text NOT NULL,
         topic text NOT NULL,
         kafka_partition int NOT NULL,
         kafka_offset bigint NOT NULL,
         processed_at timestamptz NOT NULL DEFAULT now(),
         PRIMARY KEY (consumer, event_id)
       )`,
    ],
    down: [`DROP TABLE ${s}.inbox`, `DROP TABLE ${s}.outbox`, `DROP FUNCTION ${s}.outbox_notify()`],
  };
}

/**
 * Since the relay deletes published rows, the outbox holds only what is waiting: its primary key
 * orders it, and the event-id and unpublished indexes are work on every event for nothing.
 */
export function leanOutboxV2(schema: string): { up: string[]; down: string[] } {
  const s = `"${schema}"`;
  return {
    up: [`ALTER TABLE ${s}.outbox DROP CONSTRAINT outbox_event_id_key`, `DROP INDEX ${s}.outbox_unpublished`],
    down: [
      `ALTER TABLE ${s}.outbox ADD CONSTRAINT outbox_event_id_key UNIQUE (event_id)`,
      `CREATE INDEX outbox_unpublished ON ${s}.outbox (seq) WHERE published_at IS NULL`,
    ],
  };
}

/**
 * Outbox headers and payload as `json` instead of `jsonb`: the relay passes each payload through
 * to Kafka as the text it was written as, instead of the database rebuilding it from its binary
 * form for every row it reads (the relay's read was most of intake's database time). `json` keeps
 * the input valid and, read by an older relay during a rolling upgrade, still comes back parsed.
 * The outbox is drained continuously, so the rewrite this takes is of a small table.
 */
export function jsonOutboxV3(schema: string): { up: string[]; down: string[] } {
  const s = `"${schema}"`;
  return {
    up: [
      // Rows marked published before published rows were deleted ([leanOutboxV2]): gone, so that
      // the relay can read the table in order with no filter (the filter led the planner to sort
      // the whole backlog).
      `DELETE FROM ${s}.outbox WHERE published_at IS NOT NULL`,
      `ALTER TABLE ${s}.outbox ALTER COLUMN headers TYPE json USING headers::json, ALTER COLUMN payload TYPE json USING payload::json`,
    ],
    down: [`ALTER TABLE ${s}.outbox ALTER COLUMN headers TYPE jsonb USING headers::jsonb, ALTER COLUMN payload TYPE jsonb USING payload::jsonb`],
  };
}

/**
 * The migration every service runs so that its inbox can be pruned (the retention job deletes ids
 * of events processed longer ago than PRUNE_AFTER_HOURS): an index on `processed_at`, without
 * which each pruning batch would read the whole table. Built concurrently, outside a transaction,
 * so that consumers keep writing to the inbox meanwhile; an index left invalid by an interrupted
 * build is dropped and built again.
 */
export function inboxPruningMigration(schema: string) {
  return class InboxPruning1764950000000 {
    name = 'InboxPruning1764950000000';
    transaction = false;
    async up(q: QueryRunner): Promise<void> {
      const [index] = (await q.query(
        `SELECT i.indisvalid AS valid FROM pg_index i
           JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE n.nspname = $1 AND c.relname = 'inbox_processed_at'`,
        [schema],
      )) as Array<{ valid: boolean }>;
      if (index?.valid) return;
      if (index) await q.query(`DROP INDEX CONCURRENTLY "${schema}".inbox_processed_at`);
      await q.query(`CREATE INDEX CONCURRENTLY inbox_processed_at ON "${schema}".inbox (processed_at)`);
    }
    async down(q: QueryRunner): Promise<void> {
      await q.query(`DROP INDEX CONCURRENTLY IF EXISTS "${schema}".inbox_processed_at`);
    }
  };
}

export function outboxChannel(schema: string): string {
  return `${schema}_outbox`;
}
