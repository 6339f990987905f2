import type { ConnectorProvider } from '../connector-provider';
import { commonFields } from '../connector-provider';

/** An identity provider: disables and re-enables an account, resets its credentials (and ends its sessions). */
export const idpConnector: ConnectorProvider<'idp'> = {
  kind: 'idp',
  description: 'Identity provider: disable an account and enable it again, reset its credentials',
  templates: {
    disable_account: { method: 'POST', path: '/accounts/{{ target.value }}/disable', body: { account: '{{ target.value }}', revokeSessions: true, ...commonFields } },
    enable_account: { method: 'POST', path: '/accounts/{{ target.value }}/enable', body: { account: '{{ target.value }}', ...commonFields } },
    reset_credentials: { method: 'POST', path: '/accounts/{{ target.value }}/reset-credentials', body: { account: '{{ target.value }}', revokeSessions: true, ...commonFields } },
  },
};
