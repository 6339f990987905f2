import { z } from 'zod';

/** RFC 9457 problem details, extended with the list of bad fields. */
export const ProblemDetails = z
  .object({
    type: z.string().describe('URI reference identifying the problem type'),
    title: z.string(),
    status: z.int(),
    detail: z.string().optional(),
    instance: z.string().optional(),
    errors: z
      .array(z.object({ pointer: z.string().describe('JSON Pointer into the request body'), detail: z.string() }))
      .optional(),
  })
  .loose()
  .meta({ id: 'ProblemDetails' });
export type ProblemDetails = z.infer<typeof ProblemDetails>;

export interface FieldError {
  /** JSON Pointer into the request body, e.g. `/assets/0/ip`. */
  pointer: string;
  detail: string;
}

const pointerOf = (path: PropertyKey[]) => path.map((p) => '/' + String(p).replace(/~/g, '~0').replace(/\//g, '~1')).join('');

/**
 * One field error per bad field, pointing into the request body below `base` (a JSON Pointer,
 * e.g. `/alerts/3` for an item of a batch); an unknown key is reported at its own pointer.
 */
export function zodIssuesToFieldErrors(error: z.ZodError, base = ''): FieldError[] {
  return error.issues.flatMap((issue) =>
    issue.code === 'unrecognized_keys'
      ? issue.keys.map((key) => ({ pointer: base + pointerOf([...issue.path, key]), detail: 'is not a known field' }))
      : [{ pointer: base + pointerOf(issue.path), detail: issue.message }],
  );
}
