import type { CanonicalAlert } from '@vigil/contracts';
import { createHash } from 'node:crypto';

/**
 * A dedup key the source did not give is derived from what makes an alert "the same": its source,
 * its title and the assets it names. Repeats of one detection then correlate without a key.
 */
export function deriveDedupKey(alert: Pick<CanonicalAlert, 'source' | 'title' | 'assets'>): string {
  // Canonical JSON, so that no choice of names can make two different alerts hash alike.
  const assets = (alert.assets ?? []).map((a) => JSON.stringify([a.id ?? null, a.hostname ?? null, a.ip ?? null, a.name ?? null])).sort();
  const canonical = JSON.stringify([alert.source, alert.title, assets]);
  return 'vigil:' + createHash('sha256').update(canonical).digest('hex').slice(0, 40);
}
