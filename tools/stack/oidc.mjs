// A real OpenID provider (the certified `oidc-provider` library) for `npm start` and the tests:
// demo people with IdP groups, RFC 9068 JWT access tokens for Vigil's API signed RS256, client
// credentials for machines, a demo-login grant that stands in for a browser login on the command
// line, and authorization code + PKCE through the library's development login pages.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { dirname } from 'node:path';
import { calculateJwkThumbprint } from 'jose';

export const DEMO_AUDIENCE = 'urn:vigil:api';
export const DEMO_ROLES_CLAIM = 'groups';
export const DEMO_LOGIN_GRANT = 'urn:vigil:params:oauth:grant-type:demo-login';
/** The public client of the command line (no secret): demo login, and code + PKCE on loopback. */
export const CLI_CLIENT_ID = 'vigil-cli';

/** IdP group → Vigil role, the value of AUTH_ROLE_MAPPING for the local provider. */
export const DEMO_ROLE_MAPPING = {
  'soc-ir-managers': 'ir_manager',
  'soc-analysts': 'security_analyst',
  'it-sysadmins': 'system_administrator',
  'corp-communications': 'communications',
  'legal-counsel': 'legal',
  management: 'management',
  'internal-audit': 'auditor',
  'vigil-admins': 'admin',
};

const person = (username, name, group) => ({ username, sub: `u-${username}`, name, email: `${username}@soc.example`, groups: [group] });

/** One demo person per role; `sub` is what Vigil stores, `username` what one types. */
export const DEMO_USERS = [
  person('irene', 'Irene Ireland', 'soc-ir-managers'),
  person('alice', 'Alice Archer', 'soc-analysts'),
  person('bob', 'Bob Baker', 'soc-analysts'),
  person('sam', 'Sam Sato', 'it-sysadmins'),
  person('carol', 'Carol Carter', 'corp-communications'),
  person('leo', 'Leo Lang', 'legal-counsel'),
  person('maria', 'Maria Moreno', 'management'),
  person('audrey', 'Audrey Adler', 'internal-audit'),
  person('adam', 'Adam Adams', 'vigil-admins'),
];

/** Machine clients (client credentials); the token's subject is the client id. */
export const DEMO_CLIENTS = [{ clientId: 'vigil-automation', secret: 'vigil-automation-secret', groups: ['soc-analysts'] }];

/** The Vigil roles a set of IdP groups maps to (for listings; the services do their own mapping). */
export function rolesOf(groups, mapping = DEMO_ROLE_MAPPING) {
  return [...new Set(groups.flatMap((g) => [mapping[g] ?? []].flat()))];
}

/** A refusal from a token endpoint, with the OAuth error code and description. */
export class TokenRequestError extends Error {
  constructor(message, { status, error, description } = {}) {
    super(message);
    this.status = status;
    this.error = error;
    this.description = description;
  }
}

async function requestToken(tokenEndpoint, form, headers = {}) {
  const res = await fetch(tokenEndpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json', ...headers },
    body: new URLSearchParams(form),
  });
  const body = await res.json().catch(() => ({}));
  if (!res.ok || !body.access_token) {
    const reason = body.error ? `${body.error}${body.error_description ? `: ${body.error_description}` : ''}` : `HTTP ${res.status}`;
    throw new TokenRequestError(`the token endpoint refused: ${reason}`, { status: res.status, error: body.error, description: body.error_description });
  }
  return { accessToken: body.access_token, expiresIn: body.expires_in };
}

/** A demo person's access token through the demo-login grant (the local provider only). */
export function demoLoginToken(tokenEndpoint, username) {
  return requestToken(tokenEndpoint, { grant_type: DEMO_LOGIN_GRANT, client_id: CLI_CLIENT_ID, username });
}

/** A machine client's access token (client credentials, client_secret_basic). */
export function clientCredentialsToken(tokenEndpoint, clientId, secret, resource) {
  // RFC 6749 §2.3.1: both halves are form-encoded before the Basic encoding.
  const enc = (s) => encodeURIComponent(s).replace(/%20/g, '+');
  const basic = Buffer.from(`${enc(clientId)}:${enc(secret)}`).toString('base64');
  return requestToken(tokenEndpoint, { grant_type: 'client_credentials', ...(resource ? { resource } : {}) }, { authorization: `Basic ${basic}` });
}

