export * from './tables';
export * from './errors';
export * from './kafka';
export * from './outbox';
export * from './consumer';
export * from './dead-letters';
export * from './poll-loop';
