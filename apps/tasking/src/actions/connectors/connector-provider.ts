import type { ActionKind, ConnectorKind, RequestTemplate } from '@vigil/contracts';

/**
 * One kind of system Vigil can act through (like comms' channel providers): the actions it
 * carries out and the documented request for each. A connector of this kind may override a
 * template or add one; a custom `http` connector brings its own. Adding a kind is a provider and
 * one entry in the registry.
 */
export interface ConnectorProvider<K extends ConnectorKind = ConnectorKind> {
  readonly kind: K;
  readonly description: string;
  /** The request for each action this kind carries out out of the box. */
  readonly templates: Partial<Record<ActionKind, RequestTemplate>>;
}

/** What every default body carries: which action, on which incident, and why (for the connector's own log). */
export const commonFields = {
  requestId: '{{ action.id }}',
  incidentId: '{{ incident.id }}',
  reason: '{{ action.reason }}',
  requestedBy: '{{ requestedBy }}',
} as const;
