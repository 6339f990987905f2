import { Injectable, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { PollLoop } from '@vigil/messaging';
import type { Logger } from 'pino';
import type { ResponseActions } from './response-actions';

/**
 * Runs the response actions' sweep (`ResponseActions.sweep`) every `intervalMs` on the service's
 * clock: lapsed requests become expired without anyone touching them, and sends cut off by a stop
 * are settled as interrupted. Started with the application, finished before the database closes.
 */
@Injectable()
export class ActionSweeper implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly loop: PollLoop;

  constructor(actions: ResponseActions, intervalMs: number, interruptedAfterSeconds: number, logger: Logger) {
    this.loop = new PollLoop('response action sweeper', intervalMs, () => actions.sweep(interruptedAfterSeconds), logger);
  }

  onApplicationBootstrap() {
    this.loop.start();
  }

  async beforeApplicationShutdown() {
    await this.loop.stop();
  }
}
