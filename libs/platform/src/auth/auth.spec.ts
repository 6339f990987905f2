import { VigilRole } from '@vigil/contracts';
import { AuthConfig } from './auth-config';
import { allows, PERMISSIONS, type Permission } from './permissions';
import { canSeeIncident, type Principal } from './principal';
import { TokenVerifier } from './token-verifier';

const config = (env: Record<string, string> = {}) =>
  AuthConfig.parse({ AUTH_ISSUER: 'https://idp.example/realms/soc', AUTH_AUDIENCE: 'urn:vigil:api', ...env });

const person = (subject: string, roles: VigilRole[], email?: string): Principal => ({ subject, roles, kind: 'person', ...(email ? { email } : {}) });

describe('PERMISSIONS', () => {
  it('grants management and auditors reading and nothing that changes an incident', () => {
    const changes = (Object.keys(PERMISSIONS) as Permission[]).filter((p) => !p.endsWith('.read') && p !== 'alerts.read-raw');
    for (const role of ['management', 'auditor'] as const) {
      expect(allows([role], 'incidents.read')).toBe(true);
      expect(changes.filter((p) => allows([role], p))).toEqual([]);
    }
  });

  it('keeps the audit trail to auditors', () => {
    expect(VigilRole.options.filter((r) => allows([r], 'audit.read'))).toEqual(['auditor']);
  });

  it('lets admins configure but not work incidents', () => {
    expect(allows(['admin'], 'integrations.write')).toBe(true);
    expect(allows(['admin'], 'triage-rules.write')).toBe(true);
    expect(allows(['admin'], 'assets.write')).toBe(true);
    expect(allows(['admin'], 'incidents.acknowledge')).toBe(false);
    expect(allows(['admin'], 'incidents.read')).toBe(false);
  });

  it('grants nothing to a caller without a role', () => {
    expect((Object.keys(PERMISSIONS) as Permission[]).filter((p) => allows([], p))).toEqual([]);
  });
});

describe('AuthConfig', () => {
  it.each(['HS256', 'none', 'RS256,HS512'])('refuses %s among the algorithms', (algorithms) => {
    expect(() => config({ AUTH_ALGORITHMS: algorithms })).toThrow(/asymmetric/);
  });

  it('refuses a role mapping onto an unknown role', () => {
    expect(() => config({ AUTH_ROLE_MAPPING: JSON.stringify({ 'soc-analysts': 'superuser' }) })).toThrow();
  });
});

describe(TokenVerifier.name, () => {
  const sut = new TokenVerifier(
    config({ AUTH_ROLES_CLAIM: 'realm_access.roles', AUTH_ROLE_MAPPING: JSON.stringify({ 'soc-leads': ['ir_manager', 'security_analyst'] }) }),
  );

  it('maps IdP groups to roles, keeps Vigil role names as they are and drops the rest', () => {
    const principal = sut.principalOf({ sub: 'u-1', realm_access: { roles: ['soc-leads', 'auditor', 'offline_access'] }, name: 'Irene', email: 'irene@soc.example' });
    expect(principal).toEqual({ subject: 'u-1', name: 'Irene', email: 'irene@soc.example', kind: 'person', roles: ['auditor', 'ir_manager', 'security_analyst'] });
  });

  it('reads a client-credentials token as a client', () => {
    const principal = sut.principalOf({ sub: 'soar', client_id: 'soar', realm_access: { roles: ['security_analyst'] } });
    expect(principal).toMatchObject({ subject: 'soar', kind: 'client', clientId: 'soar', roles: ['security_analyst'] });
  });

  it('ignores an e-mail address the provider has not verified', () => {
    expect(sut.principalOf({ sub: 'u-2', email: 'ceo@corp.example', email_verified: false }).email).toBeUndefined();
  });
});

describe(canSeeIncident.name, () => {
  const restricted = { restricted: true, owner: 'u-owner', responders: ['u-bob', 'Carol@Soc.Example'] };

  it('shows an unrestricted incident to anyone', () => {
    expect(canSeeIncident(person('u-x', ['security_analyst']), { ...restricted, restricted: false })).toBe(true);
  });

  it('shows a restricted incident to its owner, responders (by subject or e-mail), IR managers and auditors only', () => {
    expect(canSeeIncident(person('u-owner', ['security_analyst']), restricted)).toBe(true);
    expect(canSeeIncident(person('u-bob', ['system_administrator']), restricted)).toBe(true);
    expect(canSeeIncident(person('u-carol', ['communications'], 'carol@soc.example'), restricted)).toBe(true);
    expect(canSeeIncident(person('u-irene', ['ir_manager']), restricted)).toBe(true);
    expect(canSeeIncident(person('u-audrey', ['auditor']), restricted)).toBe(true);
    expect(canSeeIncident(person('u-alice', ['security_analyst']), restricted)).toBe(false);
    expect(canSeeIncident(person('u-maria', ['management']), restricted)).toBe(false);
  });
});

describe('docs/access.md', () => {
  it('shows the permission table exactly as the code has it', () => {
    const { readFileSync } = require('node:fs') as typeof import('node:fs');
    const doc = readFileSync(`${__dirname}/../../../../docs/access.md`, 'utf8');
    const header = doc.split('\n').find((l) => l.startsWith('| permission |'))!;
    const roles = header.split('|').slice(3, -1).map((c) => c.trim());
    const rows = doc
      .split('\n')
      .filter((l) => /^\| `[a-z][\w.-]*` \|/.test(l))
      .map((l) => {
        const cells = l.split('|').slice(1, -1).map((c) => c.trim());
        return [cells[0].replace(/`/g, ''), roles.filter((_r, i) => cells[i + 2] === '✔')];
      });
    expect(Object.fromEntries(rows)).toEqual(Object.fromEntries(Object.entries(PERMISSIONS).map(([p, { roles: r }]) => [p, [...r].sort((a, b) => roles.indexOf(a) - roles.indexOf(b))])));
  });
});

describe('TokenVerifier, Keycloak service accounts', () => {
  it('reads a Keycloak client-credentials token as a client, not a person', () => {
    const sut = new TokenVerifier(config());
    const principal = sut.principalOf({ sub: '4f1c…', azp: 'soar', preferred_username: 'service-account-soar', roles: ['security_analyst'] });
    expect(principal).toMatchObject({ kind: 'client', clientId: 'soar', roles: ['security_analyst'] });
    expect(principal.name).toBeUndefined();
  });
});
