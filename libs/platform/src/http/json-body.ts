import { unstorableText, type FieldError } from '@vigil/contracts';

/** JSON nesting deeper than this is refused before it reaches any handler (depth bombs). */
export const MAX_JSON_DEPTH = 32;

/** At most this many unstorable strings are named in one answer. */
const MAX_REPORTED = 20;

export type ParsedJsonBody =
  | { ok: true; value: unknown }
  | { ok: false; detail: string; errors?: FieldError[] };

function jsonDepthExceeds(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92) i++; // backslash: skip the escaped character
      else if (c === 34) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 123 || c === 91) {
      if (++depth > max) return true;
    } else if (c === 125 || c === 93) depth--;
  }
  return false;
}

const escapeSegment = (segment: string | number) => String(segment).replace(/~/g, '~0').replace(/\//g, '~1');

/** Every string, and every object key, that PostgreSQL cannot store, as JSON Pointers (at most 20). */
export function unstorableStrings(value: unknown): FieldError[] {
  const errors: FieldError[] = [];
  const visit = (node: unknown, pointer: string) => {
    if (errors.length >= MAX_REPORTED) return;
    if (typeof node === 'string') {
      const detail = unstorableText(node);
      if (detail) errors.push({ pointer, detail });
    } else if (Array.isArray(node)) {
      node.forEach((item, i) => visit(item, `${pointer}/${i}`));
    } else if (typeof node === 'object' && node !== null) {
      for (const [key, item] of Object.entries(node)) {
        const at = `${pointer}/${escapeSegment(key)}`;
        const keyDetail = unstorableText(key);
        if (keyDetail && errors.length < MAX_REPORTED) errors.push({ pointer: at, detail: `has a name that ${keyDetail}` });
        visit(item, at);
      }
    }
  };
  visit(value, '');
  return errors;
}

/**
 * Both can only arrive as `\u` escapes: JSON refuses a raw control character in a string, and
 * a lone surrogate has no UTF-8 form (the body is decoded as UTF-8). Bodies without such an
 * escape, nearly all of them, are not walked.
 */
const MAY_HOLD_UNSTORABLE = /\\u(?:0000|[dD][89a-fA-F])/;

/**
 * The platform's JSON body parser: malformed JSON, depth bombs, and strings PostgreSQL cannot
 * store are refused here, as 400 problems, before any handler runs.
 */
export function parseJsonBody(text: string, maxDepth = MAX_JSON_DEPTH): ParsedJsonBody {
  if (jsonDepthExceeds(text, maxDepth)) return { ok: false, detail: `JSON nested deeper than ${maxDepth} levels` };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { ok: false, detail: `Malformed JSON: ${(error as Error).message}` };
  }
  if (MAY_HOLD_UNSTORABLE.test(text)) {
    const errors = unstorableStrings(value);
    if (errors.length > 0) return { ok: false, detail: 'The request holds text that cannot be stored.', errors };
  }
  return { ok: true, value };
}
