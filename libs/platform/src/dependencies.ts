import { metrics } from '@opentelemetry/api';

export type DependencyState = 'ok' | 'unavailable';
export interface DependencyChecks {
  database: DependencyState;
  kafka: DependencyState;
}

type Dependency = keyof DependencyChecks;

/**
 * The state of a service's database and Kafka, for `/health/ready` and for the
 * `vigil.dependency.up` gauge. A check's error is never kept or shown: its text may name hosts,
 * users or internals, and a probe's caller needs only the state. Each probe must give up by itself
 * well within a readiness probe's timeout (pingKafka's own timeout); probes of one dependency that
 * overlap share one round trip. Between readiness probes both are asked every `intervalMs`, so that
 * the gauge follows an outage even where nothing probes.
 */
export class DependencyMonitor {
  private readonly last: Partial<DependencyChecks> = {};
  private readonly inFlight: Partial<Record<Dependency, Promise<DependencyState>>> = {};
  private timer?: NodeJS.Timeout;
  private stopped = true;

  constructor(
    private readonly probes: Record<Dependency, () => Promise<unknown>>,
    private readonly intervalMs = 10_000,
  ) {
    metrics
      .getMeter('vigil')
      .createObservableGauge('vigil.dependency.up', { description: '1 when the dependency answered its last check, 0 when it did not' })
      .addCallback((result) => {
        for (const [dependency, state] of Object.entries(this.last)) result.observe(state === 'ok' ? 1 : 0, { dependency });
      });
  }

  async check(): Promise<DependencyChecks> {
    const [database, kafka] = await Promise.all([this.probe('database'), this.probe('kafka')]);
    return { database, kafka };
  }

  private probe(dependency: Dependency): Promise<DependencyState> {
    this.inFlight[dependency] ??= this.probes[dependency]()
      .then(
        () => 'ok' as const,
        () => 'unavailable' as const,
      )
      .then((state) => {
        this.last[dependency] = state;
        delete this.inFlight[dependency];
        return state;
      });
    return this.inFlight[dependency];
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    const round = () => {
      void this.check().finally(() => {
        if (this.stopped) return;
        this.timer = setTimeout(round, this.intervalMs);
        this.timer.unref();
      });
    };
    round();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}
