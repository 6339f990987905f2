import { Inject, Injectable, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { metrics } from '@opentelemetry/api';
import { ObligationApproachingV1, ObligationMissedV1 } from '@vigil/contracts';
import { CONFIG, LOGGER } from '@vigil/platform';
import type { Logger } from 'pino';
import { DataSource } from 'typeorm';
import { reminderLeadsMs, type CommsConfig } from '../../config';
import { findSnapshot } from '../../incidents/incident-snapshots';
import { CLOCK, type Clock } from '../../timers/clock';
import { emit } from '../../persistence/emit';
import { PollLoop } from '@vigil/messaging';
import { ObligationEngine, type ObligationRow } from '../obligation-engine';
import { nextCheck } from '../reminders';

/**
 * Acts on regulatory clocks whose next check has come: a reminder as each configured lead before
 * the deadline passes (COMMS_OBLIGATION_REMINDER_HOURS), and — once the deadline passes with
 * nothing submitted — the clock turns late and an escalation trigger is raised. Replicas share
 * the clocks through FOR UPDATE SKIP LOCKED; event and state commit together.
 */
@Injectable()
export class DeadlinePoller implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly loop: PollLoop;
  private readonly leads: number[];
  private readonly missed = metrics.getMeter('vigil').createCounter('vigil.obligations.missed', { description: 'regulatory deadlines missed, by rule and stage' });
  private readonly approaching = metrics.getMeter('vigil').createCounter('vigil.obligations.reminders', { description: 'reminders of approaching regulatory deadlines, by rule and stage' });

  constructor(
    private readonly dataSource: DataSource,
    private readonly engine: ObligationEngine,
    @Inject(CONFIG) config: CommsConfig,
    @Inject(LOGGER) logger: Logger,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {
    this.leads = reminderLeadsMs(config);
    this.loop = new PollLoop('regulatory clocks', config.COMMS_TIMER_POLL_MS, () => this.round(), logger);
  }

  onApplicationBootstrap() {
    this.loop.start();
  }

  async beforeApplicationShutdown() {
    await this.loop.stop();
  }

  wake() {
    this.loop.wake();
  }

  async round(): Promise<number> {
    const now = this.clock.now();
    return this.dataSource.transaction(async (manager) => {
      const rows: ObligationRow[] = await manager.query(
        `SELECT * FROM comms.obligations WHERE status = 'open' AND next_check_at <= $1 ORDER BY next_check_at LIMIT 50 FOR UPDATE SKIP LOCKED`,
        [now],
      );
      for (const row of rows) {
        if (!row.deadline) {
          await manager.query(`UPDATE comms.obligations SET next_check_at = NULL WHERE id = $1`, [row.id]);
          continue;
        }
        if (now >= row.deadline) {
          const [late]: ObligationRow[] = await manager.query(
            `WITH changed AS (UPDATE comms.obligations SET status = 'late', missed_at = COALESCE(missed_at, $2), next_check_at = NULL, updated_at = $2 WHERE id = $1 RETURNING *) SELECT * FROM changed`,
            [row.id, now],
          );
          if (!row.missed_at) {
            const incident = await findSnapshot(manager, row.incident_id);
            await this.engine.history(manager, row.id, now, 'system', 'missed', `deadline ${row.deadline.toISOString()} passed`, null);
            await emit(manager, ObligationMissedV1, row.incident_id, { obligation: this.engine.snapshot(late), at: now.toISOString(), severity: incident?.severity ?? null }, now);
            this.missed.add(1, { rule: row.rule, stage: row.stage });
          }
          continue;
        }
        const due = this.leads.filter((lead) => now.getTime() >= row.deadline!.getTime() - lead).length;
        if (due > row.reminders_sent) {
          await emit(manager, ObligationApproachingV1, row.incident_id, { obligation: this.engine.snapshot(row), timeLeftSeconds: Math.round((row.deadline.getTime() - now.getTime()) / 1000), at: now.toISOString() }, now);
          this.approaching.add(1, { rule: row.rule, stage: row.stage });
        }
        const sent = Math.max(due, row.reminders_sent);
        await manager.query(`UPDATE comms.obligations SET reminders_sent = $2, next_check_at = $3 WHERE id = $1`, [row.id, sent, nextCheck(row.deadline, sent, this.leads)]);
      }
      return rows.length;
    });
  }
}
