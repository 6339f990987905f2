import { metrics } from '@opentelemetry/api';
import { toKafkaHeaders, type CloudEvent } from '@vigil/contracts';
import { contextFromHeaders, currentTraceHeaders, inSpan, SpanKind } from '@vigil/telemetry';
import { Client, type ClientConfig } from 'pg';
import type { Logger } from 'pino';
import type { DataSource, EntityManager } from 'typeorm';
import { backoff, sleep } from './errors';
import type { StringProducer } from './kafka';
import { outboxChannel } from './tables';

/**
 * Records an event for publication in the caller's transaction: the state change and the event
 * commit together or not at all. The trace context of the caller travels with the row.
 */
export async function enqueueEvent(
  manager: EntityManager,
  schema: string,
  event: CloudEvent,
  route: { topic: string; key: string },
): Promise<void> {
  await enqueueEvents(manager, schema, [{ event, ...route }]);
}

export interface OutboxItem {
  event: CloudEvent;
  topic: string;
  key: string;
  /** W3C trace context to carry; defaults to the active one. */
  traceHeaders?: Record<string, string>;
}

/** Binds a value as the next parameter of a statement being built and returns its placeholder. */
export type Bind = (value: unknown) => string;

/** A statement built from fragments, each binding its values in turn. */
export function statementBuilder(): { bind: Bind; params: unknown[] } {
  const params: unknown[] = [];
  return { params, bind: (value) => (params.push(value), `$${params.length}`) };
}

/**
 * Data-modifying statements run as one (data-modifying CTEs: each runs once and to completion,
 * whether or not anything reads it), so that writes that belong together cost one round trip.
 * Each must be an INSERT, UPDATE or DELETE without its own RETURNING.
 */
export function writeTogetherSql(writes: string[]): string {
  return writes.length === 1 ? writes[0] : `WITH ${writes.map((w, i) => `w${i} AS (${w} RETURNING 1)`).join(',\n')} SELECT 1`;
}

/**
 * The outbox INSERT of `items`, as SQL whose one value is bound with `bind`: to record events in a
 * statement that also does other work (a data-modifying CTE), one round trip for both. Rows get
 * their sequence numbers in the order of `items`, which is the order they are published in.
 */
export function outboxInsertSql(schema: string, items: OutboxItem[], bind: Bind): string {
  const active = currentTraceHeaders();
  const rows = items.map(({ event, topic, key, traceHeaders }) => ({
    event_id: event.id,
    topic,
    message_key: key,
    event_type: event.type,
    headers: { ...toKafkaHeaders(event), ...(traceHeaders ?? active) },
    payload: event.data,
  }));
  return `INSERT INTO "${schema}".outbox (event_id, topic, message_key, event_type, headers, payload)
     SELECT event_id, topic, message_key, event_type, headers, payload
       FROM ROWS FROM (json_to_recordset(${bind(JSON.stringify(rows))}::json)
              AS (event_id uuid, topic text, message_key text, event_type text, headers json, payload json))
            WITH ORDINALITY AS r(event_id, topic, message_key, event_type, headers, payload, ord)
      ORDER BY ord`;
}

/** Records many events in the caller's transaction with one statement (bulk ingestion). */
export async function enqueueEvents(manager: EntityManager, schema: string, items: OutboxItem[]): Promise<void> {
  if (items.length === 0) return;
  const { bind, params } = statementBuilder();
  await manager.query(outboxInsertSql(schema, items, bind), params);
}

interface OutboxRow {
  seq: string;
  event_id: string;
  topic: string;
  message_key: string;
  event_type: string;
  headers: Record<string, string>;
  payload: string;
}

export interface OutboxRelayOptions {
  dataSource: DataSource;
  /** Connection string for the LISTEN connection (same database and role as the DataSource). */
  databaseUrl: string;
  schema: string;
  producer: StringProducer;
  logger: Logger;
  batchSize?: number;
  /** Safety net for a lost notification (e.g. while reconnecting); not the wake-up path. */
  sweepIntervalMs?: number;
  /**
   * How long the relay lingers after a wake-up before reading, so that the commits of a busy moment
   * go out as one batch (one read, one produce, one delete) instead of one each; default 5 ms, as
   * Kafka's own producers linger by default.
   */
  lingerMs?: number;
  /** The relay vacuums the outbox after deleting this many rows; default 20,000. */
  vacuumEveryRows?: number;
  /** TCP keepalive of the leader's connection, which holds the leadership lock; default LEADER_KEEPALIVE. */
  leaderKeepalive?: LeaderKeepalive;
}

/** TCP keepalive probes on the leader's connection, in both directions. */
export interface LeaderKeepalive {
  /** Seconds without traffic before the first probe. */
  idleSeconds: number;
  /** Seconds between unanswered probes. */
  intervalSeconds: number;
  /** Unanswered probes after which the connection is dead. */
  count: number;
}

