import { Injectable, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { from, mergeMap, type Observable } from 'rxjs';
import { currentRequest } from '../auth/request-context';
import { AuditTrail, digest } from './audit-trail';

/**
 * Completes the audit record of a change: notes a digest of what was sent, and records a change
 * whose request committed no transaction through TypeORM (so none carried the record).
 */
@Injectable()
export class AuditInterceptor implements NestInterceptor {
  constructor(private readonly audit: AuditTrail) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const ctx = currentRequest();
    if (!ctx?.audited) return next.handle();
    const body = context.switchToHttp().getRequest<FastifyRequest>().body;
    if (body !== undefined) ctx.bodyDigest = typeof body === 'string' || Buffer.isBuffer(body) ? digest(String(body)) : digest(body);
    return next.handle().pipe(mergeMap((value) => from(this.audit.recordUnrecorded(ctx).then(() => value))));
  }
}
