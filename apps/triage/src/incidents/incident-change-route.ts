import { applyDecorators, HttpCode, Post } from '@nestjs/common';
import { ApiOperation, type ApiOperationOptions } from '@nestjs/swagger';
import { IncidentView } from '@vigil/contracts';
import { ApiIfMatch, ApiJsonBody, ApiJsonResponse, ApiProblems, Permit, type Permission } from '@vigil/platform';
import type { z } from 'zod';

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
    ApiIfMatch('the incident version the change is based on, as its ETag ("3"); a stale one is a 412, a missing one a 428'),
    ApiOperation(options.operation),
    ApiJsonBody(options.body),
    ApiJsonResponse(200, IncidentView, options.response),
    ApiProblems(...(options.conflicts ? [400, 404, 409, 412, 428, 503] : [400, 404, 412, 428, 503])),
  );
}
