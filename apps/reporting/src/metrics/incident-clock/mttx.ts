import type { IncidentTimestamps } from '@vigil/contracts';

/**
 * The four figures exactly as docs/architecture.md defines them. Each is null until both of its
 * timestamps are known.
 *   MTTD = detectedAt − occurredAt     MTTA = acknowledgedAt − detectedAt
 *   MTTC = containedAt − detectedAt    MTTR = recoveredAt − detectedAt
 */
export type MttxName = 'mttd' | 'mtta' | 'mttc' | 'mttr';

export const MTTX_DEFINITIONS: Record<MttxName, { from: keyof IncidentTimestamps; to: keyof IncidentTimestamps; metric: string; description: string }> = {
  mttd: { from: 'occurredAt', to: 'detectedAt', metric: 'vigil.incident.time_to_detect_seconds', description: 'detectedAt − occurredAt' },
  mtta: { from: 'detectedAt', to: 'acknowledgedAt', metric: 'vigil.incident.time_to_acknowledge_seconds', description: 'acknowledgedAt − detectedAt' },
  mttc: { from: 'detectedAt', to: 'containedAt', metric: 'vigil.incident.time_to_contain_seconds', description: 'containedAt − detectedAt' },
  mttr: { from: 'detectedAt', to: 'recoveredAt', metric: 'vigil.incident.time_to_recover_seconds', description: 'recoveredAt − detectedAt' },
};

export function mttxSeconds(name: MttxName, t: Partial<Record<keyof IncidentTimestamps, string | null>>): number | null {
  const { from, to } = MTTX_DEFINITIONS[name];
  const a = t[from];
  const b = t[to];
  if (!a || !b) return null;
  return (Date.parse(b) - Date.parse(a)) / 1000;
}

/** The figures that became known with this change (were unknown before, are known now). */
export function newlyKnown(
  before: Partial<Record<keyof IncidentTimestamps, string | null>> | undefined,
  after: Partial<Record<keyof IncidentTimestamps, string | null>>,
): Array<{ name: MttxName; seconds: number }> {
  return (Object.keys(MTTX_DEFINITIONS) as MttxName[]).flatMap((name) => {
    const now = mttxSeconds(name, after);
    if (now === null) return [];
    if (before && mttxSeconds(name, before) !== null) return [];
    return [{ name, seconds: now }];
  });
}
