import { Inject, Injectable, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { metrics } from '@opentelemetry/api';
import { isTransientInfrastructureError } from '@vigil/messaging';
import { CONFIG, LOGGER } from '@vigil/platform';
import type { Logger } from 'pino';
import { DataSource } from 'typeorm';
import type { ReportingConfig } from '../../config';
import { updateReturning } from '../../persistence/sql';
import { EXERCISE_CLOCK, type ExerciseClock } from '../exercise-clock';
import { exerciseOf, resolveExerciseIncident, type InjectRow } from '../exercise-records';
import { findInject, injectRequest } from './inject-schedule';

const MAX_ATTEMPTS = 5;
const LEASE_SECONDS = 60;
/** How long a later alert waits for the first one's incident, so that the run stays one incident. */
const WAIT_FOR_INCIDENT_MS = 30_000;

/**
 * Releases due injects on the exercise clock: alerts and reports are posted to intake with the
 * exercise integration keys, messages are marked released for the participants. Replicas share the
 * work through claims (FOR UPDATE SKIP LOCKED with a lease); a failed post is retried with back-off.
 */
@Injectable()
export class InjectWorker implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private running = false;
  private loop?: Promise<void>;
  private wakeUp?: () => void;
  private readonly released = metrics.getMeter('vigil').createCounter('vigil.exercise.injects', { description: 'exercise injects released, by kind and outcome' });

  constructor(
    private readonly dataSource: DataSource,
    @Inject(CONFIG) private readonly config: ReportingConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(EXERCISE_CLOCK) private readonly clock: ExerciseClock,
  ) {}

  onApplicationBootstrap() {
    this.running = true;
    this.loop = this.run();
  }

  async beforeApplicationShutdown() {
    this.running = false;
    this.wake();
    await this.loop;
  }

  wake() {
    this.wakeUp?.();
  }

  private async run() {
    while (this.running) {
      let claimed = 0;
      try {
        claimed = await this.releaseDue();
      } catch (error) {
        this.logger[isTransientInfrastructureError(error) ? 'warn' : 'error']({ err: error }, 'exercise inject round failed');
      }
      if (claimed === 0 && this.running) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, this.config.REPORTING_EXERCISE_TICK_MS);
          this.wakeUp = () => {
            clearTimeout(timer);
            resolve();
          };
        });
      }
    }
  }

  /** One round: claims what is due on the exercise clock and releases it, each exercise's injects in order. */
  async releaseDue(): Promise<number> {
    const now = this.clock.now();
    const claimed = await updateReturning<InjectRow>(
      this.dataSource,
      `WITH due AS (
         SELECT i.exercise_id, i.inject_key FROM reporting.exercise_injects i JOIN reporting.exercises e USING (exercise_id)
          WHERE i.status = 'pending' AND e.state = 'running' AND i.due_at <= $1 AND (i.claimed_until IS NULL OR i.claimed_until < $1)
          ORDER BY i.due_at, i.ordinal LIMIT 10 FOR UPDATE OF i SKIP LOCKED)
       UPDATE reporting.exercise_injects x SET claimed_until = $1::timestamptz + make_interval(secs => ${LEASE_SECONDS}), attempts = x.attempts + 1
         FROM due WHERE x.exercise_id = due.exercise_id AND x.inject_key = due.inject_key
       RETURNING x.*`,
      [now],
    );
    claimed.sort((a, b) => a.due_at.getTime() - b.due_at.getTime() || a.ordinal - b.ordinal);
    for (const inject of claimed) await this.release(inject);
    return claimed.length;
  }

  private async release(row: InjectRow): Promise<void> {
    const exercise = await exerciseOf(this.dataSource, row.exercise_id);
    const found = findInject(exercise.scenario, row.inject_key);
    const now = this.clock.now();
    if (!found) return this.finish(row, 'failed', null, 'the scenario has no such inject');
    const incidentId = await resolveExerciseIncident(this.dataSource, exercise);
    if (!incidentId && found.inject.kind !== 'message') {
      const [first] = (await this.dataSource.query(
        `SELECT min(released_at) AS at FROM reporting.exercise_injects WHERE exercise_id = $1 AND status = 'sent' AND alert_id IS NOT NULL`,
        [row.exercise_id],
      )) as Array<{ at: Date | null }>;
      if (first?.at && now.getTime() - first.at.getTime() < WAIT_FOR_INCIDENT_MS) {
        // The first alert's incident is not known yet: try again shortly, without counting an attempt.
        await this.dataSource.query(
          `UPDATE reporting.exercise_injects SET claimed_until = $3::timestamptz + interval '1 second', attempts = attempts - 1 WHERE exercise_id = $1 AND inject_key = $2`,
          [row.exercise_id, row.inject_key, now],
        );
        return;
      }
    }
    const request = injectRequest(found.inject, { exerciseId: row.exercise_id, incidentId, now });
    if (!request) return this.finish(row, 'sent', null, null);
    const key = found.inject.kind === 'report' ? this.config.REPORTING_EXERCISE_REPORT_KEY : this.config.REPORTING_EXERCISE_ALERT_KEY;
    let error: string;
    try {
      const res = await fetch(`${this.config.REPORTING_EXERCISE_INTAKE_URL}${request.path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${key}`, 'idempotency-key': `exercise-${row.exercise_id}-${row.inject_key}` },
        body: JSON.stringify(request.body),
        signal: AbortSignal.timeout(10_000),
      });
      // /v1/alerts answers the alert; the source-format endpoints (reports) answer a summary of alerts.
      const body = (await res.json().catch(() => ({}))) as { alertId?: string; alerts?: Array<{ alertId: string | null }>; detail?: string };
      const alertId = body.alertId ?? body.alerts?.[0]?.alertId;
      if (res.status === 202 && alertId) return this.finish(row, 'sent', alertId, null);
      error = `intake answered ${res.status}${body.detail ? `: ${body.detail}` : ''}`;
    } catch (e) {
      error = `intake unreachable: ${(e as Error).message}`;
    }
    if (row.attempts >= MAX_ATTEMPTS) return this.finish(row, 'failed', null, error);
    await this.dataSource.query(
      `UPDATE reporting.exercise_injects SET claimed_until = $3::timestamptz + make_interval(secs => $4), error = $5 WHERE exercise_id = $1 AND inject_key = $2`,
      [row.exercise_id, row.inject_key, now, 5 * row.attempts ** 2, error],
    );
    this.logger.warn({ exerciseId: row.exercise_id, inject: row.inject_key, attempt: row.attempts, error }, 'exercise inject not accepted; retrying');
  }

  private async finish(row: InjectRow, status: 'sent' | 'failed', alertId: string | null, error: string | null): Promise<void> {
    await this.dataSource.query(
      `UPDATE reporting.exercise_injects SET status = $3, alert_id = $4, error = $5, released_at = CASE WHEN $3 = 'sent' THEN $6::timestamptz END, claimed_until = NULL
        WHERE exercise_id = $1 AND inject_key = $2 AND status = 'pending'`,
      [row.exercise_id, row.inject_key, status, alertId, error, this.clock.now()],
    );
    this.released.add(1, { kind: row.kind, outcome: status });
    if (status === 'failed') this.logger.error({ exerciseId: row.exercise_id, inject: row.inject_key, error }, 'exercise inject failed');
  }
}
