import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { as, clientToken, http, oidcEnv, tokenFor, TokenRequestError } from './support/harness';

describe('the OpenID provider of the tests (tools/stack/oidc.mjs)', () => {
  const oidc = oidcEnv();
  let verify: (token: string) => ReturnType<typeof jwtVerify>;

  beforeAll(async () => {
    // As a resource server finds the keys: through the issuer's discovery document.
    const discovery = await http('GET', `${oidc.issuer}/.well-known/openid-configuration`, undefined, { authorization: '' });
    expect(discovery.status).toBe(200);
    expect(discovery.json.issuer).toBe(oidc.issuer);
    const keys = createRemoteJWKSet(new URL(discovery.json.jwks_uri));
    verify = (token) => jwtVerify(token, keys, { issuer: oidc.issuer, audience: oidc.audience, algorithms: ['RS256'], typ: 'at+jwt' });
  });

  it("issues a demo person's access token as an RS256 JWT with who they are and their groups", async () => {
    const token = await tokenFor('alice');
    expect(decodeProtectedHeader(token)).toMatchObject({ alg: 'RS256', typ: 'at+jwt', kid: expect.any(String) });
    const { payload } = await verify(token);
    expect(payload).toMatchObject({
      iss: oidc.issuer,
      aud: oidc.audience,
      sub: 'u-alice',
      client_id: 'vigil-cli',
      name: 'Alice Archer',
      email: 'alice@soc.example',
      email_verified: true,
      groups: ['soc-analysts'],
    });
    expect(oidc.roleMapping['soc-analysts']).toBe('security_analyst');
    expect(payload.exp! - payload.iat!).toBeGreaterThan(60);
    // Cached: the same token until it nears its expiry.
    expect(await tokenFor('alice')).toBe(token);
    expect(await as('alice')).toEqual({ authorization: `Bearer ${token}` });
  });

  it('gives the test user every role', async () => {
    const { payload } = await verify(await tokenFor('tester'));
    expect(payload.sub).toBe('u-tester');
    const roles = new Set((payload.groups as string[]).flatMap((g) => oidc.roleMapping[g]));
    expect([...roles].sort()).toEqual(['admin', 'auditor', 'communications', 'ir_manager', 'legal', 'management', 'security_analyst', 'system_administrator']);
  });

  it("issues a machine client's token through client credentials, with the client as subject", async () => {
    const { payload } = await verify(await clientToken('vigil-automation', 'vigil-automation-secret'));
    expect(payload).toMatchObject({ sub: 'vigil-automation', client_id: 'vigil-automation', groups: ['soc-analysts'], aud: oidc.audience });
    expect(payload.email).toBeUndefined();
  });

  it('refuses a wrong client secret and an unknown person with OAuth errors', async () => {
    await expect(clientToken('vigil-automation', 'not-the-secret')).rejects.toMatchObject({ status: 401, error: 'invalid_client' });
    await expect(tokenFor('mallory')).rejects.toBeInstanceOf(TokenRequestError);
    await expect(tokenFor('mallory')).rejects.toMatchObject({ status: 400, error: 'invalid_grant', description: expect.stringContaining('mallory') });
  });

  it('keeps the demo-login grant to the public command-line client', async () => {
    const basic = Buffer.from('vigil-automation:vigil-automation-secret').toString('base64');
    const res = await fetch(oidc.tokenUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${basic}` },
      body: new URLSearchParams({ grant_type: 'urn:vigil:params:oauth:grant-type:demo-login', username: 'adam' }),
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: 'invalid_request', error_description: expect.stringMatching(/not allowed for this client/) });
  });
});