/**
 * The relay's leadership is a session advisory lock, freed when PostgreSQL ends the session. A
 * leader whose node vanishes (power, network) never closes its connection, and with the kernel's
 * defaults the server would notice after about two hours (7200 s idle, then 9 probes 75 s apart),
 * publishing nothing meanwhile. With these the server gives up on it after
 * 5 + 2 × 3 = 11 seconds, and another replica takes over at its next sweep (5 s).
 */
export const LEADER_KEEPALIVE: LeaderKeepalive = { idleSeconds: 5, intervalSeconds: 2, count: 3 };

/**
 * Connection settings of the relay's LISTEN and leadership session: server-side keepalive (the
 * server is the one that must notice a lost node and free the lock), `tcp_user_timeout` for data
 * the server sent that is never acknowledged (a NOTIFY to a vanished node), and client-side
 * keepalive so that the relay notices a lost server too.
 */
export function leaderConnectionConfig(databaseUrl: string, schema: string, keepalive: LeaderKeepalive = LEADER_KEEPALIVE): ClientConfig {
  const { idleSeconds, intervalSeconds, count } = keepalive;
  const deadAfterMs = (idleSeconds + intervalSeconds * count) * 1000;
  return {
    connectionString: databaseUrl,
    application_name: `${schema}-outbox-relay`,
    keepAlive: true,
    keepAliveInitialDelayMillis: idleSeconds * 1000,
    options: [
      `-c tcp_keepalives_idle=${idleSeconds}`,
      `-c tcp_keepalives_interval=${intervalSeconds}`,
      `-c tcp_keepalives_count=${count}`,
      `-c tcp_user_timeout=${deadAfterMs}`,
    ].join(' '),
  };
}

/**
 * Publishes outbox rows in commit order. Woken by LISTEN/NOTIFY; one relay per service holds a
 * session advisory lock so that replicas never publish the same rows or reorder a key.
 */
export class OutboxRelay {
  private listener?: Client;
  private running = false;
  private wake?: () => void;
  private woken = false;
  private measuredAt = 0;
  private loop?: Promise<void>;
  private leader = false;
  private readonly batchSize: number;
  private readonly sweepIntervalMs: number;
  private readonly lingerMs: number;
  private readonly vacuumEveryRows: number;
  private deletedSinceVacuum = 0;
  private lastBacklog = 0;
  private oldestAgeSeconds = 0;

  constructor(private readonly options: OutboxRelayOptions) {
    this.batchSize = options.batchSize ?? 2000;
    this.sweepIntervalMs = options.sweepIntervalMs ?? 5000;
    this.lingerMs = options.lingerMs ?? 5;
    this.vacuumEveryRows = options.vacuumEveryRows ?? 20_000;
    const meter = metrics.getMeter('vigil');
    meter
      .createObservableGauge('vigil.outbox.backlog', { description: 'outbox rows not yet published to Kafka (the span of their sequence numbers: an upper bound)' })
      .addCallback((r) => r.observe(this.lastBacklog, { schema: options.schema }));
    meter
      .createObservableGauge('vigil.outbox.oldest_age', { unit: 's', description: 'age of the oldest unpublished outbox row' })
      .addCallback((r) => r.observe(this.oldestAgeSeconds, { schema: options.schema }));
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.notified();
    await this.loop;
    await this.closeListener();
  }

  private async run(): Promise<void> {
    let failures = 0;
    while (this.running) {
      try {
        await this.ensureListening();
        if (!this.leader) {
          await this.idle(this.sweepIntervalMs);
          continue;
        }
        const published = await this.publishBatch();
        failures = 0;
        // A full batch: more are waiting, look again at once. Fewer: every row committed before the
        // read was in it, and a row committed since has sent a NOTIFY, which ends the wait at once
        // (one that came while publishing is kept), so wait for it instead of reading an empty table.
        if (published < this.batchSize) {
          await this.idle(this.sweepIntervalMs);
          if (this.lingerMs > 0 && this.running) await sleep(this.lingerMs);
        }
      } catch (error) {
        failures += 1;
        this.options.logger.warn({ err: error, failures }, 'outbox relay: publishing failed, will retry');
        await this.closeListener();
        await this.idle(backoff(failures, 250, 5000));
      }
    }
  }