/** An RS256 private JWK with a `kid`: read from `keyFile`, or made (and kept there) once. */
export async function loadSigningKey(keyFile) {
  if (keyFile && existsSync(keyFile)) return JSON.parse(readFileSync(keyFile, 'utf8'));
  const jwk = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' });
  const key = { ...jwk, kid: await calculateJwkThumbprint(jwk), alg: 'RS256', use: 'sig' };
  if (keyFile) {
    mkdirSync(dirname(keyFile), { recursive: true });
    writeFileSync(keyFile, JSON.stringify(key, null, 2), { mode: 0o600 });
  }
  return key;
}

/** The whole request body as a string (for the login form, read before oidc-provider sees it). */
async function readForm(req) {
  let body = '';
  for await (const chunk of req) {
    body += chunk;
    if (body.length > 16_384) throw new Error('form too large');
  }
  return new URLSearchParams(body);
}

const escapeHtml = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/**
 * Starts the provider on `host:port` (port 0: any free port). Its issuer is `http://host:port`
 * unless `issuer` says otherwise. Resolves once it listens.
 */
export async function startOidcProvider({
  port = 0,
  host = '127.0.0.1',
  issuer,
  keyFile,
  audience = DEMO_AUDIENCE,
  users = DEMO_USERS,
  clients = DEMO_CLIENTS,
  accessTokenTtlSeconds = 3600,
} = {}) {
  // Loaded here so that the constants above cost nothing to the token tool.
  const { Provider, errors } = await import('oidc-provider');
  const key = await loadSigningKey(keyFile);

  // Listen first so that port 0 works: the issuer must name the real port.
  const server = createServer();
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const actualPort = server.address().port;
  issuer ??= `http://${host.includes(':') ? `[${host}]` : host}:${actualPort}`;

  const bySub = new Map(users.map((u) => [u.sub, u]));
  const findUser = (name) => users.find((u) => u.username === name || u.sub === name);
  const machines = new Map(clients.map((c) => [c.clientId, c]));
  const resourceServer = { scope: '', audience, accessTokenFormat: 'jwt', accessTokenTTL: accessTokenTtlSeconds, jwt: { sign: { alg: 'RS256' } } };

  const configuration = {
    jwks: { keys: [key] },
    clients: [
      ...clients.map((c) => ({
        client_id: c.clientId,
        client_secret: c.secret,
        grant_types: ['client_credentials'],
        response_types: [],
        redirect_uris: [],
        token_endpoint_auth_method: 'client_secret_basic',
      })),
      {
        client_id: CLI_CLIENT_ID,
        application_type: 'native',
        token_endpoint_auth_method: 'none',
        grant_types: [DEMO_LOGIN_GRANT, 'authorization_code', 'refresh_token'],
        response_types: ['code'],
        // Native clients may use any port on a loopback redirect (RFC 8252 §7.3).
        redirect_uris: ['http://127.0.0.1/callback', 'http://localhost/callback'],
      },
    ],
    responseTypes: ['code'],
    claims: { openid: ['sub'], profile: ['name'], email: ['email', 'email_verified'], groups: ['groups'] },
    scopes: ['openid', 'offline_access', 'profile', 'email', 'groups'],
    async findAccount(_ctx, sub) {
      const user = bySub.get(sub);
      if (!user) return undefined;
      return {
        accountId: user.sub,
        async claims() {
          return { sub: user.sub, name: user.name, email: user.email, email_verified: true, groups: user.groups };
        },
      };
    },
    features: {
      devInteractions: { enabled: true },
      clientCredentials: { enabled: true },
      introspection: { enabled: true },
      revocation: { enabled: true },
      resourceIndicators: {
        enabled: true,
        // Every token is for Vigil's API unless a client names it explicitly.
        async defaultResource() {
          return audience;
        },
        async useGrantedResource() {
          return true;
        },
        async getResourceServerInfo(_ctx, indicator) {
          if (indicator !== audience) throw new errors.InvalidTarget(`the only resource here is ${audience}`);
          return resourceServer;
        },
      },
    },
    // RFC 9068 names the person's attributes and groups in the access token itself.
    async extraTokenClaims(_ctx, token) {
      if (token.kind === 'ClientCredentials') {
        const machine = machines.get(token.clientId);
        return machine ? { groups: machine.groups } : undefined;
      }
      const user = token.accountId && bySub.get(token.accountId);
      return user ? { name: user.name, email: user.email, email_verified: true, groups: user.groups } : undefined;
    },
    // Interaction state lives in memory for one run only, so fresh cookie keys per run are right.
    cookies: { keys: [randomBytes(32).toString('base64url')] },
    ttl: {
      AccessToken: accessTokenTtlSeconds,
      ClientCredentials: accessTokenTtlSeconds,
      AuthorizationCode: 60,
      IdToken: 3600,
      RefreshToken: 24 * 3600,
      Interaction: 3600,
      Session: 14 * 24 * 3600,
      Grant: 14 * 24 * 3600,
    },
    renderError(ctx, out) {
      ctx.type = 'html';
      ctx.body = `<!DOCTYPE html><title>${escapeHtml(out.error)}</title><h1>${escapeHtml(out.error)}</h1><p>${escapeHtml(out.error_description ?? '')}</p>`;
    },
  };

  // The development login pages and the in-memory store are deliberate here (a local stand-in;
  // access tokens are JWTs that outlive a restart anyway), so the library's two warnings about
  // them are only noise. Every other warning still shows.
  const warn = console.warn;
  console.warn = (...args) => {
    if (!/devInteractions|in-memory adapter/.test(String(args[0]))) warn(...args);
  };
  let provider;
  try {
    provider = new Provider(issuer, configuration);
  } finally {
    console.warn = warn;
  }
  provider.on('server_error', (_ctx, error) => console.error(`oidc: ${error.stack ?? error.message}`));

  // The demo login: a username in, that person's access token out. Only `vigil-cli` lists this
  // grant type, and oidc-provider refuses grant types a client does not list.
  provider.registerGrantType(
    DEMO_LOGIN_GRANT,
    async (ctx) => {
      const { client, params } = ctx.oidc;
      if (!params.username) throw new errors.InvalidRequest("missing required parameter 'username'");
      const user = findUser(params.username);
      if (!user) throw new errors.CustomOIDCProviderError('invalid_grant', `unknown demo user "${params.username}"`);
      const resource = params.resource ?? audience;
      if (resource !== audience) throw new errors.InvalidTarget(`the only resource here is ${audience}`);
      const grant = new provider.Grant({ accountId: user.sub, clientId: client.clientId });
      grant.addResourceScope(audience, '');
      const token = new provider.AccessToken({ accountId: user.sub, client, grantId: await grant.save(), gty: 'demo_login' });
      token.resourceServer = new provider.ResourceServer(audience, resourceServer);
      ctx.oidc.entity('AccessToken', token);
      const accessToken = await token.save();
      ctx.body = { access_token: accessToken, token_type: token.tokenType, expires_in: token.expiration };
    },
    ['username', 'resource'],
  );

  // The development login page takes any name as the subject; here it must name a demo person
  // (by username or subject), and the session gets that person's subject.
  provider.use(async (ctx, next) => {
    if (ctx.method !== 'POST' || !/^\/interaction\/[^/]+$/.test(ctx.path)) return next();
    let details;
    try {
      details = await provider.interactionDetails(ctx.req, ctx.res);
    } catch {
      return next();
    }
    if (details.prompt.name !== 'login') return next();
    const login = (await readForm(ctx.req)).get('login') ?? '';
    const user = findUser(login.trim());
    if (!user) {
      ctx.status = 400;
      ctx.type = 'html';
      ctx.body = `<!DOCTYPE html><title>Unknown user</title><p>"${escapeHtml(login)}" is not a demo person. Try one of: ${users
        .map((u) => escapeHtml(u.username))
        .join(', ')} (any password).</p><p><a href="${escapeHtml(ctx.path)}">Back</a></p>`;
      return;
    }
    await provider.interactionFinished(ctx.req, ctx.res, { login: { accountId: user.sub } }, { mergeWithLastSubmission: false });
    ctx.respond = false;
  });

  server.on('request', provider.callback());
  const sockets = new Set();
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });

  return {
    issuer,
    jwksUri: provider.urlFor('jwks'),
    tokenEndpoint: provider.urlFor('token'),
    port: actualPort,
    stop: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        // Keep-alive connections would hold close() open.
        for (const s of sockets) s.destroy();
      }),
  };
}
