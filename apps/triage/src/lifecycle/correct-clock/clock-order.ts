import { clockValue, type ClockProperty, type Incident } from '../../persistence/incident.entity';

/** Pairs that must stay in order (earlier, later) whatever is corrected. */
const ORDER: Array<[ClockProperty, ClockProperty]> = [
  ['occurredAt', 'detectedAt'],
  ['occurredAt', 'acknowledgedAt'],
  ['occurredAt', 'containedAt'],
  ['containedAt', 'eradicatedAt'],
  ['eradicatedAt', 'recoveredAt'],
  ['recoveredAt', 'closedAt'],
  ['containedAt', 'closedAt'],
];

export function clockOrderViolation(incident: Incident): string | undefined {
  for (const [earlier, later] of ORDER) {
    const a = clockValue(incident, earlier);
    const b = clockValue(incident, later);
    if (a && b && a > b) return `${earlier} (${a.toISOString()}) would be after ${later} (${b.toISOString()})`;
  }
  return undefined;
}
