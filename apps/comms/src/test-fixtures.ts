import type { IncidentSnapshot } from '@vigil/contracts';

/** An incident snapshot for unit specs; its title is hostile on purpose. */
export const snapshot: IncidentSnapshot = {
  incidentId: '7c9e6679-7425-40de-944b-e07fc1f90ae7',
  title: 'Ransomware on file-01 <!channel> https://evil.example/x',
  severity: 'SEV1',
  category: 'ransomware',
  phase: 'triaged',
  exercise: false,
  alertCount: 3,
  version: 4,
  timestamps: {
    occurredAt: '2026-11-24T06:40:00.000Z',
    detectedAt: '2026-11-24T06:41:00.000Z',
    declaredAt: '2026-11-24T06:41:05.000Z',
    acknowledgedAt: '2026-11-24T06:45:00.000Z',
    containedAt: null,
    eradicatedAt: null,
    recoveredAt: null,
    closedAt: null,
  },
  classification: { functionalImpact: 'high', informationImpact: 'privacy', recoverability: 'extended', assetCriticality: 'critical', classifiedBy: 'u-alice' },
  owner: 'u-irene',
  responders: [],
  mergedInto: null,
  restricted: false,
};
