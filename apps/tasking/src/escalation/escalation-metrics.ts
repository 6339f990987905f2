import { metrics, type Counter, type Histogram } from '@opentelemetry/api';

/** Seconds: a minute to a day, for how long a paged person takes to acknowledge. */
const BUCKETS = [15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 14_400, 28_800, 86_400];

/**
 * What escalation measures (OpenTelemetry; Prometheus adds `_total` to counters):
 * pages requested per step, how long after a step's pages the incident was acknowledged, and
 * escalations that ran out of steps with nobody acknowledging. Recorded after the transaction
 * that did the work commits, so a rolled-back step counts nothing.
 */
export class EscalationMetrics {
  readonly started: Counter;
  readonly pages: Counter;
  readonly acknowledgement: Histogram;
  readonly exhausted: Counter;

  constructor() {
    const meter = metrics.getMeter('vigil');
    this.started = meter.createCounter('vigil.escalations.started', { description: 'escalations started, by trigger, severity and exercise' });
    this.pages = meter.createCounter('vigil.escalation.pages', { description: 'pages requested (one per person paged), by step, severity and exercise' });
    this.acknowledgement = meter.createHistogram('vigil.escalation.time_to_acknowledge_seconds', {
      unit: 's',
      description: 'from the pages of the last step that ran to the acknowledgement, by that step, severity and exercise',
      advice: { explicitBucketBoundaries: BUCKETS },
    });
    this.exhausted = meter.createCounter('vigil.escalations.exhausted', { description: 'escalations that ran out of steps without an acknowledgement, by severity and exercise' });
  }
}
