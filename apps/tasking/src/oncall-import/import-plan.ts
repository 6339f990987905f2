import type { CoverageWindow, DaylightSaving, EscalationTarget, Weekday } from '@vigil/contracts';
import { DateTime } from 'luxon';

/**
 * What an import from another product comes to before it touches the database: people by their
 * id over there, schedules and policies that name them (and each other) by those ids, and
 * everything that could not be carried over exactly. Mapping is pure; applying it is separate.
 */
export interface ImportPlan {
  source: 'pagerduty' | 'grafana-oncall';
  people: Array<{ externalId: string; name: string; email: string | null; timeZone: string | null }>;
  schedules: PlannedSchedule[];
  policies: PlannedPolicy[];
  warnings: string[];
}

export interface PlannedLayer {
  name: string;
  precedence: number;
  rotation: {
    start: string;
    timeZone: string;
    handoff: string;
    /** Turns by external person id. */
    participants: string[][];
    dst: DaylightSaving;
    coverage?: CoverageWindow[];
  };
  from?: string;
  until?: string;
}

export interface PlannedSchedule {
  externalId: string;
  name: string;
  description: string | null;
  timeZone: string;
  layers: PlannedLayer[];
  overrides: Array<{ externalPersonId: string; start: string; end: string }>;
}

export type PlannedTarget = { type: 'person'; externalId: string } | { type: 'schedule'; externalId: string } | Extract<EscalationTarget, { type: 'role' }>;

export interface PlannedPolicy {
  externalId: string;
  name: string;
  description: string | null;
  steps: Array<{ targets: PlannedTarget[]; waitMinutes: number }>;
  repeat: { times: number; fromStep: number };
}

export const WEEKDAY_OF_ISO: Record<number, Weekday> = { 1: 'MO', 2: 'TU', 3: 'WE', 4: 'TH', 5: 'FR', 6: 'SA', 7: 'SU' };

/** A local date-time (YYYY-MM-DDTHH:MM:SS) in `zone` for a timestamp that may carry an offset (then converted) or not (then already local). */
export function localIn(value: string, zone: string): string {
  const hasOffset = /(Z|[+-]\d{2}:?\d{2})$/.test(value);
  const dt = hasOffset ? DateTime.fromISO(value, { setZone: true }).setZone(zone) : DateTime.fromISO(value, { zone });
  if (!dt.isValid) throw new Error(`not a date-time: ${value}`);
  return dt.toFormat("yyyy-LL-dd'T'HH:mm:ss");
}

/** The instant of a timestamp that may carry an offset, or is local to `zone`. */
export function instantIn(value: string, zone: string): string {
  const hasOffset = /(Z|[+-]\d{2}:?\d{2})$/.test(value);
  const dt = hasOffset ? DateTime.fromISO(value, { setZone: true }) : DateTime.fromISO(value, { zone });
  if (!dt.isValid) throw new Error(`not a date-time: ${value}`);
  return dt.toUTC().toISO()!;
}

export function validZone(zone: string | null | undefined): string | null {
  if (!zone) return null;
  return DateTime.local().setZone(zone).isValid ? zone : null;
}

/** HH:MM[:SS] from a time of day as the products write it ("08:00:00", "12:31:23Z"). */
export function timeOfDay(value: string): string {
  const m = /^(\d{2}):(\d{2})(?::(\d{2}))?/.exec(value);
  if (!m) throw new Error(`not a time of day: ${value}`);
  return m[3] && m[3] !== '00' ? `${m[1]}:${m[2]}:${m[3]}` : `${m[1]}:${m[2]}`;
}
