import { Inject, Injectable } from '@nestjs/common';
import { metrics } from '@opentelemetry/api';
import { LOGGER } from '@vigil/platform';
import type { Logger } from 'pino';
import { DataSource } from 'typeorm';

const CLOSED = ['closed', 'false_positive', 'merged'];

/**
 * Gauges read from the incident clocks when metrics are collected (a scrape or an OTLP export):
 * how many incidents are open, by phase and severity, and how long the oldest unacknowledged one
 * has waited (what a "SEV1 not acknowledged" alert needs). Nothing is cached or polled in between.
 */
@Injectable()
export class OpenIncidentsGauges {
  constructor(
    private readonly dataSource: DataSource,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    const meter = metrics.getMeter('vigil');
    const open = meter.createObservableGauge('vigil.incidents.open', { description: 'incidents not closed, by phase and severity' });
    const unacknowledged = meter.createObservableGauge('vigil.incidents.unacknowledged_oldest_age_seconds', {
      unit: 's',
      description: 'how long the oldest open, unacknowledged incident has waited since detection',
    });
    meter.addBatchObservableCallback(async (result) => {
      try {
        const [counts, ages] = await Promise.all([
          this.dataSource.query(
            `SELECT phase, severity, exercise, count(*)::int AS n FROM reporting.incident_clocks
              WHERE phase <> ALL($1) GROUP BY phase, severity, exercise`,
            [CLOSED],
          ),
          this.dataSource.query(
            `SELECT severity, exercise, extract(epoch FROM now() - min(detected_at))::float8 AS age FROM reporting.incident_clocks
              WHERE phase <> ALL($1) AND acknowledged_at IS NULL GROUP BY severity, exercise`,
            [CLOSED],
          ),
        ]);
        for (const c of counts) result.observe(open, c.n, { phase: c.phase, severity: c.severity, exercise: String(c.exercise) });
        for (const a of ages) result.observe(unacknowledged, a.age, { severity: a.severity, exercise: String(a.exercise) });
      } catch (error) {
        this.logger.warn({ err: error }, 'open incident gauges: could not read the incident clocks');
      }
    }, [open, unacknowledged]);
  }
}
