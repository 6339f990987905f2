import type { ConnectorProvider } from '../connector-provider';
import { commonFields } from '../connector-provider';

/** A firewall manager: blocks and unblocks an IP address or a domain on its block lists. */
export const firewallConnector: ConnectorProvider<'firewall'> = {
  kind: 'firewall',
  description: 'Firewall manager: block an IP address or a domain, and unblock it',
  templates: {
    block_ip: { method: 'POST', path: '/blocklist/ips', body: { ip: '{{ target.value }}', comment: 'Vigil incident {{ incident.id }}: {{ action.reason }}', ...commonFields } },
    unblock_ip: { method: 'POST', path: '/blocklist/ips/remove', body: { ip: '{{ target.value }}', ...commonFields } },
    block_domain: { method: 'POST', path: '/blocklist/domains', body: { domain: '{{ target.value }}', comment: 'Vigil incident {{ incident.id }}: {{ action.reason }}', ...commonFields } },
    unblock_domain: { method: 'POST', path: '/blocklist/domains/remove', body: { domain: '{{ target.value }}', ...commonFields } },
  },
};
