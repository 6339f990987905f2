import { AlertSeverity, IncidentSeverity } from '@vigil/contracts';
import { mostSevere, severityFromAlert } from './severity';

const sevNumber = (s: IncidentSeverity) => Number(s.slice(3));

describe(severityFromAlert.name, () => {
  it.each<[AlertSeverity, IncidentSeverity]>([
    ['critical', 'SEV1'],
    ['high', 'SEV2'],
    ['medium', 'SEV3'],
    ['low', 'SEV4'],
    ['info', 'SEV4'],
  ])('maps a %s alert to %s', (alert, incident) => {
    expect(severityFromAlert(alert)).toBe(incident);
  });

  it('never makes a more severe alert a less severe incident', () => {
    // AlertSeverity lists its values from most to least severe.
    const mapped = AlertSeverity.options.map((s) => sevNumber(severityFromAlert(s)));
    expect(mapped).toEqual([...mapped].sort((a, b) => a - b));
  });
});

describe(mostSevere.name, () => {
  const pairs = IncidentSeverity.options.flatMap((a) => IncidentSeverity.options.map((b) => [a, b] as const));

  it.each(pairs)('picks the lower SEV number of %s and %s, in either order', (a, b) => {
    const expected = sevNumber(a) <= sevNumber(b) ? a : b;
    expect(mostSevere(a, b)).toBe(expected);
    expect(mostSevere(b, a)).toBe(expected);
  });

  it('is associative, so folding over many alerts does not depend on their order', () => {
    for (const [a, b] of pairs) {
      for (const c of IncidentSeverity.options) expect(mostSevere(mostSevere(a, b), c)).toBe(mostSevere(a, mostSevere(b, c)));
    }
  });
});
