import type { ScheduleDefinition } from '@vigil/contracts';
import { coverageSpans, intersect, RotationPlan, type Span } from './rotation';

/**
 * Who is on call, from a schedule's revisions and overrides. Pure: the same input always gives the
 * same answer, for any instant, past or future.
 *
 * - A revision is in force from its `effectiveFrom` until a later one takes over, so changing a
 *   schedule never rewrites who was on call before the change.
 * - Within a revision, each layer's rotation yields turns counted from the rotation's own start
 *   (its anchor); where several layers have someone on call, the highest precedence wins.
 * - An override (someone covers a window) beats every layer; of two overlapping overrides the one
 *   made later wins.
 */

export interface RevisionInput {
  revision: number;
  effectiveFrom: number;
  definition: ScheduleDefinition;
}

export interface OverrideInput {
  overrideId: string;
  personId: string;
  start: number;
  /** When it ends, or when it was cancelled if that came first. */
  end: number;
  createdAt: number;
}

export type Source = { kind: 'layer'; layer: string; precedence: number; revision: number } | { kind: 'override'; overrideId: string; createdAt: number };

export interface Segment extends Span {
  people: string[];
  source: Source;
}

export interface Shift extends Span {
  people: string[];
  source: Source;
}

export interface Coverage {
  gaps: Span[];
  overlaps: Array<Span & { sources: Array<{ source: Source; people: string[] }> }>;
  coveredPercent: number;
}

export interface Change extends Span {
  before: string[];
  after: string[];
}

const DAY = 86_400_000;
/** How far around an instant onCallAt looks to report the shift it falls in. */
const SHIFT_HORIZON = 35 * DAY;

export class ScheduleEngine {
  private readonly revisions: RevisionInput[];
  private readonly plans = new Map<object, RotationPlan>();

  constructor(
    revisions: RevisionInput[],
    private readonly overrides: OverrideInput[] = [],
    private readonly isActive: (personId: string) => boolean = () => true,
  ) {
    this.revisions = [...revisions].sort((a, b) => a.effectiveFrom - b.effectiveFrom || a.revision - b.revision);
  }

  /** The revision in force at an instant (the latest to take effect by then), if any. */
  revisionAt(at: number): RevisionInput | undefined {
    let found: RevisionInput | undefined;
    for (const r of this.revisions) if (r.effectiveFrom <= at) found = r;
    return found;
  }

  /** Periods in which each revision is in force, overlapping [from, to). */
  private periods(from: number, to: number): Array<Span & { revision: RevisionInput }> {
    const out: Array<Span & { revision: RevisionInput }> = [];
    // Revisions sharing an effectiveFrom: only the last counts (the order above puts it last).
    const effective = this.revisions.filter((r, i, all) => i === all.length - 1 || all[i + 1].effectiveFrom !== r.effectiveFrom);
    effective.forEach((r, i) => {
      const start = Math.max(r.effectiveFrom, from);
      const end = Math.min(i + 1 < effective.length ? effective[i + 1].effectiveFrom : Number.POSITIVE_INFINITY, to);
      if (start < end) out.push({ start, end, revision: r });
    });
    return out;
  }

  private plan(rotation: ScheduleDefinition['layers'][number]['rotation']): RotationPlan {
    let plan = this.plans.get(rotation);
    if (!plan) {
      plan = new RotationPlan(rotation);
      this.plans.set(rotation, plan);
    }
    return plan;
  }

  /** Everything that puts someone on call within [from, to), before precedence is applied. */
  segments(from: number, to: number): Segment[] {
    const out: Segment[] = [];
    for (const period of this.periods(from, to)) {
      for (const layer of period.revision.definition.layers) {
        const lo = Math.max(period.start, layer.from ? Date.parse(layer.from) : Number.NEGATIVE_INFINITY);
        const hi = Math.min(period.end, layer.until ? Date.parse(layer.until) : Number.POSITIVE_INFINITY);
        if (lo >= hi) continue;
        const source: Source = { kind: 'layer', layer: layer.name, precedence: layer.precedence, revision: period.revision.revision };
        const windows = layer.rotation.coverage?.length ? coverageSpans(layer.rotation.coverage, layer.rotation, lo, hi) : null;
        for (const turn of this.plan(layer.rotation).turnsBetween(lo, hi)) {
          const people = turn.people.filter(this.isActive);
          if (people.length === 0) continue;
          const span = { start: Math.max(turn.start, lo), end: Math.min(turn.end, hi) };
          for (const s of windows ? intersect([span], windows) : [span]) out.push({ ...s, people, source });
        }
      }
    }
    for (const o of this.overrides) {
      const start = Math.max(o.start, from);
      const end = Math.min(o.end, to);
      if (start < end && this.isActive(o.personId)) out.push({ start, end, people: [o.personId], source: { kind: 'override', overrideId: o.overrideId, createdAt: o.createdAt } });
    }
    return out;
  }

