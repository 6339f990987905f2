import { IncidentSeverity, type AudienceRule, type IncidentSnapshot } from '@vigil/contracts';

/** Phases in which an incident is still being worked (status updates are owed). */
export const ACTIVE_PHASES: ReadonlySet<string> = new Set(['detected', 'triaged', 'contained', 'eradicated']);
/** Phases after which an incident needs no more updates. */
export const ENDED_PHASES: ReadonlySet<string> = new Set(['recovered', 'post_incident', 'closed', 'false_positive', 'merged']);

const rank = (s: string) => IncidentSeverity.options.indexOf(s as IncidentSeverity);

/** Whether an audience hears about this incident under its rule (severity, category, exercise, restriction). */
export function hears(rule: AudienceRule, incident: IncidentSnapshot): boolean {
  if (rank(incident.severity) > rank(rule.minSeverity)) return false;
  if (rule.categories && !rule.categories.includes(incident.category)) return false;
  if (incident.exercise && !rule.includeExercises) return false;
  if (incident.restricted && !rule.includeRestricted) return false;
  return true;
}
