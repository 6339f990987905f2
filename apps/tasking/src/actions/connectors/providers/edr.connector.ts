import type { ConnectorProvider } from '../connector-provider';
import { commonFields } from '../connector-provider';

/** An EDR (endpoint detection and response) manager: network-isolates a host and releases it. */
export const edrConnector: ConnectorProvider<'edr'> = {
  kind: 'edr',
  description: 'EDR manager: isolate a host from the network, and release it',
  templates: {
    isolate_host: { method: 'POST', path: '/hosts/isolate', body: { host: '{{ target.value }}', ...commonFields } },
    unisolate_host: { method: 'POST', path: '/hosts/unisolate', body: { host: '{{ target.value }}', ...commonFields } },
  },
};
