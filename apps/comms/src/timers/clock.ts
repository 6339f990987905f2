/** The time comms reads: injected, so that time-driven rules are tested without waiting. */
export interface Clock {
  now(): Date;
}

export const CLOCK = Symbol('vigil.comms.clock');

export const systemClock: Clock = { now: () => new Date() };
