import type { Provider } from '@nestjs/common';
import { CONFIG, LOGGER } from '@vigil/platform';
import type { Logger } from 'pino';
import { DataSource } from 'typeorm';
import type { TaskingConfig } from '../config';
import { CLOCK, type Clock } from '../escalation/clock';
import { ActionSweeper } from './action-sweeper';
import { ResponseActions, type ActionOutbound } from './response-actions';

/** What tests may replace in the outbound guard (resolver, transport); nothing in service. */
export const ACTION_OUTBOUND = Symbol('vigil.tasking.action-outbound');

export const actionProviders: Provider[] = [
  { provide: ACTION_OUTBOUND, useValue: {} satisfies ActionOutbound },
  {
    provide: ResponseActions,
    inject: [DataSource, CLOCK, LOGGER, ACTION_OUTBOUND],
    useFactory: (dataSource: DataSource, clock: Clock, logger: Logger, outbound: ActionOutbound) => new ResponseActions(dataSource, clock, logger.child({ component: 'response-actions' }), outbound),
  },
  {
    provide: ActionSweeper,
    inject: [ResponseActions, CONFIG, LOGGER],
    useFactory: (actions: ResponseActions, config: TaskingConfig, logger: Logger) =>
      new ActionSweeper(actions, config.ACTION_SWEEP_MS, config.ACTION_INTERRUPTED_AFTER_SECONDS, logger.child({ component: 'action-sweeper' })),
  },
];
