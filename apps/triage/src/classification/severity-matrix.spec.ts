import {
  AlertSeverity,
  AssetCriticality,
  FunctionalImpact,
  IncidentCategory,
  IncidentSeverity,
  InformationImpact,
  Recoverability,
} from '@vigil/contracts';
import fc from 'fast-check';
import {
  DEFAULT_SEVERITY_MATRIX,
  SeverityMatrixOverride,
  functionalImpactFromAlert,
  impactLevel,
  isBelow,
  moreCritical,
  mostSevere,
  severityOf,
  withOverrides,
  worseFunctionalImpact,
  type ClassificationInput,
  type ImpactLevel,
} from './severity-matrix';

/** An incident of a category without a floor, hurting nothing, on an unregistered asset. */
function classification(overrides: Partial<ClassificationInput> = {}): ClassificationInput {
  return {
    category: 'other',
    functionalImpact: 'none',
    informationImpact: 'none',
    recoverability: 'regular',
    assetCriticality: null,
    ...overrides,
  };
}

/** The default matrix as docs/triage.md states it, written out so that a changed cell fails. */
const DEFAULT_TABLE: Array<[ImpactLevel, AssetCriticality | null, IncidentSeverity]> = [
  ['high', 'critical', 'SEV1'],
  ['high', 'high', 'SEV1'],
  ['high', 'medium', 'SEV1'],
  ['high', 'low', 'SEV2'],
  ['high', null, 'SEV1'],
  ['medium', 'critical', 'SEV1'],
  ['medium', 'high', 'SEV2'],
  ['medium', 'medium', 'SEV2'],
  ['medium', 'low', 'SEV3'],
  ['medium', null, 'SEV2'],
  ['low', 'critical', 'SEV2'],
  ['low', 'high', 'SEV2'],
  ['low', 'medium', 'SEV3'],
  ['low', 'low', 'SEV4'],
  ['low', null, 'SEV3'],
  ['none', 'critical', 'SEV3'],
  ['none', 'high', 'SEV3'],
  ['none', 'medium', 'SEV4'],
  ['none', 'low', 'SEV4'],
  ['none', null, 'SEV4'],
];

const FLOORED: IncidentCategory[] = ['ransomware', 'data_breach'];

describe(impactLevel.name, () => {
  it.each<[FunctionalImpact, ImpactLevel]>([
    ['none', 'none'],
    ['low', 'low'],
    ['medium', 'medium'],
    ['high', 'high'],
  ])('reads the functional impact %s alone as %s', (functionalImpact, expected) => {
    expect(impactLevel(classification({ functionalImpact }))).toBe(expected);
  });

  it.each<[InformationImpact, ImpactLevel]>([
    ['none', 'none'],
    ['privacy', 'medium'],
    ['proprietary', 'medium'],
    ['integrity', 'high'],
  ])('reads the information impact %s alone as %s', (informationImpact, expected) => {
    expect(impactLevel(classification({ informationImpact }))).toBe(expected);
  });

  it.each<[Recoverability, ImpactLevel]>([
    ['regular', 'none'],
    ['supplemented', 'low'],
    ['extended', 'medium'],
    ['not_recoverable', 'high'],
  ])('reads the recoverability %s alone as %s', (recoverability, expected) => {
    expect(impactLevel(classification({ recoverability }))).toBe(expected);
  });

  it.each<[FunctionalImpact, InformationImpact, Recoverability, ImpactLevel]>([
    ['low', 'integrity', 'supplemented', 'high'],
    ['high', 'none', 'regular', 'high'],
    ['low', 'privacy', 'regular', 'medium'],
    ['none', 'none', 'extended', 'medium'],
    ['low', 'none', 'supplemented', 'low'],
    ['medium', 'proprietary', 'not_recoverable', 'high'],
  ])('takes the worst of functional %s, information %s and recoverability %s: %s', (functionalImpact, informationImpact, recoverability, expected) => {
    expect(impactLevel({ functionalImpact, informationImpact, recoverability })).toBe(expected);
  });
});

