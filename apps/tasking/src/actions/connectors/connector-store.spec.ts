import { ConnectorUpdate } from '@vigil/contracts';
import { connectorErrors, toConnectorView, type ConnectorRow } from './connector-store';

describe(connectorErrors.name, () => {
  const base = ConnectorUpdate.parse({ name: 'SOAR', kind: 'http', baseUrl: 'https://soar.example.com/hooks' });

  it('takes a custom HTTP connector whose template uses known names and parameters', () => {
    const templates = { custom_http: { method: 'POST' as const, path: '/run/{{ params.playbook }}', headers: { 'X-Case': '{{ incident.id }}' }, body: { target: '{{ target.value }}', why: '{{ action.reason }}' } } };
    expect(connectorErrors({ ...base, templates })).toEqual([]);
  });

  it('names unknown placeholders, headers Vigil sets, and plain http without the flag', () => {
    const templates = { custom_http: { method: 'POST' as const, path: '/x', headers: { 'Vigil-Signature': 'forged' }, body: { a: '{{ process.env.SECRET }}' } } };
    expect(connectorErrors({ ...base, baseUrl: 'http://soar.example.com', templates })).toEqual([
      { pointer: '/baseUrl', detail: expect.stringMatching(/allowHttp/) },
      { pointer: '/templates/custom_http', detail: expect.stringMatching(/unknown placeholder \{\{ process\.env\.SECRET \}\}/) },
      { pointer: '/templates/custom_http/headers/Vigil-Signature', detail: 'Vigil-Signature is set by Vigil' },
    ]);
  });
});

describe(toConnectorView.name, () => {
  it('never shows the signing key, and lists the actions its templates allow', () => {
    const row: ConnectorRow = {
      id: '00000000-0000-4000-8000-000000000001',
      name: 'IdP',
      kind: 'idp',
      base_url: 'https://idp.example.com',
      secret: 'do-not-show-this-secret',
      timeout_ms: 5000,
      retries: 2,
      allow_private_network: false,
      allow_http: false,
      templates: {},
      created_at: new Date(),
      updated_at: new Date(),
      updated_by: 'u-adam',
    };
    const view = toConnectorView(row);
    expect(JSON.stringify(view)).not.toContain('do-not-show-this-secret');
    expect(view).toMatchObject({ secret: 'set', actionKinds: ['disable_account', 'enable_account', 'reset_credentials'] });
  });
});