  /** Waits for a NOTIFY (or the sweep). A NOTIFY that came while busy is not lost: it ends the wait at once. */
  private idle(ms: number): Promise<void> {
    if (this.woken) {
      this.woken = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wake = undefined;
        this.woken = false;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wake = done;
    });
  }

  private notified(): void {
    if (this.wake) this.wake();
    else this.woken = true;
  }

  private async ensureListening(): Promise<void> {
    if (this.listener) {
      if (!this.leader) this.leader = await this.tryLead(this.listener);
      return;
    }
    const client = new Client(leaderConnectionConfig(this.options.databaseUrl, this.options.schema, this.options.leaderKeepalive));
    client.on('error', (error) => {
      this.options.logger.warn({ err: error }, 'outbox relay: listen connection lost');
      this.listener = undefined;
      this.leader = false;
      this.notified();
    });
    client.on('notification', () => this.notified());
    await client.connect();
    await client.query(`LISTEN "${outboxChannel(this.options.schema)}"`);
    this.listener = client;
    this.leader = await this.tryLead(client);
  }

  /**
   * The advisory lock lives as long as the LISTEN session: a crashed leader frees it at once, a
   * vanished one within seconds (leaderConnectionConfig).
   */
  private async tryLead(client: Client): Promise<boolean> {
    const { rows } = await client.query<{ locked: boolean }>(
      `SELECT pg_try_advisory_lock(hashtext($1)) AS locked`,
      [`vigil-outbox-relay:${this.options.schema}`],
    );
    return rows[0].locked;
  }

  private async closeListener(): Promise<void> {
    const client = this.listener;
    this.listener = undefined;
    this.leader = false;
    await client?.end().catch(() => undefined);
  }

  private async publishBatch(): Promise<number> {
    const { dataSource, schema, producer } = this.options;
    const rows: OutboxRow[] = await dataSource.query(
      // In sequence order along the primary key (every row in the table is unpublished: published
      // rows are deleted). The payload as the text it was written as: it goes to Kafka as it is.
      `SELECT seq, event_id, topic, message_key, event_type, headers, payload::text AS payload
         FROM "${schema}".outbox ORDER BY seq LIMIT $1`,
      [this.batchSize],
    );
    await this.measureBacklog(rows.length);
    if (rows.length === 0) return 0;
    // One producer span per row, child of the trace that wrote the row, so the trace continues
    // from the HTTP request (or consumer) into Kafka.
    const messages = await Promise.all(
      rows.map((row) =>
        inSpan(
          `${row.topic} publish`,
          {
            kind: SpanKind.PRODUCER,
            parent: contextFromHeaders(row.headers),
            attributes: {
              'messaging.system': 'kafka',
              'messaging.destination.name': row.topic,
              'messaging.message.id': row.event_id,
              'cloudevents.event_type': row.event_type,
            },
          },
          async () => ({
            topic: row.topic,
            key: row.message_key,
            value: row.payload,
            headers: { ...row.headers, ...currentTraceHeaders() },
          }),
        ),
      ),
    );
    await producer.send({ messages });
    // Published rows are deleted, not marked: an UPDATE would copy every row (payload included) a
    // second time, which at alert volume is most of the database's work. Kafka is the record now.
    await dataSource.query(`DELETE FROM "${schema}".outbox WHERE seq = ANY($1::bigint[])`, [rows.map((r) => r.seq)]);
    await this.vacuumAfter(rows.length);
    return rows.length;
  }

  /**
   * The outbox is a queue: rows are inserted and deleted at the rate events flow. Until vacuum
   * removes the deleted rows, every read walks over them from the start of the index, and at
   * thousands of events a second autovacuum (which looks in about once a minute) is far too late.
   * So the relay vacuums the table itself once enough rows have gone.
   */
  private async vacuumAfter(deleted: number): Promise<void> {
    this.deletedSinceVacuum += deleted;
    if (this.deletedSinceVacuum < this.vacuumEveryRows) return;
    this.deletedSinceVacuum = 0;
    try {
      await this.options.dataSource.query(`VACUUM (SKIP_LOCKED) "${this.options.schema}".outbox`);
    } catch (error) {
      this.options.logger.warn({ err: error }, 'outbox relay: vacuum failed (autovacuum will do it later)');
    }
  }

  private async measureBacklog(batchRows: number): Promise<void> {
    if (batchRows === 0) {
      this.lastBacklog = 0;
      this.oldestAgeSeconds = 0;
      return;
    }
    // At most once a second: under load the relay cycles far more often than Prometheus scrapes.
    if (Date.now() - this.measuredAt < 1000) return;
    this.measuredAt = Date.now();
    // Along the primary key, not count(*): under a backlog of tens of thousands of rows a count
    // scanned them all (20–25 ms a call, in every service), when the machine could least spare it.
    // The span of sequence numbers counts the rows waiting, and numbers a rolled-back transaction
    // took between them: an upper bound, exact when nothing rolled back.
    const [row] = await this.options.dataSource.query(
      `SELECT coalesce(max(seq) - min(seq) + 1, 0)::int AS backlog,
              coalesce(extract(epoch FROM now() - (SELECT created_at FROM "${this.options.schema}".outbox ORDER BY seq LIMIT 1)), 0)::float AS oldest
         FROM "${this.options.schema}".outbox`,
    );
    this.lastBacklog = row.backlog;
    this.oldestAgeSeconds = row.oldest;
  }
}

