import { Incident, type ClockProperty } from '../../persistence/incident.entity';
import { clockOrderViolation } from './clock-order';

type Clock = Partial<Record<ClockProperty, Date | null>>;

const T0 = Date.parse('2026-11-24T06:00:00.000Z');
const at = (minutes: number) => new Date(T0 + minutes * 60_000);

/** A fresh incident: it occurred, was detected and declared, and nothing else yet. */
function incident(clock: Clock = {}): Incident {
  return Object.assign(new Incident(), {
    occurredAt: at(0),
    detectedAt: at(10),
    declaredAt: at(11),
    acknowledgedAt: null,
    containedAt: null,
    eradicatedAt: null,
    recoveredAt: null,
    closedAt: null,
    ...clock,
  });
}

/** Every timestamp set, each after the one before. */
const FULL_CLOCK: Clock = {
  occurredAt: at(0),
  detectedAt: at(10),
  declaredAt: at(11),
  acknowledgedAt: at(15),
  containedAt: at(60),
  eradicatedAt: at(120),
  recoveredAt: at(180),
  closedAt: at(240),
};

/** The pairs that must stay in order, written out so that a dropped one fails. */
const ORDERED_PAIRS: Array<[ClockProperty, ClockProperty]> = [
  ['occurredAt', 'detectedAt'],
  ['occurredAt', 'containedAt'],
  ['occurredAt', 'eradicatedAt'],
  ['occurredAt', 'recoveredAt'],
  ['occurredAt', 'closedAt'],
  ['detectedAt', 'containedAt'],
  ['detectedAt', 'eradicatedAt'],
  ['detectedAt', 'recoveredAt'],
  ['detectedAt', 'closedAt'],
  ['containedAt', 'eradicatedAt'],
  ['containedAt', 'recoveredAt'],
  ['containedAt', 'closedAt'],
  ['eradicatedAt', 'recoveredAt'],
  ['eradicatedAt', 'closedAt'],
  ['recoveredAt', 'closedAt'],
  ['occurredAt', 'acknowledgedAt'],
];

describe(clockOrderViolation.name, () => {
  it('finds nothing wrong with a fresh incident', () => {
    expect(clockOrderViolation(incident())).toBeUndefined();
  });

  it('finds nothing wrong with a full clock in order', () => {
    expect(clockOrderViolation(incident(FULL_CLOCK))).toBeUndefined();
  });

  it('lets two timestamps be the same instant', () => {
    const now = at(30);
    const clock = Object.fromEntries(Object.keys(FULL_CLOCK).map((field) => [field, now]));
    expect(clockOrderViolation(incident(clock))).toBeUndefined();
  });

  it.each(ORDERED_PAIRS)('refuses %s after %s, naming both and their times', (earlier, later) => {
    // Only the pair itself is set (the required three aside), so this pair alone can be out of order.
    const pairOnly: Clock = earlier === 'occurredAt' ? { occurredAt: at(0), detectedAt: at(0), [later]: at(-5) } : { [earlier]: at(200), [later]: at(100) };
    const a = pairOnly[earlier]!;
    const b = pairOnly[later]!;
    expect(clockOrderViolation(incident(pairOnly))).toBe(`${earlier} (${a.toISOString()}) would be after ${later} (${b.toISOString()})`);
  });

  it.each(ORDERED_PAIRS)('refuses %s after %s on an otherwise full clock', (earlier, later) => {
    const clock = { ...FULL_CLOCK, [later]: new Date(FULL_CLOCK[earlier]!.getTime() - 1) };
    expect(clockOrderViolation(incident(clock))).toMatch(new RegExp(`^\\w+ \\(.+\\) would be after ${later} \\(`));
  });

  it('refuses a timestamp a millisecond before the one it must follow', () => {
    expect(clockOrderViolation(incident({ containedAt: at(60), eradicatedAt: new Date(at(60).getTime() - 1) }))).toMatch(/^containedAt/);
  });

  it.each<ClockProperty>(['acknowledgedAt', 'containedAt', 'eradicatedAt', 'recoveredAt', 'closedAt'])('skips the pairs of an unset %s and still checks the others', (field) => {
    expect(clockOrderViolation(incident({ ...FULL_CLOCK, [field]: null }))).toBeUndefined();
    expect(clockOrderViolation(incident({ ...FULL_CLOCK, [field]: null, occurredAt: at(11) }))).toBe(
      `occurredAt (${at(11).toISOString()}) would be after detectedAt (${at(10).toISOString()})`,
    );
  });

  it('keeps detection before containment, eradication, recovery and closure, so no MTTx is negative', () => {
    expect(clockOrderViolation(incident({ ...FULL_CLOCK, detectedAt: at(61), declaredAt: at(61) }))).toBe(
      `detectedAt (${at(61).toISOString()}) would be after containedAt (${at(60).toISOString()})`,
    );
    // Contained without eradication: recovery is still checked against containment.
    expect(clockOrderViolation(incident({ ...FULL_CLOCK, eradicatedAt: null, recoveredAt: at(59) }))).toMatch(/^containedAt .* would be after recoveredAt/);
  });

  it('lets an acknowledgement be backdated before detection (a report acknowledged before its alert arrived)', () => {
    expect(clockOrderViolation(incident({ ...FULL_CLOCK, acknowledgedAt: at(5) }))).toBeUndefined();
  });

  it('reports the first broken pair in the order of the table when several are', () => {
    const clock = { ...FULL_CLOCK, occurredAt: at(300) };
    expect(clockOrderViolation(incident(clock))).toMatch(/^occurredAt \(.+\) would be after detectedAt /);
  });
});
