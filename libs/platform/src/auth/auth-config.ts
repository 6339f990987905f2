import { z } from 'zod';
import { VigilRole } from '@vigil/contracts';

const ASYMMETRIC = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519'] as const;

const roleMapping = z
  .string()
  .transform((text, ctx) => {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      ctx.addIssue({ code: 'custom', message: 'must be a JSON object of IdP group → Vigil role(s)' });
      return z.NEVER;
    }
  })
  .pipe(
    z.record(z.string(), z.union([VigilRole, z.array(VigilRole)]), {
      error: `must map IdP groups to Vigil roles (${VigilRole.options.join(', ')})`,
    }),
  );

/**
 * How a service verifies callers: the OpenID provider that issues tokens, the audience tokens must
 * be for, where roles are found in them and how IdP groups map to Vigil roles.
 */
export const AuthConfig = z.object({
  AUTH_ISSUER: z.url().describe('the OpenID provider that issues access tokens (its `iss`)'),
  AUTH_AUDIENCE: z.string().min(1).describe('the `aud` an access token must carry to be accepted here'),
  AUTH_JWKS_URL: z.url().optional().describe('the provider\'s signing keys; default: discovered from the issuer'),
  AUTH_ROLES_CLAIM: z
    .string()
    .regex(/^[\w:/.-]+$/, 'a claim name or a dot path such as realm_access.roles')
    .default('roles')
    .describe('the claim (dot path) that carries roles or groups'),
  AUTH_ROLE_MAPPING: roleMapping.optional().describe('IdP group → Vigil role(s); a claim value that is a Vigil role name counts as itself'),
  AUTH_ALGORITHMS: z
    .string()
    .default('RS256,PS256,ES256,EdDSA')
    .transform((v) => v.split(',').map((a) => a.trim()).filter(Boolean))
    .pipe(
      z
        .array(z.enum(ASYMMETRIC, { error: `only asymmetric algorithms are accepted (${ASYMMETRIC.join(', ')}); never none or HS*` }))
        .min(1),
    )
    .describe('signature algorithms accepted (asymmetric only)'),
  AUTH_JWKS_COOLDOWN_SECONDS: z.coerce
    .number()
    .int()
    .min(0)
    .max(600)
    .default(30)
    .describe('after fetching the keys, how long before a token with an unknown key id may make them be fetched again'),
  AUTH_CLOCK_SKEW_SECONDS: z.coerce.number().int().min(0).max(300).default(30).describe('tolerance for exp/nbf/iat'),
  METRICS_BEARER_TOKEN: z
    .string()
    .min(16)
    .optional()
    .meta({ sensitive: true })
    .describe('when set, /metrics needs `Authorization: Bearer <this>` (for Prometheus)'),
});
export type AuthConfig = z.infer<typeof AuthConfig>;
