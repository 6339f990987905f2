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
