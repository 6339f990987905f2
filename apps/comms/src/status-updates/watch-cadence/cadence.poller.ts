import { Inject, Injectable, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { metrics } from '@opentelemetry/api';
import { StatusUpdateDueV1, StatusUpdateMissedV1, type IncidentSeverity } from '@vigil/contracts';
import { CONFIG, LOGGER } from '@vigil/platform';
import type { Logger } from 'pino';
import { DataSource } from 'typeorm';
import type { CommsConfig } from '../../config';
import { CLOCK, type Clock } from '../../timers/clock';
import { emit } from '../../persistence/emit';
import { PollLoop } from '@vigil/messaging';
import { nextCheckAt, stepCadence } from '../cadence';
import type { CadenceRow } from '../cadence-tracker';

/**
 * Acts on status-update clocks that are due: a reminder event when an update falls due, an
 * escalation trigger when the grace period after it runs out. Replicas share the clocks through
 * FOR UPDATE SKIP LOCKED; the event and the clock's new state commit together.
 */
@Injectable()
export class CadencePoller implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly loop: PollLoop;
  private readonly missed = metrics.getMeter('vigil').createCounter('vigil.status_updates.missed', { description: 'status updates not sent within the grace period after they fell due, by audience and severity' });
  private readonly reminders = metrics.getMeter('vigil').createCounter('vigil.status_updates.due', { description: 'status-update reminders, by audience and severity' });

  constructor(
    private readonly dataSource: DataSource,
    @Inject(CONFIG) config: CommsConfig,
    @Inject(LOGGER) logger: Logger,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {
    this.loop = new PollLoop('status-update clocks', config.COMMS_TIMER_POLL_MS, () => this.round(), logger);
  }

  onApplicationBootstrap() {
    this.loop.start();
  }

  async beforeApplicationShutdown() {
    await this.loop.stop();
  }

  /** One pass over the due clocks; returns how many it handled. */
  async round(): Promise<number> {
    const now = this.clock.now();
    return this.dataSource.transaction(async (manager) => {
      const rows: CadenceRow[] = await manager.query(
        `SELECT * FROM comms.status_cadences WHERE active AND next_check_at <= $1 ORDER BY next_check_at LIMIT 50 FOR UPDATE SKIP LOCKED`,
        [now],
      );
      for (const row of rows) {
        const { remind, miss, next } = stepCadence({ dueAt: row.due_at, graceSeconds: row.grace_seconds, remindedAt: row.reminded_at, missedAt: row.missed_at }, now);
        const clock = {
          incidentId: row.incident_id,
          audience: row.audience,
          severity: row.severity as IncidentSeverity,
          intervalSeconds: row.interval_seconds,
          lastUpdateAt: row.last_update_at?.toISOString() ?? null,
          dueAt: row.due_at.toISOString(),
        };
        if (remind) {
          await emit(manager, StatusUpdateDueV1, row.incident_id, { ...clock, at: now.toISOString() }, now);
          this.reminders.add(1, { audience: row.audience, severity: row.severity });
        }
        if (miss) {
          await emit(manager, StatusUpdateMissedV1, row.incident_id, { ...clock, graceSeconds: row.grace_seconds, at: now.toISOString() }, now);
          this.missed.add(1, { audience: row.audience, severity: row.severity });
        }
        await manager.query(`UPDATE comms.status_cadences SET reminded_at = $3, missed_at = $4, next_check_at = $5 WHERE incident_id = $1 AND audience = $2`, [
          row.incident_id,
          row.audience,
          next.remindedAt,
          next.missedAt,
          nextCheckAt(next),
        ]);
      }
      return rows.length;
    });
  }
}
