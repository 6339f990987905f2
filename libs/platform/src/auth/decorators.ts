import { applyDecorators, createParamDecorator, SetMetadata, type ExecutionContext } from '@nestjs/common';
import { ApiBearerAuth, ApiExtension } from '@nestjs/swagger';
import { ApiProblems } from '../http/openapi';
import type { Permission } from './permissions';
import type { Principal } from './principal';

export const PERMISSION_KEY = 'vigil:permission';
export const PUBLIC_KEY = 'vigil:public';

/** The OpenAPI security scheme of OpenID Connect access tokens. */
export const BEARER_SCHEME = 'bearer';

/**
 * The permission a route needs (see PERMISSIONS). The caller must present a valid access token
 * whose roles grant it; the route is documented with the bearer scheme and its 401/403 answers.
 */
export const Permit = (permission: Permission) =>
  applyDecorators(SetMetadata(PERMISSION_KEY, permission), ApiBearerAuth(BEARER_SCHEME), ApiExtension('x-vigil-permission', permission), ApiProblems(401, 403));

/**
 * A route open without a token: health, intake's ingest routes (which check their own API keys)
 * and tasking's calendar feeds (which check a person's feed token: calendar clients cannot send a
 * bearer token). Anything else must name a permission.
 */
export const Public = (why: 'health' | 'api-key' | 'feed-token') => SetMetadata(PUBLIC_KEY, why);

/** The verified caller of a guarded route. */
export const Caller = createParamDecorator((_data: unknown, ctx: ExecutionContext): Principal => {
  const principal = ctx.switchToHttp().getRequest<{ principal?: Principal }>().principal;
  // The guard runs before any handler; a guarded route without a principal is a wiring fault.
  if (!principal) throw new Error('no verified caller on a guarded route');
  return principal;
});
