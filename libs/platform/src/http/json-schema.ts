import { JS_WHITESPACE } from '@vigil/contracts';
import { z } from 'zod';

export { JS_WHITESPACE };

/**
 * Says in JSON Schema what zod checks beyond its own translation: a string that is trimmed before
 * `min(1)` needs a character other than white space, and a `format` that zod checks with its own
 * pattern is documented by that pattern alone (validators disagree on formats such as email).
 */
export function jsonSchemaOverride(ctx: { zodSchema: unknown; jsonSchema: Record<string, unknown> }): void {
  const def = (ctx.zodSchema as { _zod?: { def?: { type?: string; checks?: Array<{ _zod: { def: { check?: string; tx?: unknown } } }> } } })._zod?.def;
  const json = ctx.jsonSchema;
  if (def?.type !== 'string') return;
  const trimmed = def.checks?.some((c) => c._zod.def.check === 'overwrite' && String(c._zod.def.tx).includes('.trim()'));
  if (trimmed && typeof json.minLength === 'number' && json.minLength > 0) {
    const notBlank = `[^${JS_WHITESPACE}]`;
    if (json.pattern === undefined) json.pattern = notBlank;
    else json.allOf = [...((json.allOf as unknown[]) ?? []), { pattern: notBlank }];
  }
  if (json.format === 'email' && typeof json.pattern === 'string') delete json.format;
}

/** zod → JSON Schema (draft 2020-12) as the platform documents and checks it. */
export function toJsonSchema(schema: z.ZodType, io: 'input' | 'output'): Record<string, unknown> {
  return z.toJSONSchema(schema, { target: 'draft-2020-12', io, unrepresentable: 'any', override: jsonSchemaOverride }) as Record<string, unknown>;
}
