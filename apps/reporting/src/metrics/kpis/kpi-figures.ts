import type { IncidentSeverity, KpiBucket } from '@vigil/contracts';

/**
 * Acknowledgement targets by severity: the same as the Grafana "SLA breaches" panel and the
 * VigilSev1NotAcknowledged alert rule (deploy/), so the API and the dashboard agree.
 */
export const ACK_TARGET_SECONDS: Record<IncidentSeverity, number> = { SEV1: 900, SEV2: 1800, SEV3: 7200, SEV4: 28800 };

/** The default window: the 30 days up to now. */
export const DEFAULT_WINDOW_DAYS = 30;

export function ratio(part: number, whole: number): number | null {
  return whole > 0 ? part / whole : null;
}

/** The start of the bucket an instant falls in, in UTC (weeks start on Monday, as ISO 8601 has it). */
export function bucketStart(at: Date, bucket: KpiBucket): Date {
  const d = new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), at.getUTCDate()));
  if (bucket === 'week') d.setUTCDate(d.getUTCDate() - ((d.getUTCDay() + 6) % 7));
  if (bucket === 'month') d.setUTCDate(1);
  return d;
}

export function nextBucket(start: Date, bucket: KpiBucket): Date {
  const d = new Date(start);
  if (bucket === 'day') d.setUTCDate(d.getUTCDate() + 1);
  if (bucket === 'week') d.setUTCDate(d.getUTCDate() + 7);
  if (bucket === 'month') d.setUTCMonth(d.getUTCMonth() + 1);
  return d;
}

/** Every bucket that overlaps [from, to), so that quiet periods show as zeros, not as gaps. */
export function bucketsOf(from: Date, to: Date, bucket: KpiBucket, limit = 1000): Date[] {
  const out: Date[] = [];
  for (let b = bucketStart(from, bucket); b < to && out.length < limit; b = nextBucket(b, bucket)) out.push(b);
  return out;
}

/** The bucket that keeps a series readable: days up to two months, weeks up to a year, months beyond. */
export function defaultBucket(from: Date, to: Date): KpiBucket {
  const days = (to.getTime() - from.getTime()) / 86_400_000;
  return days <= 62 ? 'day' : days <= 366 ? 'week' : 'month';
}
