/** Where escalations read the time: the system clock in service, a hand-moved one in tests. */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

export const CLOCK = Symbol('vigil.tasking.clock');
