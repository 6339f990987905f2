import { Inject, Injectable } from '@nestjs/common';
import { metrics } from '@opentelemetry/api';
import { LOGGER } from '@vigil/platform';
import type { Logger } from 'pino';
import { DataSource } from 'typeorm';

/**
 * Gauges read when metrics are collected, for Grafana: regulatory clocks by rule, stage and
 * status, the least time left on a running one, and status updates overdue.
 */
@Injectable()
export class ObligationGauges {
  constructor(
    private readonly dataSource: DataSource,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    const meter = metrics.getMeter('vigil');
    const open = meter.createObservableGauge('vigil.obligations.open', { description: 'regulatory clocks not submitted or waived, by rule, stage and status' });
    const timeLeft = meter.createObservableGauge('vigil.obligations.time_left_seconds', { unit: 's', description: 'least time left before a regulatory deadline among running clocks, by rule and stage (negative when late)' });
    const overdue = meter.createObservableGauge('vigil.status_updates.overdue', { description: 'status updates past due, by audience and severity' });
    meter.addBatchObservableCallback(async (result) => {
      try {
        const [counts, left, late] = await Promise.all([
          this.dataSource.query(`SELECT rule, stage, status, count(*)::int AS n FROM comms.obligations WHERE status IN ('pending', 'open', 'paused', 'late') GROUP BY rule, stage, status`),
          this.dataSource.query(
            `SELECT rule, stage, extract(epoch FROM min(deadline) - now())::float8 AS seconds FROM comms.obligations WHERE status IN ('open', 'late') AND deadline IS NOT NULL GROUP BY rule, stage`,
          ),
          this.dataSource.query(`SELECT audience, severity, count(*)::int AS n FROM comms.status_cadences WHERE active AND due_at < now() GROUP BY audience, severity`),
        ]);
        for (const c of counts) result.observe(open, c.n, { rule: c.rule, stage: c.stage, status: c.status });
        for (const l of left) result.observe(timeLeft, l.seconds, { rule: l.rule, stage: l.stage });
        for (const o of late) result.observe(overdue, o.n, { audience: o.audience, severity: o.severity });
      } catch (error) {
        this.logger.warn({ err: error }, 'obligation gauges: could not read the clocks');
      }
    }, [open, timeLeft, overdue]);
  }
}
