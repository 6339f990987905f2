import { Inject, Injectable, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { metrics } from '@opentelemetry/api';
import { LOGGER } from '@vigil/platform';
import type { Logger } from 'pino';
import { DataSource } from 'typeorm';

const REFRESH_MS = 5000;
const CLOSED = ['closed', 'false_positive', 'merged'];

/**
 * Gauges read from the incident clocks: how many incidents are open, by phase and severity, and
 * how long the oldest unacknowledged one has waited (what a "SEV1 not acknowledged" alert needs).
 * Refreshed every few seconds; a scrape reads the last figures without touching the database.
 */
@Injectable()
export class OpenIncidentsGauges implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private open: Array<{ phase: string; severity: string; exercise: boolean; n: number }> = [];
  private unacknowledged: Array<{ severity: string; exercise: boolean; age: number }> = [];
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly dataSource: DataSource,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    const meter = metrics.getMeter('vigil');
    meter
      .createObservableGauge('vigil.incidents.open', { description: 'incidents not closed, by phase and severity' })
      .addCallback((r) => this.open.forEach((o) => r.observe(o.n, { phase: o.phase, severity: o.severity, exercise: String(o.exercise) })));
    meter
      .createObservableGauge('vigil.incidents.unacknowledged_oldest_age_seconds', {
        unit: 's',
        description: 'how long the oldest open, unacknowledged incident has waited since detection',
      })
      .addCallback((r) => this.unacknowledged.forEach((u) => r.observe(u.age, { severity: u.severity, exercise: String(u.exercise) })));
  }

  onApplicationBootstrap() {
    const tick = () => {
      this.refresh()
        .catch((error) => this.logger.warn({ err: error }, 'open incident gauges: refresh failed'))
        .finally(() => {
          this.timer = setTimeout(tick, REFRESH_MS);
          this.timer.unref();
        });
    };
    tick();
  }

  beforeApplicationShutdown() {
    clearTimeout(this.timer);
  }

  async refresh(): Promise<void> {
    const [open, unacknowledged] = await Promise.all([
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
    this.open = open;
    this.unacknowledged = unacknowledged;
  }
}
