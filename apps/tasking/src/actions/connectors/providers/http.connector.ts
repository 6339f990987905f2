import type { ConnectorProvider } from '../connector-provider';

/** Any HTTP endpoint: no request of its own; the connector's templates say what each action sends (custom_http, typically). */
export const httpConnector: ConnectorProvider<'http'> = {
  kind: 'http',
  description: 'Custom HTTP endpoint: the connector\'s own request templates',
  templates: {},
};
