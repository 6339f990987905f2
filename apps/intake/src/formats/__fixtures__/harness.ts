import { CanonicalAlert } from '@vigil/contracts';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { INTERNAL_ERROR_DETAIL } from '../common';
import type { AlertSignal, MappingResult } from '../signal';

/** A fixture of this directory, parsed. */
export function fixture(name: string): any {
  return JSON.parse(readFileSync(join(__dirname, name), 'utf8'));
}

/**
 * What is wrong with a mapping result, as sentences (none for a well-formed one): every alert
 * passes CanonicalAlert and has a dedup key of 1–255 characters, every error has a JSON pointer
 * and a detail, and no error is the catch-all of an unexpected exception.
 */
export function problems(result: MappingResult): string[] {
  const out: string[] = [];
  if (result.ok) {
    result.signals.forEach((s, i) => {
      const parsed = CanonicalAlert.safeParse(s.alert);
      if (!parsed.success) out.push(`signal ${i}: ${JSON.stringify(parsed.error.issues)}`);
      if (typeof s.alert.dedupKey !== 'string' || s.alert.dedupKey.length < 1 || s.alert.dedupKey.length > 255) out.push(`signal ${i}: dedupKey ${s.alert.dedupKey}`);
      if (!['trigger', 'acknowledge', 'resolve'].includes(s.action)) out.push(`signal ${i}: action ${s.action}`);
    });
  } else {
    if (result.errors.length === 0) out.push('no errors in a failed result');
    for (const e of result.errors) {
      if (typeof e.pointer !== 'string' || (e.pointer !== '' && !e.pointer.startsWith('/'))) out.push(`bad pointer ${e.pointer}`);
      if (typeof e.detail !== 'string' || e.detail.length === 0) out.push(`empty detail at ${e.pointer}`);
      if (e.detail === INTERNAL_ERROR_DETAIL) out.push(`unexpected exception at ${e.pointer}`);
    }
  }
  return out;
}

/** The signals of a result that must be well formed and successful. */
export function signals(result: MappingResult): AlertSignal[] {
  expect(problems(result)).toEqual([]);
  if (!result.ok) throw new Error(JSON.stringify(result.errors));
  return result.signals;
}

/** The one signal of a result that must be well formed, successful and hold exactly one. */
export function onlySignal(result: MappingResult): AlertSignal {
  const all = signals(result);
  expect(all).toHaveLength(1);
  return all[0];
}

/** The errors of a well-formed result (none when it succeeded). */
export function errors(result: MappingResult) {
  expect(problems(result)).toEqual([]);
  return result.ok ? [] : result.errors;
}
