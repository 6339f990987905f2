// `npm run token -- alice`: an access token for a demo person from the local OpenID provider that
// `npm start` runs, printed alone on stdout so that `TOKEN=$(npm run -s token -- alice)` works.
//   npm run token -- alice                                  a demo person (demo-login grant)
//   npm run token -- --client vigil-automation [--secret S] a machine client (client credentials)
//   npm run token -- --list                                 the demo people and their roles
// The provider is the one named in .data/oidc.json (written by npm start) or by VIGIL_OIDC_ISSUER.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { clientCredentialsToken, DEMO_CLIENTS, DEMO_USERS, demoLoginToken, rolesOf, TokenRequestError } from './oidc.mjs';
import { root } from './provision.mjs';

const usage = `usage: npm run -s token -- <person>
       npm run -s token -- --client <client-id> [--secret <secret>]
       npm run -s token -- --list`;

function fail(message) {
  console.error(`token: ${message}`);
  process.exit(1);
}

/** Where to ask: VIGIL_OIDC_ISSUER (its discovery document), else what npm start wrote. */
async function provider() {
  const issuer = process.env.VIGIL_OIDC_ISSUER;
  if (issuer) {
    const url = `${issuer.replace(/\/$/, '')}/.well-known/openid-configuration`;
    const res = await fetch(url).catch((e) => fail(`cannot reach ${url} (${e.cause?.code ?? e.cause?.message ?? e.message}); is VIGIL_OIDC_ISSUER right?`));
    if (!res.ok) fail(`${url} answered HTTP ${res.status}; is VIGIL_OIDC_ISSUER right?`);
    return { issuer, tokenEndpoint: (await res.json()).token_endpoint, hint: 'is VIGIL_OIDC_ISSUER right?' };
  }
  const file = join(root, '.data', 'oidc.json');
  if (!existsSync(file)) fail('no local OpenID provider is running (.data/oidc.json is missing): is `npm start` running? (or set VIGIL_OIDC_ISSUER)');
  return { ...JSON.parse(readFileSync(file, 'utf8')), hint: 'is `npm start` running?' };
}

async function main() {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      client: { type: 'string' },
      secret: { type: 'string' },
      list: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) return console.log(usage);
  if (values.list) {
    const width = Math.max(...DEMO_USERS.map((u) => u.username.length));
    for (const u of DEMO_USERS) console.log(`${u.username.padEnd(width)}  ${rolesOf(u.groups).join(', ').padEnd(22)}  ${u.name} <${u.email}>  sub ${u.sub}`);
    for (const c of DEMO_CLIENTS) console.log(`client ${c.clientId} (secret ${c.secret}): ${rolesOf(c.groups).join(', ')}`);
    return;
  }
  if (!values.client && positionals.length !== 1) fail(`name one demo person (or --client); see --list\n${usage}`);

  const { tokenEndpoint, hint } = await provider();
  try {
    let token;
    if (values.client) {
      const secret = values.secret ?? DEMO_CLIENTS.find((c) => c.clientId === values.client)?.secret;
      if (!secret) fail(`no secret known for client ${values.client}: pass --secret`);
      token = await clientCredentialsToken(tokenEndpoint, values.client, secret);
    } else {
      token = await demoLoginToken(tokenEndpoint, positionals[0]);
    }
    console.log(token.accessToken);
  } catch (error) {
    if (error instanceof TokenRequestError) {
      const extra = error.error === 'invalid_grant' ? ' (see `npm run token -- --list`)' : '';
      fail(`${error.message}${extra}`);
    }
    fail(`cannot reach the OpenID provider at ${tokenEndpoint} (${error.cause?.code ?? error.cause?.message ?? error.message}): ${hint}`);
  }
}

main().catch((error) => fail(error.message));