describe(severityOf.name, () => {
  it.each(DEFAULT_TABLE)('rates %s impact on a %s-criticality asset as %s by default', (impact, assetCriticality, expected) => {
    // The impact names match the functional impact names, so the functional impact alone sets the level.
    expect(severityOf(classification({ functionalImpact: impact, assetCriticality }), DEFAULT_SEVERITY_MATRIX)).toBe(expected);
  });

  it('covers every impact level and criticality, unregistered included', () => {
    const covered = new Set(DEFAULT_TABLE.map(([impact, criticality]) => `${impact}/${criticality}`));
    expect(covered.size).toBe(4 * 5);
  });

  it('rates an unregistered asset as the matrix says an unregistered asset counts', () => {
    const matrix = withOverrides({ unregisteredAssetCriticality: 'critical' });
    expect(severityOf(classification({ functionalImpact: 'low', assetCriticality: null }), matrix)).toBe('SEV2');
    expect(severityOf(classification({ functionalImpact: 'low', assetCriticality: 'critical' }), matrix)).toBe('SEV2');
  });

  it.each(FLOORED)('never rates %s below SEV2, even with no impact on a low-criticality asset', (category) => {
    expect(severityOf(classification({ category, assetCriticality: 'low' }), DEFAULT_SEVERITY_MATRIX)).toBe('SEV2');
  });

  it.each(FLOORED)('still rates %s SEV1 when the matrix says so', (category) => {
    expect(severityOf(classification({ category, functionalImpact: 'high', assetCriticality: 'critical' }), DEFAULT_SEVERITY_MATRIX)).toBe('SEV1');
  });

  it.each(IncidentCategory.options.filter((c) => !FLOORED.includes(c)))('puts no floor under %s by default', (category) => {
    expect(severityOf(classification({ category, assetCriticality: 'low' }), DEFAULT_SEVERITY_MATRIX)).toBe('SEV4');
  });

  it('never makes an incident less severe when one input is raised (property)', () => {
    // Each input's values in rising order; privacy and proprietary count the same.
    const dimensions = {
      functionalImpact: FunctionalImpact.options,
      informationImpact: InformationImpact.options,
      recoverability: Recoverability.options,
      assetCriticality: AssetCriticality.options,
    } as const;
    type Dimension = keyof typeof dimensions;
    const input = fc.record({
      category: fc.constantFrom(...IncidentCategory.options),
      functionalImpact: fc.constantFrom(...FunctionalImpact.options),
      informationImpact: fc.constantFrom(...InformationImpact.options),
      recoverability: fc.constantFrom(...Recoverability.options),
      assetCriticality: fc.constantFrom(...AssetCriticality.options),
    });
    const dimension = fc.constantFrom(...(Object.keys(dimensions) as Dimension[]));
    const rank = (s: IncidentSeverity) => IncidentSeverity.options.indexOf(s);

    fc.assert(
      fc.property(input, dimension, fc.nat(3), (base, d, step) => {
        const values: readonly string[] = dimensions[d];
        const from = values.indexOf(base[d]);
        const raised = { ...base, [d]: values[Math.min(from + step, values.length - 1)] } as ClassificationInput;
        // A lower rank is more severe (SEV1 first).
        expect(rank(severityOf(raised, DEFAULT_SEVERITY_MATRIX))).toBeLessThanOrEqual(rank(severityOf(base, DEFAULT_SEVERITY_MATRIX)));
      }),
    );
  });

  it('keeps ransomware and data breaches at SEV2 or above whatever else is known (property)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...FLOORED),
        fc.constantFrom(...FunctionalImpact.options),
        fc.constantFrom(...InformationImpact.options),
        fc.constantFrom(...Recoverability.options),
        fc.constantFrom(null, ...AssetCriticality.options),
        (category, functionalImpact, informationImpact, recoverability, assetCriticality) => {
          const severity = severityOf({ category, functionalImpact, informationImpact, recoverability, assetCriticality }, DEFAULT_SEVERITY_MATRIX);
          expect(['SEV1', 'SEV2']).toContain(severity);
        },
      ),
    );
  });
});

