/**
 * A rule of a contract that JSON Schema cannot state — a name that must exist (an IANA time zone),
 * an order between two fields, whole seconds — is a zod refinement marked with this. A value that
 * breaks only such rules matches its documented schema, so the API answers it with 422 (it cannot
 * be applied as it stands) rather than 400 (it does not match the schema): see the platform's
 * ZodPipe and docs/api-contract.md.
 */
export const BEYOND_SCHEMA = { params: { beyondSchema: true } } as const;

/** Whether a zod issue comes from a refinement marked BEYOND_SCHEMA. */
export function isBeyondSchema(issue: { code: string; params?: Record<string, unknown> }): boolean {
  return issue.code === 'custom' && issue.params?.beyondSchema === true;
}

/**
 * The characters JavaScript's `String.prototype.trim` and `\s` take for white space, spelled out
 * for JSON Schema patterns (other regular-expression engines read `\s` differently).
 */
export const JS_WHITESPACE = '\\t\\n\\v\\f\\r \\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000\\ufeff';
