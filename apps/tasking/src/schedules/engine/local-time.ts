import { IANAZone } from 'luxon';

/** A wall-clock date and time, with no zone (what a rotation's `start` and a coverage window say). */
export interface LocalParts {
  year: number;
  month: number; // 1-12
  day: number;
  hour: number;
  minute: number;
  second: number;
}

/** The local parts as if they were UTC: lets calendar arithmetic run on wall-clock time ("floating" time). */
export function floatingMillis(p: LocalParts): number {
  return Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second);
}

export function partsOfFloating(ms: number): LocalParts {
  const d = new Date(ms);
  return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate(), hour: d.getUTCHours(), minute: d.getUTCMinutes(), second: d.getUTCSeconds() };
}

export function parseLocalDateTime(value: string): LocalParts {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?$/.exec(value);
  if (!m) throw new Error(`not a local date-time: ${value}`);
  return { year: +m[1], month: +m[2], day: +m[3], hour: +m[4], minute: +m[5], second: m[6] ? +m[6] : 0 };
}

const zones = new Map<string, IANAZone>();
function zoneOf(name: string): IANAZone {
  let zone = zones.get(name);
  if (!zone) {
    zone = IANAZone.create(name);
    if (!zone.isValid) throw new Error(`unknown time zone ${name}`);
    zones.set(name, zone);
  }
  return zone;
}

/** Offset of the zone from UTC at an instant, in minutes. */
export function offsetMinutes(zone: string, instant: number): number {
  return zoneOf(zone).offset(instant);
}

/**
 * The instant a wall-clock time names in a zone, as RFC 5545 (3.3.5) reads it: a time that occurs
 * twice (clocks going back) is its first occurrence; a time that does not occur (clocks going
 * forward) is read with the offset before the gap, so 02:30 on a spring-forward night is 03:30.
 */
export function localToInstant(parts: LocalParts, zone: string): number {
  const naive = floatingMillis(parts);
  const before = offsetMinutes(zone, naive - 86_400_000);
  const after = offsetMinutes(zone, naive + 86_400_000);
  const valid = [...new Set([before, after, offsetMinutes(zone, naive)])]
    .map((offset) => naive - offset * 60_000)
    .filter((instant) => floatingMillis(partsAt(instant, zone)) === naive);
  if (valid.length > 0) return Math.min(...valid);
  return naive - before * 60_000;
}

/** The wall-clock parts of an instant in a zone. */
export function partsAt(instant: number, zone: string): LocalParts {
  return partsOfFloating(instant + offsetMinutes(zone, instant) * 60_000);
}

export const WEEKDAYS = ['MO', 'TU', 'WE', 'TH', 'FR', 'SA', 'SU'] as const;

/** ISO weekday code of a local date given as floating millis. */
export function weekdayOfFloating(ms: number): (typeof WEEKDAYS)[number] {
  return WEEKDAYS[(new Date(ms).getUTCDay() + 6) % 7];
}
