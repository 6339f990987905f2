import type { AlertSeverity, IncidentSeverity } from '@vigil/contracts';

/** Until classification rules exist (asset criticality × impact), severity follows the alert's. */
const FROM_ALERT: Record<AlertSeverity, IncidentSeverity> = {
  critical: 'SEV1',
  high: 'SEV2',
  medium: 'SEV3',
  low: 'SEV4',
  info: 'SEV4',
};

export function severityFromAlert(severity: AlertSeverity): IncidentSeverity {
  return FROM_ALERT[severity];
}

const RANK: Record<IncidentSeverity, number> = { SEV1: 1, SEV2: 2, SEV3: 3, SEV4: 4 };

export function mostSevere(a: IncidentSeverity, b: IncidentSeverity): IncidentSeverity {
  return RANK[a] <= RANK[b] ? a : b;
}
