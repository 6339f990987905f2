import { metrics } from '@opentelemetry/api';
import type { Logger } from 'pino';
import type { DataSource, QueryRunner } from 'typeorm';

/** A table whose rows are dropped once they are older than a horizon. */
export interface PruneTarget {
  /** For logs and the `vigil.retention.pruned` counter, e.g. `inbox`. */
  name: string;
  /** Schema-qualified, quoted where needed: `"triage".inbox`. */
  table: string;
  /** A `timestamptz` column, indexed: rows with an older value go. */
  column: string;
  olderThanMs: number;
}

/** The inbox of a service: the ids of processed events, kept only as long as a redelivery can come. */
export function inboxPruneTarget(schema: string, olderThanMs: number): PruneTarget {
  return { name: 'inbox', table: `"${schema}".inbox`, column: 'processed_at', olderThanMs };
}

export interface RetentionJobOptions {
  dataSource: DataSource;
  /** Replicas of one service share a lock named after it, so only one of them prunes at a time. */
  schema: string;
  targets: PruneTarget[];
  intervalMs: number;
  /** Rows per DELETE: each is its own short transaction, holding few row locks briefly. */
  batchSize: number;
  logger: Logger;
  /** The clock the horizons are measured on (tests move it). */
  now?: () => Date;
}

export interface PruneRun {
  /** false when another replica held the lock and this one did nothing. */
  ran: boolean;
  deleted: Record<string, number>;
}

/**
 * Deletes rows past their horizon from tables that would otherwise only grow (every service's
 * inbox, intake's idempotency keys), in small batches, every `intervalMs`. A session advisory lock
 * keeps replicas from doing the same work side by side; a replica that finds it taken skips the
 * round.
 */
export class RetentionJob {
  private timer?: NodeJS.Timeout;
  private running?: Promise<PruneRun>;
  private started = false;
  private stopping = false;
  private readonly now: () => Date;
  private readonly pruned = metrics.getMeter('vigil').createCounter('vigil.retention.pruned', {
    description: 'rows deleted past their retention horizon, by table',
  });

  constructor(private readonly options: RetentionJobOptions) {
    this.now = options.now ?? (() => new Date());
  }

  start(): void {
    if (this.started || this.options.targets.length === 0) return;
    this.started = true;
    this.stopping = false;
    this.schedule();
  }

  async stop(): Promise<void> {
    this.started = false;
    this.stopping = true;
    clearTimeout(this.timer);
    await this.running?.catch(() => undefined);
  }

  private schedule(): void {
    if (this.stopping) return;
    // Jittered, so that replicas started together do not all ask for the lock at once.
    const delay = Math.round(this.options.intervalMs * (0.75 + Math.random() * 0.5));
    this.timer = setTimeout(() => {
      this.running = this.runOnce()
        .catch((error: unknown) => {
          this.options.logger.warn({ err: error }, 'retention: pruning failed; next round will try again');
          return { ran: false, deleted: {} };
        })
        .finally(() => this.schedule());
    }, delay);
    this.timer.unref();
  }

  /** One round: every target, batch after batch, until nothing past its horizon is left. */
  async runOnce(): Promise<PruneRun> {
    const lockKey = `vigil-retention:${this.options.schema}`;
    const runner = this.options.dataSource.createQueryRunner();
    await runner.connect();
    try {
      const [{ locked }] = (await runner.query('SELECT pg_try_advisory_lock(hashtext($1)) AS locked', [lockKey])) as Array<{ locked: boolean }>;
      if (!locked) return { ran: false, deleted: {} };
      try {
        const deleted: Record<string, number> = {};
        for (const target of this.options.targets) {
          deleted[target.name] = await this.prune(runner, target);
          if (deleted[target.name] > 0) {
            this.options.logger.info({ table: target.table, deleted: deleted[target.name] }, `retention: pruned ${target.name}`);
          }
        }
        return { ran: true, deleted };
      } finally {
        await runner.query('SELECT pg_advisory_unlock(hashtext($1))', [lockKey]).catch(() => undefined);
      }
    } finally {
      await runner.release();
    }
  }

  private async prune(runner: QueryRunner, target: PruneTarget): Promise<number> {
    const cutoff = new Date(this.now().getTime() - target.olderThanMs);
    let total = 0;
    for (;;) {
      // One short statement per batch (autocommit): no transaction holds many locks for long.
      const result = (await runner.query(
        `DELETE FROM ${target.table} WHERE ctid = ANY(ARRAY(
           SELECT ctid FROM ${target.table} WHERE ${target.column} < $1 LIMIT $2))`,
        [cutoff.toISOString(), this.options.batchSize],
        true,
      )) as { affected?: number };
      const count = result.affected ?? 0;
      total += count;
      if (count > 0) this.pruned.add(count, { table: target.name });
      if (count < this.options.batchSize || this.stopping) return total;
    }
  }
}
