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

/** What the next phases depend on besides the phase. */
export interface TransitionContext {
  /** Alerts attached as recurrences during the recovery watch. */
  recurrences?: number;
}

/**
 * A recovered (or post-incident) incident that had a recurrence may go back to containment: the
 * threat is back. Only then: recovery is otherwise final for containment.
 */
export function isReturnToContainment(from: IncidentPhase, to: IncidentPhase): boolean {
  return to === 'contained' && (from === 'recovered' || from === 'post_incident');
}

export function allowedTransitions(from: IncidentPhase, context: TransitionContext = {}): readonly IncidentPhase[] {
  return (context.recurrences ?? 0) > 0 && isReturnToContainment(from, 'contained') ? [...NEXT[from], 'contained'] : NEXT[from];
}

export function canTransition(from: IncidentPhase, to: IncidentPhase, context: TransitionContext = {}): boolean {
  return allowedTransitions(from, context).includes(to);
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
