import { CallHandler, ExecutionContext, Injectable, type NestInterceptor } from '@nestjs/common';
import { Problem } from '@vigil/platform';
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
