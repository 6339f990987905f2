import type { IncidentPhase, IncidentTimestamps } from '@vigil/contracts';

/**
 * The NIST SP 800-61 lifecycle as Vigil walks it. Each phase moves to the next; an incident can be
 * declared a false positive while it is still being triaged. `merged` is reached only by merging.
 */
const NEXT: Record<IncidentPhase, readonly IncidentPhase[]> = {
  detected: ['triaged', 'false_positive'],
  triaged: ['contained', 'false_positive'],
  contained: ['eradicated'],
  eradicated: ['recovered'],
  recovered: ['post_incident'],
  post_incident: ['closed'],
  closed: [],
  false_positive: [],
  merged: [],
};

export const TERMINAL_PHASES: readonly IncidentPhase[] = ['closed', 'false_positive', 'merged'];

export function allowedTransitions(from: IncidentPhase): readonly IncidentPhase[] {
  return NEXT[from];
}

export function canTransition(from: IncidentPhase, to: IncidentPhase): boolean {
  return NEXT[from].includes(to);
}

/** The clock field a phase sets when the incident enters it, if any. */
export function clockFieldOf(phase: IncidentPhase): keyof IncidentTimestamps | undefined {
  switch (phase) {
    case 'contained':
      return 'containedAt';
    case 'eradicated':
      return 'eradicatedAt';
    case 'recovered':
      return 'recoveredAt';
    case 'closed':
    case 'false_positive':
      return 'closedAt';
    default:
      return undefined;
  }
}
