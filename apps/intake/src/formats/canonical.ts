import { CanonicalAlert } from '@vigil/contracts';
import type { FieldError } from '@vigil/platform';
import type { z } from 'zod';
import { neverThrow } from './common';
import { deriveDedupKey } from './dedup-key';
import type { AlertSignal, MappingResult } from './signal';

const escape = (segment: PropertyKey) => String(segment).replace(/~/g, '~0').replace(/\//g, '~1');
const pointerOf = (path: PropertyKey[]) => path.map((p) => '/' + escape(p)).join('');

/**
 * The same field errors as `zodIssuesToFieldErrors` of @vigil/platform (zod's own messages, an
 * unknown key at its own pointer), kept here because the platform library cannot be loaded in a
 * unit test; the canonical endpoint answers exactly as before.
 */
function canonicalErrors(error: z.ZodError, base = ''): FieldError[] {
  return error.issues.flatMap((issue) =>
    issue.code === 'unrecognized_keys'
      ? issue.keys.map((key) => ({ pointer: base + pointerOf([...issue.path, key]), detail: 'is not a known field' }))
      : [{ pointer: base + pointerOf(issue.path), detail: issue.message }],
  );
}

/** A validated canonical alert as a trigger signal; dedupKey as given, else derived from source, title and assets. */
export function canonicalSignal(alert: CanonicalAlert): AlertSignal {
  return { action: 'trigger', format: 'canonical', alert: { ...alert, dedupKey: alert.dedupKey ?? deriveDedupKey(alert) }, raw: alert };
}

/** `POST /v1/alerts`: the body must be a CanonicalAlert (strict: unknown fields are rejected). */
export function mapCanonical(body: unknown): MappingResult {
  return neverThrow(() => {
    const parsed = CanonicalAlert.safeParse(body);
    return parsed.success ? { ok: true, signals: [canonicalSignal(parsed.data)] } : { ok: false, errors: canonicalErrors(parsed.error) };
  });
}

/** One item of `POST /v1/alerts:batch`, its errors pointing into the batch (`/alerts/<index>/…`). */
export function mapCanonicalItem(item: unknown, index: number): MappingResult {
  return neverThrow(() => {
    const parsed = CanonicalAlert.safeParse(item);
    return parsed.success
      ? { ok: true, signals: [canonicalSignal(parsed.data)] }
      : { ok: false, errors: canonicalErrors(parsed.error, `/alerts/${index}`) };
  });
}
