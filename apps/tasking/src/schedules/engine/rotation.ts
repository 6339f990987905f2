import type { CoverageWindow, Rotation } from '@vigil/contracts';
import { RRule } from 'rrule';
import { floatingMillis, localToInstant, parseLocalDateTime, partsAt, partsOfFloating, weekdayOfFloating } from './local-time';

/** A span of time, [start, end) in epoch milliseconds. */
export interface Span {
  start: number;
  end: number;
}

/** One turn of a rotation: who holds it and when. */
export interface Turn extends Span {
  index: number;
  people: string[];
}

const DAY = 86_400_000;

/**
 * Why a rotation rule is refused, or null. COUNT and UNTIL would end a rotation inside the rule,
 * which the layer's `until` says more plainly; `elapsed` rotations count in hours, so a rule that
 * picks days or times of day (read in UTC there) is refused rather than silently misread.
 */
export function rotationProblem(rotation: Pick<Rotation, 'handoff' | 'dst'>): string | null {
  let options: ReturnType<typeof RRule.parseString>;
  try {
    options = RRule.parseString(rotation.handoff);
  } catch (error) {
    return `not a recurrence rule: ${(error as Error).message}`;
  }
  if (options.count != null || options.until != null) return 'leave COUNT and UNTIL out: end a layer with its until';
  if (options.interval != null && (options.interval < 1 || options.interval > 1000)) return 'INTERVAL must be between 1 and 1000';
  if (rotation.dst === 'elapsed') {
    const parts = rotation.handoff.split(';').map((p) => p.split('=')[0]);
    const extra = parts.filter((p) => !['FREQ', 'INTERVAL', 'WKST'].includes(p));
    if (extra.length) return `an elapsed rotation hands off every INTERVAL hours, days or weeks; ${extra.join(', ')} is for wall_clock rotations`;
    if (options.freq === RRule.MONTHLY || options.freq === RRule.YEARLY) return 'an elapsed rotation is hourly, daily or weekly (months and years have no fixed length)';
  }
  return null;
}

/** The turns of a rotation, with their instants; the anchor is `start`, so the same rotation always yields the same turns. */
export class RotationPlan {
  private readonly rule: RRule;
  private readonly turns: string[][];
  private readonly wallClock: boolean;
  /** First hand-off, as an instant. */
  readonly anchor: number;

  constructor(private readonly rotation: Rotation) {
    const problem = rotationProblem(rotation);
    if (problem) throw new Error(problem);
    const start = parseLocalDateTime(rotation.start);
    this.wallClock = rotation.dst !== 'elapsed';
    this.anchor = localToInstant(start, rotation.timeZone);
    // wall_clock: the rule runs on floating wall-clock time, each occurrence is then placed in the
    // zone, so a 09:00 hand-off stays 09:00 across DST. elapsed: it runs on real instants (UTC).
    const dtstart = new Date(this.wallClock ? floatingMillis(start) : this.anchor);
    this.rule = new RRule({ ...RRule.parseString(rotation.handoff), dtstart });
    this.turns = rotation.participants.map((t) => (Array.isArray(t) ? t : [t]));
  }

  private toInstant(occurrence: Date): number {
    return this.wallClock ? localToInstant(partsOfFloating(occurrence.getTime()), this.rotation.timeZone) : occurrence.getTime();
  }

  /** The turns that overlap [from, to); the last one may run on (end = Infinity). */
  turnsBetween(from: number, to: number): Turn[] {
    const out: Turn[] = [];
    let previous: { instant: number; index: number } | null = null;
    let index = 0;
    // Occurrences are walked from the anchor, since a turn's index is their count; hand-offs are
    // at most hourly, so this stays small for any realistic anchor.
    this.rule.all((date) => {
      const instant = this.toInstant(date);
      if (previous && instant > previous.instant && instant > from) out.push(this.turn(previous.index, previous.instant, instant));
      // Two wall-clock hand-offs that name one instant (around a DST change) make a turn of no length.
      if (!previous || instant > previous.instant) previous = { instant, index };
      index++;
      return instant < to;
    });
    const last = previous as { instant: number; index: number } | null;
    if (last && last.instant < to) out.push(this.turn(last.index, last.instant, Number.POSITIVE_INFINITY));
    return out;
  }

  private turn(index: number, start: number, end: number): Turn {
    return { index, start, end, people: this.turns[index % this.turns.length] };
  }
}

/** The instants a layer's coverage windows cover within [from, to), in the rotation's zone and DST policy. */
export function coverageSpans(windows: CoverageWindow[], rotation: Pick<Rotation, 'timeZone' | 'dst'>, from: number, to: number): Span[] {
  const spans: Span[] = [];
  const zone = rotation.timeZone;
  const longest = Math.max(...windows.map((w) => w.durationMinutes)) * 60_000;
  const first = partsAt(from - longest - DAY, zone);
  let day = Date.UTC(first.year, first.month - 1, first.day);
  const lastParts = partsAt(to + DAY, zone);
  const last = Date.UTC(lastParts.year, lastParts.month - 1, lastParts.day);
  for (; day <= last; day += DAY) {
    const weekday = weekdayOfFloating(day);
    for (const w of windows) {
      if (w.day && w.day !== weekday) continue;
      const [h, m, s] = w.start.split(':').map(Number);
      const localStart = day + ((h * 60 + m) * 60 + (s ?? 0)) * 1000;
      const start = localToInstant(partsOfFloating(localStart), zone);
      // wall_clock: "09:00 for 8 hours" ends at 17:00 local even on a DST day; elapsed: 8 real hours.
      const end = rotation.dst === 'elapsed' ? start + w.durationMinutes * 60_000 : localToInstant(partsOfFloating(localStart + w.durationMinutes * 60_000), zone);
      if (end > from && start < to && end > start) spans.push({ start: Math.max(start, from), end: Math.min(end, to) });
    }
  }
  return mergeSpans(spans);
}

export function mergeSpans(spans: Span[]): Span[] {
  const sorted = [...spans].sort((a, b) => a.start - b.start);
  const out: Span[] = [];
  for (const s of sorted) {
    const last = out[out.length - 1];
    if (last && s.start <= last.end) last.end = Math.max(last.end, s.end);
    else out.push({ ...s });
  }
  return out;
}

export function intersect(a: Span[], b: Span[]): Span[] {
  const out: Span[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const start = Math.max(a[i].start, b[j].start);
    const end = Math.min(a[i].end, b[j].end);
    if (start < end) out.push({ start, end });
    if (a[i].end < b[j].end) i++;
    else j++;
  }
  return out;
}
