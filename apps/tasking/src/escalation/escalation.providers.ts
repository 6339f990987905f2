import { Injectable, type BeforeApplicationShutdown, type OnApplicationBootstrap, type Provider } from '@nestjs/common';
import { CONFIG, LOGGER } from '@vigil/platform';
import type { Logger } from 'pino';
import { DataSource } from 'typeorm';
import type { TaskingConfig } from '../config';
import { CLOCK, systemClock, type Clock } from './clock';
import { EscalationEventsHandler } from './escalation-events.handler';
import { EscalationMetrics } from './escalation-metrics';
import { EscalationRunner } from './run-escalations/escalation-runner';
import { TriggerRegistry } from './triggers/trigger-registry';

/** Starts the runner with the application and lets it finish its round before the database closes. */
@Injectable()
export class EscalationRunnerHost implements OnApplicationBootstrap, BeforeApplicationShutdown {
  constructor(readonly runner: EscalationRunner) {}
  onApplicationBootstrap() {
    this.runner.start();
  }
  async beforeApplicationShutdown() {
    await this.runner.stop();
  }
}

/** The escalation runner, its consumer handler and the triggers (whose topics the consumer must read). */
export const escalationProviders = (triggers: TriggerRegistry): Provider[] => [
  { provide: CLOCK, useValue: systemClock },
  { provide: EscalationMetrics, useFactory: () => new EscalationMetrics() },
  { provide: TriggerRegistry, useValue: triggers },
  {
    provide: EscalationRunner,
    inject: [DataSource, CLOCK, CONFIG, LOGGER, EscalationMetrics],
    useFactory: (dataSource: DataSource, clock: Clock, config: TaskingConfig, logger: Logger, metrics: EscalationMetrics) =>
      new EscalationRunner(
        dataSource,
        clock,
        { pollMs: config.ONCALL_POLL_MS, triageUrl: config.ONCALL_TRIAGE_URL.replace(/\/$/, ''), taskingUrl: (config.PUBLIC_BASE_URL ?? `http://localhost:${config.PORT}`).replace(/\/$/, '') },
        logger.child({ component: 'escalation-runner' }),
        metrics,
      ),
  },
  { provide: EscalationRunnerHost, inject: [EscalationRunner], useFactory: (runner: EscalationRunner) => new EscalationRunnerHost(runner) },
  {
    provide: EscalationEventsHandler,
    inject: [TriggerRegistry, CLOCK, LOGGER, EscalationMetrics, EscalationRunner],
    useFactory: (triggers: TriggerRegistry, clock: Clock, logger: Logger, metrics: EscalationMetrics, runner: EscalationRunner) =>
      new EscalationEventsHandler(triggers, clock, logger.child({ component: 'escalation' }), metrics, () => runner.wake()),
  },
];
