import type { AudienceKey, IncidentSnapshot } from '@vigil/contracts';
import { ACTIVE_PHASES, hears } from '../audiences/audience-rules';
import type { AudienceRow } from '../audiences/audience-store';

/** How often an audience is owed a status update on this incident, or null when it is not. */
export function cadenceOf(audience: AudienceRow, incident: IncidentSnapshot): { intervalSeconds: number; graceSeconds: number } | null {
  if (!ACTIVE_PHASES.has(incident.phase) || incident.mergedInto) return null;
  if (!hears(audience.rule, incident)) return null;
  const interval = audience.status_cadence[incident.severity];
  return interval ? { intervalSeconds: interval, graceSeconds: audience.cadence_grace_seconds } : null;
}

export interface CadenceState {
  dueAt: Date;
  graceSeconds: number;
  remindedAt: Date | null;
  missedAt: Date | null;
}

/** When the clock next needs looking at: the due time, then the end of the grace period, then never. */
export function nextCheckAt(state: CadenceState): Date | null {
  if (!state.remindedAt) return state.dueAt;
  if (!state.missedAt) return new Date(state.dueAt.getTime() + state.graceSeconds * 1000);
  return null;
}

/**
 * What is owed at `now`: a reminder once the update is due, an escalation once the grace period
 * after it has run out (both at once when the check came late).
 */
export function stepCadence(state: CadenceState, now: Date): { remind: boolean; miss: boolean; next: CadenceState } {
  const missAt = state.dueAt.getTime() + state.graceSeconds * 1000;
  const remind = !state.remindedAt && now >= state.dueAt;
  const miss = !state.missedAt && now.getTime() >= missAt;
  const next = { ...state, remindedAt: remind ? now : state.remindedAt, missedAt: miss ? now : state.missedAt };
  return { remind, miss, next };
}

/** After an update is sent to the audience, the next is due one interval later. */
export function afterUpdate(intervalSeconds: number, graceSeconds: number, sentAt: Date): CadenceState {
  return { dueAt: new Date(sentAt.getTime() + intervalSeconds * 1000), graceSeconds, remindedAt: null, missedAt: null };
}

export type CadenceKey = { incidentId: string; audience: AudienceKey };
