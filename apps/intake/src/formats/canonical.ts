import { CanonicalAlert, zodIssuesToFieldErrors } from '@vigil/contracts';
import { neverThrow } from './common';
import { deriveDedupKey } from './dedup-key';
import type { AlertSignal, MappingResult } from './signal';

/** A validated canonical alert as a trigger signal; dedupKey as given, else derived from source, title and assets. */
export function canonicalSignal(alert: CanonicalAlert): AlertSignal {
  return { action: 'trigger', format: 'canonical', alert: { ...alert, dedupKey: alert.dedupKey ?? deriveDedupKey(alert) }, raw: alert };
}

/** `POST /v1/alerts`: the body must be a CanonicalAlert (strict: unknown fields are rejected). */
export function mapCanonical(body: unknown): MappingResult {
  return neverThrow(() => {
    const parsed = CanonicalAlert.safeParse(body);
    return parsed.success ? { ok: true, signals: [canonicalSignal(parsed.data)] } : { ok: false, errors: zodIssuesToFieldErrors(parsed.error) };
  });
}

/** One item of `POST /v1/alerts:batch`, its errors pointing into the batch (`/alerts/<index>/…`). */
export function mapCanonicalItem(item: unknown, index: number): MappingResult {
  return neverThrow(() => {
    const parsed = CanonicalAlert.safeParse(item);
    return parsed.success
      ? { ok: true, signals: [canonicalSignal(parsed.data)] }
      : { ok: false, errors: zodIssuesToFieldErrors(parsed.error, `/alerts/${index}`) };
  });
}
