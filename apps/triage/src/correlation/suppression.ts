import type { AlertReceivedV1, EventData, SuppressionMatch } from '@vigil/contracts';
import { normaliseHostname, normaliseIp } from '../assets/normalise';

type AlertReceived = EventData<typeof AlertReceivedV1>;

/** Every criterion the rule names must hold for the alert. */
export function suppressionMatches(match: SuppressionMatch, alert: AlertReceived): boolean {
  if (match.dedupKey !== undefined && match.dedupKey !== alert.dedupKey) return false;
  if (match.source !== undefined && match.source.toLowerCase() !== alert.source.toLowerCase()) return false;
  if (match.titleContains !== undefined && !alert.title.toLowerCase().includes(match.titleContains.toLowerCase())) return false;
  if (match.category !== undefined && match.category !== alert.category) return false;
  if (match.severities !== undefined && !match.severities.includes(alert.severity)) return false;
  if (match.hostname !== undefined) {
    const host = normaliseHostname(match.hostname);
    if (!alert.assets.some((a) => (a.hostname && normaliseHostname(a.hostname) === host) || (a.name && normaliseHostname(a.name) === host))) return false;
  }
  if (match.ip !== undefined) {
    const ip = normaliseIp(match.ip) ?? match.ip.toLowerCase();
    if (!alert.assets.some((a) => a.ip && (normaliseIp(a.ip) ?? a.ip.toLowerCase()) === ip)) return false;
  }
  if (match.labels !== undefined) {
    for (const [name, value] of Object.entries(match.labels)) if (alert.labels[name] !== value) return false;
  }
  return true;
}

/**
 * The rules in force at `$at` (a bound timestamp), oldest first. A rule holds from its creation to
 * its expiry or revocation: an alert received while it held stays suppressed even if triage only
 * reads it later (after a broker outage, say).
 */
export const suppressionRulesInForceSql = (at: string) =>
  `triage.suppression_rules WHERE created_at <= ${at} AND expires_at > ${at} AND (revoked_at IS NULL OR revoked_at > ${at})`;
export const SUPPRESSION_ORDER = 'created_at, id';

/** The first of the rules that matches the alert. */
export function firstMatchingRule(rules: ReadonlyArray<{ id: string; match: SuppressionMatch }>, alert: AlertReceived): string | undefined {
  return rules.find((r) => suppressionMatches(r.match, alert))?.id;
}
