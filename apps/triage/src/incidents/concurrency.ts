import { applyDecorators, CallHandler, ExecutionContext, HttpCode, Injectable, Post, type NestInterceptor } from '@nestjs/common';
import { ApiHeader, ApiOperation, type ApiOperationOptions } from '@nestjs/swagger';
import { IncidentView } from '@vigil/contracts';
import { ApiJsonBody, ApiJsonResponse, ApiProblems, Problem } from '@vigil/platform';
import type { z } from 'zod';
import type { FastifyReply } from 'fastify';
import { map, type Observable } from 'rxjs';

export type ExpectedVersion = number[] | '*';

/**
 * Optimistic concurrency: a change names the version it was based on in If-Match (the ETag of the
 * incident, `"7"`). Without it the change is refused (428) rather than risk overwriting someone
 * else's; `*` means "whatever it is now", for scripts that knowingly take that risk.
 */
export function expectedVersion(ifMatch: string | undefined): ExpectedVersion {
  const raw = ifMatch?.trim();
  if (!raw) {
    throw new Problem(428, 'Precondition required', 'Send If-Match with the incident version you read (its ETag, e.g. If-Match: "3") so that a concurrent change is not overwritten.');
  }
  if (raw === '*') return '*';
  const versions = raw.split(',').map((tag) => /^\s*"?(\d{1,9})"?\s*$/.exec(tag)?.[1]);
  if (versions.some((v) => v === undefined)) {
    throw Problem.validation([{ pointer: '/headers/if-match', detail: 'must be the incident ETag, e.g. "3" (weak tags never match)' }]);
  }
  return versions.map(Number);
}

export function assertVersion(current: number, expected: ExpectedVersion, what: string): void {
  if (expected === '*' || expected.includes(current)) return;
  throw new Problem(
    412,
    'Precondition failed',
    `${what} is at version ${current}, not ${expected.join(' or ')}: someone changed it since you read it. Read it again and retry.`,
    { currentVersion: current },
    { etag: `"${current}"` },
  );
}

/** Every response carrying an incident carries its version as the ETag, for the next If-Match. */
@Injectable()
export class IncidentETagInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    return next.handle().pipe(
      map((body: unknown) => {
        const b = body as { incidentId?: unknown; version?: unknown } | null;
        if (b && typeof b.incidentId === 'string' && typeof b.version === 'number') {
          context.switchToHttp().getResponse<FastifyReply>().header('etag', `"${b.version}"`);
        }
        return body;
      }),
    );
  }
}

/** OpenAPI description of the If-Match header every incident change takes. */
export const IF_MATCH_HEADER = {
  name: 'If-Match',
  required: true,
  description: 'the incident version the change is based on, as its ETag ("3"); a stale one is a 412, a missing one a 428',
  schema: { type: 'string', example: '"3"' },
};

/**
 * A route that changes an incident: POST, 200 with the incident (its ETag set by
 * `IncidentETagInterceptor` on the controller), If-Match required, and the problems every such
 * change can answer with (409 too when the change can conflict with the incident's state).
 */
export function IncidentChangeRoute(
  path: string,
  options: { operation: ApiOperationOptions; body: z.ZodType; response: string; conflicts?: boolean },
): MethodDecorator {
  return applyDecorators(
    Post(path),
    HttpCode(200),
    ApiHeader(IF_MATCH_HEADER),
    ApiOperation(options.operation),
    ApiJsonBody(options.body),
    ApiJsonResponse(200, IncidentView, options.response),
    ApiProblems(...(options.conflicts ? [400, 404, 409, 412, 428, 503] : [400, 404, 412, 428, 503])),
  );
}
