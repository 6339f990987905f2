import { applyDecorators, HttpCode, Post } from '@nestjs/common';
import { ApiHeader, ApiOperation, type ApiOperationOptions } from '@nestjs/swagger';
import { IncidentView } from '@vigil/contracts';
import { ApiJsonBody, ApiJsonResponse, ApiProblems, Permit, type Permission } from '@vigil/platform';
import type { z } from 'zod';

/** OpenAPI description of the If-Match header every incident change takes. */
const IF_MATCH_HEADER = {
  name: 'If-Match',
  required: true,
  description: 'the incident version the change is based on, as its ETag ("3"); a stale one is a 412, a missing one a 428',
  // Exactly what expectedVersion (concurrency.ts) accepts: `*`, or one or more strong tags of digits.
  schema: { type: 'string', pattern: '^[\\t\\v\\f \\u00a0]*(\\*|"?[0-9]{1,9}"?[\\t\\v\\f \\u00a0]*(,[\\t\\v\\f \\u00a0]*"?[0-9]{1,9}"?[\\t\\v\\f \\u00a0]*)*)[\\t\\v\\f \\u00a0]*$', example: '"3"' },
};

/**
 * A route that changes an incident: POST, 200 with the incident (its ETag set by
 * `IncidentETagInterceptor` on the controller), If-Match required, and the problems every such
 * change can answer with (409 too when the change can conflict with the incident's state).
 */
export function IncidentChangeRoute(
  path: string,
  options: { permission: Permission; operation: ApiOperationOptions; body: z.ZodType; response: string; conflicts?: boolean },
): MethodDecorator {
  return applyDecorators(
    Post(path),
    Permit(options.permission),
    HttpCode(200),
    ApiHeader(IF_MATCH_HEADER),
    ApiOperation(options.operation),
    ApiJsonBody(options.body),
    ApiJsonResponse(200, IncidentView, options.response),
    ApiProblems(...(options.conflicts ? [400, 404, 409, 412, 428, 503] : [400, 404, 412, 428, 503])),
  );
}
