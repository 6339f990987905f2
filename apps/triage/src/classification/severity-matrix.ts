import {
  AlertSeverity,
  AssetCriticality,
  IncidentCategory,
  IncidentSeverity,
  type FunctionalImpact,
  type InformationImpact,
  type Recoverability,
} from '@vigil/contracts';
import { z } from 'zod';

/** The combined impact of an incident: the worst of its functional, information and recovery impact. */
export const ImpactLevel = z.enum(['none', 'low', 'medium', 'high']);
export type ImpactLevel = z.infer<typeof ImpactLevel>;

const row = z.strictObject(Object.fromEntries(AssetCriticality.options.map((c) => [c, IncidentSeverity])) as Record<AssetCriticality, typeof IncidentSeverity>);

/**
 * Severity = matrix[impact][asset criticality], then raised to the category's floor. Shipped with
 * defaults; `TRIAGE_SEVERITY_MATRIX` replaces any part of it (validated at boot).
 */
export const SeverityMatrix = z.strictObject({
  matrix: z.strictObject(Object.fromEntries(ImpactLevel.options.map((l) => [l, row])) as Record<ImpactLevel, typeof row>),
  categoryFloor: z.partialRecord(IncidentCategory, IncidentSeverity).describe('the least severe an incident of this category can be'),
  unregisteredAssetCriticality: AssetCriticality.describe('criticality assumed when no affected asset is in the register'),
});
export type SeverityMatrix = z.infer<typeof SeverityMatrix>;

/**
 * With an unregistered asset (medium) the defaults give what an alert's own severity suggests
 * (critical → SEV1 … low → SEV4); a critical asset raises, a low one lowers, a step each.
 * Ransomware and data breaches are never below SEV2: they carry notification duties.
 */
export const DEFAULT_SEVERITY_MATRIX: SeverityMatrix = {
  matrix: {
    high: { low: 'SEV2', medium: 'SEV1', high: 'SEV1', critical: 'SEV1' },
    medium: { low: 'SEV3', medium: 'SEV2', high: 'SEV2', critical: 'SEV1' },
    low: { low: 'SEV4', medium: 'SEV3', high: 'SEV2', critical: 'SEV2' },
    none: { low: 'SEV4', medium: 'SEV4', high: 'SEV3', critical: 'SEV3' },
  },
  categoryFloor: { ransomware: 'SEV2', data_breach: 'SEV2' },
  unregisteredAssetCriticality: 'medium',
};

/** Overrides merged over the defaults: a team can change one cell without restating the rest. */
export const SeverityMatrixOverride = z.strictObject({
  matrix: z.partialRecord(ImpactLevel, z.partialRecord(AssetCriticality, IncidentSeverity)).optional(),
  categoryFloor: z.partialRecord(IncidentCategory, IncidentSeverity).optional(),
  unregisteredAssetCriticality: AssetCriticality.optional(),
});

export function withOverrides(override: z.infer<typeof SeverityMatrixOverride>): SeverityMatrix {
  const matrix = structuredClone(DEFAULT_SEVERITY_MATRIX);
  for (const [level, cells] of Object.entries(override.matrix ?? {})) Object.assign(matrix.matrix[level as ImpactLevel], cells);
  if (override.categoryFloor) matrix.categoryFloor = { ...matrix.categoryFloor, ...override.categoryFloor };
  if (override.unregisteredAssetCriticality) matrix.unregisteredAssetCriticality = override.unregisteredAssetCriticality;
  return SeverityMatrix.parse(matrix);
}

const FUNCTIONAL: Record<FunctionalImpact, number> = { none: 0, low: 1, medium: 2, high: 3 };
// Privacy and proprietary information exposed is serious; integrity lost is the worst NIST names.
const INFORMATION: Record<InformationImpact, number> = { none: 0, privacy: 2, proprietary: 2, integrity: 3 };
const RECOVERABILITY: Record<Recoverability, number> = { regular: 0, supplemented: 1, extended: 2, not_recoverable: 3 };

export interface ClassificationInput {
  category: IncidentCategory;
  functionalImpact: FunctionalImpact;
  informationImpact: InformationImpact;
  recoverability: Recoverability;
  assetCriticality: AssetCriticality | null;
}

export function impactLevel(c: Pick<ClassificationInput, 'functionalImpact' | 'informationImpact' | 'recoverability'>): ImpactLevel {
  return ImpactLevel.options[Math.max(FUNCTIONAL[c.functionalImpact], INFORMATION[c.informationImpact], RECOVERABILITY[c.recoverability])];
}

export function severityOf(c: ClassificationInput, m: SeverityMatrix): IncidentSeverity {
  const fromMatrix = m.matrix[impactLevel(c)][c.assetCriticality ?? m.unregisteredAssetCriticality];
  const floor = m.categoryFloor[c.category];
  return floor ? mostSevere(fromMatrix, floor) : fromMatrix;
}

/** Before an analyst looks, the alert's own severity stands in for the functional impact. */
const FUNCTIONAL_FROM_ALERT: Record<AlertSeverity, FunctionalImpact> = {
  critical: 'high',
  high: 'medium',
  medium: 'low',
  low: 'none',
  info: 'none',
};

export function functionalImpactFromAlert(severity: AlertSeverity): FunctionalImpact {
  return FUNCTIONAL_FROM_ALERT[severity];
}

export function worseFunctionalImpact(a: FunctionalImpact, b: FunctionalImpact): FunctionalImpact {
  return FUNCTIONAL[a] >= FUNCTIONAL[b] ? a : b;
}

const CRITICALITY: Record<AssetCriticality, number> = { low: 0, medium: 1, high: 2, critical: 3 };
export function moreCritical(a: AssetCriticality | null, b: AssetCriticality | null): AssetCriticality | null {
  if (!a) return b;
  if (!b) return a;
  return CRITICALITY[a] >= CRITICALITY[b] ? a : b;
}

const RANK: Record<IncidentSeverity, number> = { SEV1: 1, SEV2: 2, SEV3: 3, SEV4: 4 };

export function mostSevere(a: IncidentSeverity, b: IncidentSeverity): IncidentSeverity {
  return RANK[a] <= RANK[b] ? a : b;
}

/** AlertSeverity lists its values from most to least severe. */
export function isBelow(severity: AlertSeverity, threshold: AlertSeverity): boolean {
  return AlertSeverity.options.indexOf(severity) > AlertSeverity.options.indexOf(threshold);
}
