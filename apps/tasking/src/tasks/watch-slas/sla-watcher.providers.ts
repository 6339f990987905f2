import { Injectable, type BeforeApplicationShutdown, type OnApplicationBootstrap, type Provider } from '@nestjs/common';
import { CONFIG, LOGGER } from '@vigil/platform';
import type { Logger } from 'pino';
import { DataSource } from 'typeorm';
import type { TaskingConfig } from '../../config';
import { CLOCK, type Clock } from '../../escalation/clock';
import { SlaMetrics, SlaWatcher } from './sla-watcher';

/** Starts the SLA watcher with the application and lets it finish its round before the database closes. */
@Injectable()
export class SlaWatcherHost implements OnApplicationBootstrap, BeforeApplicationShutdown {
  constructor(readonly watcher: SlaWatcher) {}
  onApplicationBootstrap() {
    this.watcher.start();
  }
  async beforeApplicationShutdown() {
    await this.watcher.stop();
  }
}

/** The SLA watcher reads the same injectable clock as the escalation runner. */
export const slaWatcherProviders: Provider[] = [
  {
    provide: SlaWatcher,
    inject: [DataSource, CLOCK, CONFIG, LOGGER],
    useFactory: (dataSource: DataSource, clock: Clock, config: TaskingConfig, logger: Logger) =>
      new SlaWatcher(dataSource, clock, config.TASK_SLA_POLL_MS, logger.child({ component: 'sla-watcher' }), new SlaMetrics()),
  },
  { provide: SlaWatcherHost, inject: [SlaWatcher], useFactory: (watcher: SlaWatcher) => new SlaWatcherHost(watcher) },
];