describe(functionalImpactFromAlert.name, () => {
  it.each<[AlertSeverity, IncidentSeverity]>([
    ['critical', 'SEV1'],
    ['high', 'SEV2'],
    ['medium', 'SEV3'],
    ['low', 'SEV4'],
    ['info', 'SEV4'],
  ])('with the default matrix, makes a %s alert on an unregistered asset %s', (alertSeverity, expected) => {
    const functionalImpact = functionalImpactFromAlert(alertSeverity);
    expect(severityOf(classification({ functionalImpact }), DEFAULT_SEVERITY_MATRIX)).toBe(expected);
  });

  it.each<[AlertSeverity, IncidentSeverity, IncidentSeverity]>([
    ['critical', 'SEV1', 'SEV2'],
    ['high', 'SEV1', 'SEV3'],
    ['medium', 'SEV2', 'SEV4'],
    ['low', 'SEV3', 'SEV4'],
  ])('makes a %s alert %s on a critical asset and %s on a low one, a step each way', (alertSeverity, onCritical, onLow) => {
    const functionalImpact = functionalImpactFromAlert(alertSeverity);
    expect(severityOf(classification({ functionalImpact, assetCriticality: 'critical' }), DEFAULT_SEVERITY_MATRIX)).toBe(onCritical);
    expect(severityOf(classification({ functionalImpact, assetCriticality: 'low' }), DEFAULT_SEVERITY_MATRIX)).toBe(onLow);
  });
});

describe(withOverrides.name, () => {
  it('gives the defaults for an empty override', () => {
    expect(withOverrides({})).toEqual(DEFAULT_SEVERITY_MATRIX);
  });

  it('changes one cell and keeps every other', () => {
    const expected = structuredClone(DEFAULT_SEVERITY_MATRIX);
    expected.matrix.none.critical = 'SEV2';
    expect(withOverrides({ matrix: { none: { critical: 'SEV2' } } })).toEqual(expected);
  });

  it('changes cells of several rows at once', () => {
    const matrix = withOverrides({ matrix: { high: { low: 'SEV1' }, low: { medium: 'SEV4' } } });
    expect(matrix.matrix.high).toEqual({ low: 'SEV1', medium: 'SEV1', high: 'SEV1', critical: 'SEV1' });
    expect(matrix.matrix.low).toEqual({ low: 'SEV4', medium: 'SEV4', high: 'SEV2', critical: 'SEV2' });
    expect(matrix.matrix.medium).toEqual(DEFAULT_SEVERITY_MATRIX.matrix.medium);
  });

  it('merges category floors over the default ones', () => {
    expect(withOverrides({ categoryFloor: { ransomware: 'SEV1', insider: 'SEV3' } }).categoryFloor).toEqual({
      ransomware: 'SEV1',
      data_breach: 'SEV2',
      insider: 'SEV3',
    });
  });

  it('replaces the criticality assumed for an unregistered asset', () => {
    expect(withOverrides({ unregisteredAssetCriticality: 'high' }).unregisteredAssetCriticality).toBe('high');
  });

  it('feeds severityOf: a changed cell changes the severity', () => {
    const matrix = withOverrides({ matrix: { medium: { medium: 'SEV3' } } });
    expect(severityOf(classification({ functionalImpact: 'medium' }), matrix)).toBe('SEV3');
    expect(severityOf(classification({ functionalImpact: 'medium' }), DEFAULT_SEVERITY_MATRIX)).toBe('SEV2');
  });

  it('leaves the defaults as they were', () => {
    const before = structuredClone(DEFAULT_SEVERITY_MATRIX);
    withOverrides({ matrix: { none: { low: 'SEV1' } }, categoryFloor: { malware: 'SEV1' }, unregisteredAssetCriticality: 'critical' });
    expect(DEFAULT_SEVERITY_MATRIX).toEqual(before);
  });
});

