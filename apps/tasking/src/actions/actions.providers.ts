import type { Provider } from '@nestjs/common';
import { LOGGER } from '@vigil/platform';
import type { Logger } from 'pino';
import { DataSource } from 'typeorm';
import { CLOCK, type Clock } from '../escalation/clock';
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
];