  /** [from, to) cut where anything starts or ends, each piece with the segments covering it. */
  private pieces(from: number, to: number): Array<Span & { active: Segment[] }> {
    const segments = this.segments(from, to);
    const bounds = [...new Set([from, to, ...segments.flatMap((s) => [s.start, s.end])])].filter((b) => b >= from && b <= to).sort((a, b) => a - b);
    const byStart = [...segments].sort((a, b) => a.start - b.start);
    const out: Array<Span & { active: Segment[] }> = [];
    let active: Segment[] = [];
    let next = 0;
    for (let i = 0; i + 1 < bounds.length; i++) {
      const [start, end] = [bounds[i], bounds[i + 1]];
      active = active.filter((s) => s.end > start);
      while (next < byStart.length && byStart[next].start <= start) {
        if (byStart[next].end > start) active.push(byStart[next]);
        next++;
      }
      out.push({ start, end, active: [...active] });
    }
    return out;
  }

  /** Who is on call within [from, to), as consecutive shifts (windows with nobody are left out). */
  shifts(from: number, to: number): Shift[] {
    const out: Shift[] = [];
    for (const piece of this.pieces(from, to)) {
      const winner = pick(piece.active);
      if (!winner) continue;
      const last = out[out.length - 1];
      if (last && last.end === piece.start && sameSource(last.source, winner.source) && sameSet(last.people, winner.people)) last.end = piece.end;
      else out.push({ start: piece.start, end: piece.end, people: winner.people, source: winner.source });
    }
    return out;
  }

  /** Who is on call at an instant, with the revision in force and the shift it falls in. */
  onCallAt(at: number): { revision: number | null; people: string[]; shift: Shift | null } {
    const shift = this.shifts(at - SHIFT_HORIZON, at + SHIFT_HORIZON).find((s) => s.start <= at && at < s.end) ?? null;
    return { revision: this.revisionAt(at)?.revision ?? null, people: shift?.people ?? [], shift };
  }

  /** Gaps (nobody on call) and overlaps (more than one layer or override has someone) within [from, to). */
  coverage(from: number, to: number): Coverage {
    const gaps: Span[] = [];
    const overlaps: Coverage['overlaps'] = [];
    let covered = 0;
    for (const piece of this.pieces(from, to)) {
      if (piece.active.length === 0) {
        const last = gaps[gaps.length - 1];
        if (last && last.end === piece.start) last.end = piece.end;
        else gaps.push({ start: piece.start, end: piece.end });
        continue;
      }
      covered += piece.end - piece.start;
      if (piece.active.length > 1) {
        const sources = piece.active.map((s) => ({ source: s.source, people: s.people }));
        const last = overlaps[overlaps.length - 1];
        const same = last && last.end === piece.start && last.sources.length === sources.length && last.sources.every((s, i) => sameSource(s.source, sources[i].source) && sameSet(s.people, sources[i].people));
        if (same) last.end = piece.end;
        else overlaps.push({ start: piece.start, end: piece.end, sources });
      }
    }
    return { gaps, overlaps, coveredPercent: to > from ? Math.round((covered / (to - from)) * 10_000) / 100 : 100 };
  }
}

/** An override beats every layer (the one made last wins); otherwise the highest precedence. */
function pick(active: Segment[]): Segment | undefined {
  let best: Segment | undefined;
  for (const s of active) {
    if (!best) best = s;
    else if (s.source.kind === 'override' && best.source.kind !== 'override') best = s;
    else if (s.source.kind === 'override' && best.source.kind === 'override' && s.source.createdAt > best.source.createdAt) best = s;
    else if (s.source.kind === 'layer' && best.source.kind === 'layer' && s.source.precedence > best.source.precedence) best = s;
  }
  return best;
}

function sameSource(a: Source, b: Source): boolean {
  if (a.kind === 'override' || b.kind === 'override') return a.kind === b.kind && (a as { overrideId: string }).overrideId === (b as { overrideId: string }).overrideId;
  return a.layer === b.layer && a.precedence === b.precedence;
}

function sameSet(a: string[], b: string[]): boolean {
  return a.length === b.length && [...a].sort().join() === [...b].sort().join();
}

/** The windows within [from, to) in which who is on call differs between two plans. */
export function diffShifts(before: Shift[], after: Shift[], from: number, to: number): Change[] {
  const bounds = [...new Set([from, to, ...before.flatMap((s) => [s.start, s.end]), ...after.flatMap((s) => [s.start, s.end])])].filter((b) => b >= from && b <= to).sort((a, b) => a - b);
  const at = (shifts: Shift[], t: number) => shifts.find((s) => s.start <= t && t < s.end)?.people ?? [];
  const out: Change[] = [];
  for (let i = 0; i + 1 < bounds.length; i++) {
    const [start, end] = [bounds[i], bounds[i + 1]];
    const b = at(before, start);
    const a = at(after, start);
    if (sameSet(a, b)) continue;
    const last = out[out.length - 1];
    if (last && last.end === start && sameSet(last.before, b) && sameSet(last.after, a)) last.end = end;
    else out.push({ start, end, before: b, after: a });
  }
  return out;
}
