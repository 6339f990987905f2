import { createRemoteJWKSet, errors, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import type { VigilRole } from '@vigil/contracts';
import type { AuthConfig } from './auth-config';
import { isVigilRole, type Principal } from './principal';

/** Why a token was refused, for the 401's problem body and WWW-Authenticate header. */
export class TokenRejected extends Error {
  constructor(
    readonly reason: string,
    /** RFC 6750 error code; absent when no credentials were sent at all. */
    readonly code?: 'invalid_token' | 'invalid_request',
  ) {
    super(reason);
  }
}

/** The identity provider could not be reached (discovery or keys): a 503, not a 401. */
export class IdentityProviderUnavailable extends Error {}

/** Verified tokens kept, so a busy client does not pay a signature check per request. */
const CACHE_LIMIT = 5000;

/**
 * Verifies bearer tokens against the issuer's published keys with `jose`: signature with pinned
 * asymmetric algorithms, `iss`, `aud`, `exp`/`nbf` with a small skew. Keys are fetched from the
 * JWKS (discovered from the issuer unless AUTH_JWKS_URL is set), cached, and fetched again when a
 * token names a key id the cache does not have (the provider rotated its keys).
 */
export class TokenVerifier {
  private keys?: Promise<JWTVerifyGetKey>;
  private readonly cache = new Map<string, { principal: Principal; expiresAt: number }>();

  constructor(
    private readonly config: AuthConfig,
    private readonly fetchImpl: typeof fetch = fetch,
  ) {}

  async verify(token: string): Promise<Principal> {
    const cached = this.cache.get(token);
    if (cached && cached.expiresAt > Date.now()) return cached.principal;
    if (cached) this.cache.delete(token);

    const keys = await this.keySet();
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, keys, {
        issuer: this.config.AUTH_ISSUER,
        audience: this.config.AUTH_AUDIENCE,
        algorithms: this.config.AUTH_ALGORITHMS,
        clockTolerance: this.config.AUTH_CLOCK_SKEW_SECONDS,
        requiredClaims: ['sub', 'exp'],
      }));
    } catch (error) {
      throw this.explain(error);
    }
    const principal = this.principalOf(payload);
    if (this.cache.size >= CACHE_LIMIT) this.cache.delete(this.cache.keys().next().value as string);
    this.cache.set(token, { principal, expiresAt: (payload.exp as number) * 1000 });
    return principal;
  }

  /** The caller as Vigil sees it: subject, name and e-mail where given, roles from the mapped claim. */
  principalOf(payload: JWTPayload): Principal {
    const claim = readPath(payload, this.config.AUTH_ROLES_CLAIM);
    const values = Array.isArray(claim) ? claim.filter((v): v is string => typeof v === 'string') : typeof claim === 'string' ? claim.split(/[ ,]+/) : [];
    const roles = new Set<VigilRole>();
    for (const value of values) {
      const mapped = this.config.AUTH_ROLE_MAPPING?.[value];
      if (mapped) for (const r of Array.isArray(mapped) ? mapped : [mapped]) roles.add(r);
      else if (isVigilRole(value)) roles.add(value);
    }
    const str = (v: unknown) => (typeof v === 'string' && v.length > 0 ? v : undefined);
    const clientId = str(payload.client_id) ?? str(payload.azp);
    const serviceName = str(payload.preferred_username)?.startsWith('service-account-');
    const name = str(payload.name) ?? (serviceName ? undefined : str(payload.preferred_username));
    const email = payload.email_verified === false ? undefined : str(payload.email);
    // Client-credentials tokens name no person: their subject is the client (or, in Keycloak, a
    // `service-account-<client>` user); anything with a name or e-mail is someone signed in.
    const serviceAccount = str(payload.preferred_username)?.startsWith('service-account-') ?? false;
    const person = !!(str(payload.name) || email) || !clientId || !(payload.sub === clientId || serviceAccount || !payload.preferred_username);
    return {
      subject: payload.sub as string,
      ...(name ? { name } : {}),
      ...(email ? { email } : {}),
      kind: person ? 'person' : 'client',
      ...(clientId ? { clientId } : {}),
      roles: [...roles].sort(),
      ...(str(payload.jti) ? { tokenId: payload.jti as string } : {}),
    };
  }

  private keySet(): Promise<JWTVerifyGetKey> {
    this.keys ??= this.resolveJwksUrl().then(
      (url) => createRemoteJWKSet(new URL(url), { cooldownDuration: this.config.AUTH_JWKS_COOLDOWN_SECONDS * 1000, cacheMaxAge: 10 * 60_000, timeoutDuration: 5000 }),
      (error: unknown) => {
        this.keys = undefined; // try discovery again with the next request
        throw error;
      },
    );
    return this.keys;
  }

  private async resolveJwksUrl(): Promise<string> {
    if (this.config.AUTH_JWKS_URL) return this.config.AUTH_JWKS_URL;
    const discovery = `${this.config.AUTH_ISSUER.replace(/\/$/, '')}/.well-known/openid-configuration`;
    let document: { issuer?: string; jwks_uri?: string };
    try {
      const response = await this.fetchImpl(discovery, { signal: AbortSignal.timeout(5000) });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      document = (await response.json()) as typeof document;
    } catch (error) {
      throw new IdentityProviderUnavailable(`OpenID discovery at ${discovery} failed: ${(error as Error).message}`);
    }
    if (document.issuer !== this.config.AUTH_ISSUER || !document.jwks_uri) {
      throw new IdentityProviderUnavailable(`OpenID discovery at ${discovery} names issuer ${document.issuer ?? '(none)'}, not ${this.config.AUTH_ISSUER}, or no jwks_uri`);
    }
    return document.jwks_uri;
  }

  private explain(error: unknown): Error {
    if (error instanceof errors.JWTExpired) return new TokenRejected('the token has expired', 'invalid_token');
    if (error instanceof errors.JWTClaimValidationFailed) {
      const claim = error.claim;
      const what: Record<string, string> = {
        iss: `the token was not issued by ${this.config.AUTH_ISSUER}`,
        aud: `the token is not for this audience (${this.config.AUTH_AUDIENCE})`,
        nbf: 'the token is not valid yet',
        iat: 'the token was issued in the future',
        sub: 'the token has no subject',
        exp: 'the token has no expiry',
      };
      return new TokenRejected(what[claim] ?? `the token's ${claim} claim is not acceptable`, 'invalid_token');
    }
    if (error instanceof errors.JOSEAlgNotAllowed) return new TokenRejected(`the token's signature algorithm is not accepted (accepted: ${this.config.AUTH_ALGORITHMS.join(', ')})`, 'invalid_token');
    if (error instanceof errors.JWKSNoMatchingKey) return new TokenRejected('the token is signed with a key the issuer does not publish', 'invalid_token');
    if (error instanceof errors.JWKSMultipleMatchingKeys) return new TokenRejected('the token names no key id and the issuer publishes several keys', 'invalid_token');
    if (error instanceof errors.JWSSignatureVerificationFailed) return new TokenRejected('the token\'s signature does not verify', 'invalid_token');
    if (error instanceof errors.JWKSTimeout || error instanceof errors.JWKSInvalid || isFetchFailure(error)) {
      return new IdentityProviderUnavailable(`the issuer's keys could not be fetched: ${(error as Error).message}`);
    }
    if (error instanceof errors.JOSEError) return new TokenRejected(`the token is not a valid signed JWT (${error.code})`, 'invalid_token');
    return new TokenRejected('the token is not a valid signed JWT', 'invalid_token');
  }
}

function isFetchFailure(error: unknown): boolean {
  const e = error as { name?: string; cause?: unknown; message?: string };
  return e?.name === 'TypeError' && /fetch failed/.test(e.message ?? '') || (error instanceof errors.JOSEError === false && e?.name === 'AbortError');
}

function readPath(payload: JWTPayload, path: string): unknown {
  if (Object.prototype.hasOwnProperty.call(payload, path)) return payload[path]; // claim names with dots (URIs)
  return path.split('.').reduce<unknown>((node, key) => (node && typeof node === 'object' ? (node as Record<string, unknown>)[key] : undefined), payload);
}
