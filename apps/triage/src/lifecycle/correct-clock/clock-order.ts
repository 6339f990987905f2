import { clockValue, type ClockProperty, type Incident } from '../../persistence/incident.entity';

/**
 * The incident clock in the order its moments happen. Every set timestamp must not be after any
 * set timestamp later in the chain, skipping unset ones (an incident closed without eradication
 * still has containment before recovery). MTTD, MTTC and MTTR subtract along this chain, so a
 * correction that broke it would make them negative.
 */
const CHAIN: ClockProperty[] = ['occurredAt', 'detectedAt', 'containedAt', 'eradicatedAt', 'recoveredAt', 'closedAt'];

/**
 * Pairs that must stay in order (earlier, later) whatever is corrected: every pair along the chain,
 * and acknowledgement after occurrence. Acknowledgement is not tied to detection: a responder may
 * have acknowledged a report before its alert arrived, and backdating records that.
 */
const ORDER: Array<[ClockProperty, ClockProperty]> = [
  ...CHAIN.flatMap((earlier, i) => CHAIN.slice(i + 1).map((later): [ClockProperty, ClockProperty] => [earlier, later])),
  ['occurredAt', 'acknowledgedAt'],
];

export function clockOrderViolation(incident: Incident): string | undefined {
  for (const [earlier, later] of ORDER) {
    const a = clockValue(incident, earlier);
    const b = clockValue(incident, later);
    if (a && b && a > b) return `${earlier} (${a.toISOString()}) would be after ${later} (${b.toISOString()})`;
  }
  return undefined;
}