describe('SeverityMatrixOverride', () => {
  it('accepts a partial override', () => {
    expect(SeverityMatrixOverride.safeParse({ matrix: { low: { high: 'SEV1' } }, categoryFloor: { phishing: 'SEV3' } }).success).toBe(true);
  });

  it.each<[string, unknown, string]>([
    ['an unknown impact level', { matrix: { extreme: { low: 'SEV1' } } }, 'matrix'],
    ['an unknown criticality', { matrix: { high: { vital: 'SEV1' } } }, 'matrix.high'],
    ['an unknown severity', { matrix: { high: { low: 'SEV0' } } }, 'matrix.high.low'],
    ['a row that is not an object', { matrix: { high: 'SEV1' } }, 'matrix.high'],
    ['an unknown category', { categoryFloor: { alien_invasion: 'SEV1' } }, 'categoryFloor'],
    ['a floor that is not a severity', { categoryFloor: { ransomware: 2 } }, 'categoryFloor.ransomware'],
    ['an unknown unregistered criticality', { unregisteredAssetCriticality: 'extreme' }, 'unregisteredAssetCriticality'],
    ['an unknown top-level key', { matrx: {} }, ''],
  ])('rejects %s', (_, override, path) => {
    const result = SeverityMatrixOverride.safeParse(override);
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((i) => i.path.join('.'))).toContain(path);
  });
});

describe(mostSevere.name, () => {
  it.each<[IncidentSeverity, IncidentSeverity, IncidentSeverity]>([
    ['SEV1', 'SEV2', 'SEV1'],
    ['SEV2', 'SEV1', 'SEV1'],
    ['SEV3', 'SEV4', 'SEV3'],
    ['SEV4', 'SEV2', 'SEV2'],
    ['SEV3', 'SEV3', 'SEV3'],
  ])('picks the more severe of %s and %s: %s', (a, b, expected) => {
    expect(mostSevere(a, b)).toBe(expected);
  });
});

describe(moreCritical.name, () => {
  it.each<[AssetCriticality | null, AssetCriticality | null, AssetCriticality | null]>([
    ['low', 'critical', 'critical'],
    ['high', 'medium', 'high'],
    ['medium', 'medium', 'medium'],
    [null, 'low', 'low'],
    ['high', null, 'high'],
    [null, null, null],
  ])('picks the more critical of %p and %p: %p', (a, b, expected) => {
    expect(moreCritical(a, b)).toBe(expected);
  });
});

describe(worseFunctionalImpact.name, () => {
  it.each<[FunctionalImpact, FunctionalImpact, FunctionalImpact]>([
    ['none', 'low', 'low'],
    ['high', 'medium', 'high'],
    ['medium', 'high', 'high'],
    ['low', 'low', 'low'],
    ['none', 'none', 'none'],
  ])('picks the worse of %s and %s: %s', (a, b, expected) => {
    expect(worseFunctionalImpact(a, b)).toBe(expected);
  });
});

describe(isBelow.name, () => {
  it.each<[AlertSeverity, AlertSeverity[]]>([
    ['critical', ['high', 'medium', 'low', 'info']],
    ['high', ['medium', 'low', 'info']],
    ['medium', ['low', 'info']],
    ['low', ['info']],
    ['info', []],
  ])('puts exactly these below the threshold %s: %p', (threshold, below) => {
    expect(AlertSeverity.options.filter((s) => isBelow(s, threshold))).toEqual(below);
  });

  it('never puts a severity below itself', () => {
    for (const s of AlertSeverity.options) expect(isBelow(s, s)).toBe(false);
  });
});
