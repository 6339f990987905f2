import type { ActionKind, ConnectorKind, RequestTemplate } from '@vigil/contracts';
import type { ConnectorProvider } from './connector-provider';
import { edrConnector } from './providers/edr.connector';
import { firewallConnector } from './providers/firewall.connector';
import { httpConnector } from './providers/http.connector';
import { idpConnector } from './providers/idp.connector';

/** Every kind of connector tasking can act through. */
export const CONNECTOR_PROVIDERS: { [K in ConnectorKind]: ConnectorProvider<K> } = {
  edr: edrConnector,
  firewall: firewallConnector,
  idp: idpConnector,
  http: httpConnector,
};

export function providerOf<K extends ConnectorKind>(kind: K): ConnectorProvider<K> {
  return CONNECTOR_PROVIDERS[kind] as ConnectorProvider<K>;
}

/** The templates in force for a connector: its kind's defaults, overridden or extended by its own. */
export function templatesOf(kind: ConnectorKind, own: Partial<Record<ActionKind, RequestTemplate>>): Partial<Record<ActionKind, RequestTemplate>> {
  return { ...providerOf(kind).templates, ...own };
}
