/**
 * The exercise's sense of time: when injects fall due and expected actions are judged. Injectable,
 * so that a test moves through T+5 and T+60 without waiting an hour.
 */
export interface ExerciseClock {
  now(): Date;
}

export const EXERCISE_CLOCK = Symbol('vigil.exercise-clock');

export const systemClock: ExerciseClock = { now: () => new Date() };

/** A clock a test sets by hand. */
export class ManualClock implements ExerciseClock {
  constructor(private current: Date) {}
  now(): Date {
    return new Date(this.current);
  }
  set(at: Date): void {
    this.current = new Date(at);
  }
  advance(minutes: number): void {
    this.current = new Date(this.current.getTime() + minutes * 60_000);
  }
}
