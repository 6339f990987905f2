import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { AuditTrail } from '../audit/audit-trail';
import { Problem } from '../http/problem';
import { PERMISSION_KEY, PUBLIC_KEY } from './decorators';
import { allows, isPermission, PERMISSIONS } from './permissions';
import type { Principal } from './principal';
import { currentRequest } from './request-context';
import { IdentityProviderUnavailable, TokenRejected, TokenVerifier } from './token-verifier';

const MUTATING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * Every route passes here (a global guard), and default deny: a public route is let through, any
 * other needs a verified token whose roles grant the route's permission; a route that names no
 * permission answers 403 to everyone. Refusals are recorded in the audit trail.
 */
@Injectable()
export class AccessGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly verifier: TokenVerifier,
    private readonly audit: AuditTrail,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<string>(PUBLIC_KEY, targets)) return true;
    const request = context.switchToHttp().getRequest<FastifyRequest & { principal?: Principal }>();
    const ctx = currentRequest();
    if (ctx) {
      ctx.params = { ...((request.params as Record<string, string>) ?? {}) };
      // `::` is how a literal colon is written in a route pattern (`/v1/assets::import`).
      ctx.route = request.routeOptions?.url?.replace(/::/g, ':') ?? ctx.route;
    }
    const fallback = { method: request.method, url: request.url, sourceAddress: request.ip };

    const header = request.headers.authorization;
    const token = typeof header === 'string' ? /^Bearer[ ]+([A-Za-z0-9\-._~+/]+=*)\s*$/i.exec(header)?.[1] : undefined;
    let principal: Principal;
    try {
      if (!header) throw new TokenRejected('this route needs an access token (Authorization: Bearer <token>)');
      if (!token) throw new TokenRejected('the Authorization header must be `Bearer <token>`', 'invalid_request');
      principal = await this.verifier.verify(token);
    } catch (error) {
      if (error instanceof IdentityProviderUnavailable) {
        throw new Problem(503, 'Service unavailable', 'The identity provider cannot be reached to verify the token; retry later.', {}, { 'retry-after': '5' });
      }
      const rejected = error instanceof TokenRejected ? error : new TokenRejected('the token could not be verified', 'invalid_token');
      await this.audit.recordRefusal(ctx, 401, rejected.reason, fallback);
      const challenge = rejected.code
        ? `Bearer realm="vigil", error="${rejected.code}", error_description="${rejected.reason.replace(/"/g, "'")}"`
        : 'Bearer realm="vigil"';
      throw new Problem(401, 'Unauthorized', `${capitalise(rejected.reason)}.`, {}, { 'www-authenticate': challenge });
    }
    request.principal = principal;
    if (ctx) ctx.principal = principal;

    const permission = this.reflector.getAllAndOverride<string>(PERMISSION_KEY, targets);
    if (!permission || !isPermission(permission)) {
      await this.audit.recordRefusal(ctx, 403, 'route not in the permission table', fallback);
      throw new Problem(403, 'Forbidden', 'This route is not open to any role.', {}, { 'www-authenticate': 'Bearer realm="vigil", error="insufficient_scope"' });
    }
    if (!allows(principal.roles, permission)) {
      const needed = PERMISSIONS[permission].roles;
      await this.audit.recordRefusal(ctx, 403, `needs ${permission}`, fallback);
      throw new Problem(
        403,
        'Forbidden',
        `This needs the permission ${permission} (${PERMISSIONS[permission].what}), which the roles ${needed.join(', ')} have; you have ${principal.roles.length ? principal.roles.join(', ') : 'no Vigil role'}.`,
        { permission, requiredRoles: needed, roles: principal.roles },
        { 'www-authenticate': `Bearer realm="vigil", error="insufficient_scope"` },
      );
    }
    if (ctx) ctx.audited = MUTATING.has(request.method);
    return true;
  }
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
