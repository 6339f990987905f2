import type { AlertReceivedV1, EventData, SuppressionMatch } from '@vigil/contracts';
import type { EntityManager } from 'typeorm';
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
 * The first rule (oldest) in force when the alert was received that matches it. A rule holds from
 * its creation to its expiry or revocation: an alert received while it held stays suppressed even
 * if triage only reads it later (after a broker outage, say).
 */
export async function findSuppression(manager: EntityManager, alert: AlertReceived): Promise<string | undefined> {
  const rules: Array<{ id: string; match: SuppressionMatch }> = await manager.query(
    `SELECT id, match FROM triage.suppression_rules
      WHERE created_at <= $1 AND expires_at > $1 AND (revoked_at IS NULL OR revoked_at > $1)
      ORDER BY created_at, id`,
    [alert.receivedAt],
  );
  return rules.find((r) => suppressionMatches(r.match, alert))?.id;
}
