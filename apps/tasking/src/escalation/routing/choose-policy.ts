import type { EscalationMatch, EscalationRouting } from '@vigil/contracts';
import type { IncidentFacts } from '../incident-facts';

/** Whether every criterion a rule gives holds for the incident. */
export function matches(match: EscalationMatch, facts: Pick<IncidentFacts, 'severity' | 'category' | 'assetCriticality' | 'exercise'>): boolean {
  if (match.severities && !match.severities.includes(facts.severity)) return false;
  if (match.categories && !match.categories.includes(facts.category)) return false;
  if (match.assetCriticalities && (!facts.assetCriticality || !match.assetCriticalities.includes(facts.assetCriticality))) return false;
  if (match.exercise !== undefined && match.exercise !== facts.exercise) return false;
  return true;
}

/** The policy of the first rule that matches, else the default (null: no escalation). */
export function choosePolicy(routing: EscalationRouting | null, facts: Pick<IncidentFacts, 'severity' | 'category' | 'assetCriticality' | 'exercise'>): { policyId: string; rule: string } | null {
  if (!routing) return null;
  const index = routing.rules.findIndex((r) => matches(r.match, facts));
  if (index >= 0) return { policyId: routing.rules[index].policyId, rule: routing.rules[index].name ?? `rule ${index + 1}` };
  return routing.defaultPolicyId ? { policyId: routing.defaultPolicyId, rule: 'default' } : null;
}
