import { ActionKind, type ConnectorKind, type ConnectorUpdate, type ConnectorView, type RequestTemplate } from '@vigil/contracts';
import type { EntityManager } from 'typeorm';
import { placeholdersOf, reservedHeadersOf } from '../templates/render-request';
import { templatesOf } from './registry';

type Db = Pick<EntityManager, 'query'>;

export interface ConnectorRow {
  id: string;
  name: string;
  kind: ConnectorKind;
  base_url: string;
  secret: string;
  timeout_ms: number;
  retries: number;
  allow_private_network: boolean;
  allow_http: boolean;
  templates: Partial<Record<ActionKind, RequestTemplate>>;
  created_at: Date;
  updated_at: Date;
  updated_by: string;
}

/** The names a template may use besides params.<name>. */
export const TEMPLATE_NAMES = ['incident.id', 'incident.title', 'incident.severity', 'incident.category', 'action.id', 'action.kind', 'action.reason', 'target.type', 'target.value', 'requestedBy'] as const;

/** The connector as readers see it: the signing key only as set. */
export function toConnectorView(r: ConnectorRow): ConnectorView {
  const templates = templatesOf(r.kind, r.templates);
  return {
    connectorId: r.id,
    name: r.name,
    kind: r.kind,
    baseUrl: r.base_url,
    timeoutMs: r.timeout_ms,
    retries: r.retries,
    allowPrivateNetwork: r.allow_private_network,
    allowHttp: r.allow_http,
    templates,
    actionKinds: ActionKind.options.filter((k) => templates[k]),
    secret: 'set',
    createdAt: r.created_at.toISOString(),
    updatedAt: r.updated_at.toISOString(),
    updatedBy: r.updated_by,
  };
}

export async function loadConnector(db: Db, connectorId: string, lock = false): Promise<ConnectorRow | null> {
  const [row]: ConnectorRow[] = await db.query(`SELECT * FROM tasking.action_connectors WHERE id = $1 AND archived_at IS NULL ${lock ? 'FOR UPDATE' : ''}`, [connectorId]);
  return row ?? null;
}

/** Field errors of a connector's settings: names its templates do not know, headers Vigil sets, plain http without allowHttp. */
export function connectorErrors(body: Omit<ConnectorUpdate, 'secret'>): Array<{ pointer: string; detail: string }> {
  const errors: Array<{ pointer: string; detail: string }> = [];
  if (new URL(body.baseUrl).protocol === 'http:' && !body.allowHttp) errors.push({ pointer: '/baseUrl', detail: 'plain http needs allowHttp (meant for local test receivers); use https' });
  for (const [kind, template] of Object.entries(body.templates) as Array<[ActionKind, RequestTemplate]>) {
    for (const name of placeholdersOf(template)) {
      if (!(TEMPLATE_NAMES as readonly string[]).includes(name) && !/^params\.[A-Za-z][A-Za-z0-9_]*$/.test(name)) {
        errors.push({ pointer: `/templates/${kind}`, detail: `unknown placeholder {{ ${name} }}: use ${TEMPLATE_NAMES.join(', ')} or params.<name>` });
      }
    }
    for (const header of reservedHeadersOf(template)) errors.push({ pointer: `/templates/${kind}/headers/${header}`, detail: `${header} is set by Vigil` });
  }
  return errors;
}
