import { z } from 'zod';
import { AssetCriticality, Timestamp, VigilRole } from '../vocabulary';
import { Page } from './incident';

/**
 * Response actions (tasking): outbound calls to configured connectors (an EDR, a firewall
 * manager, an IdP, any HTTP endpoint) that isolate a host, block an IP or a domain, disable an
 * account, reset credentials or make a custom call, each behind an approval policy keyed to the
 * criticality of the asset, with a dry run, a break-glass path reviewed afterwards, and an undo.
 */

export const ConnectorKind = z.enum(['edr', 'firewall', 'idp', 'http']).describe('edr, firewall (manager), idp (identity provider) or http (any custom HTTP endpoint)');
export type ConnectorKind = z.infer<typeof ConnectorKind>;

export const ActionKind = z.enum([
  'isolate_host',
  'unisolate_host',
  'block_ip',
  'unblock_ip',
  'block_domain',
  'unblock_domain',
  'disable_account',
  'enable_account',
  'reset_credentials',
  'custom_http',
]);
export type ActionKind = z.infer<typeof ActionKind>;

export const ActionTargetType = z.enum(['host', 'ip', 'domain', 'account', 'other']);
export type ActionTargetType = z.infer<typeof ActionTargetType>;

/** What each kind acts on, and the kind that undoes it (none for a credential reset or a custom call). */
export const ACTION_KINDS: Record<ActionKind, { target: ActionTargetType | null; undo: ActionKind | null }> = {
  isolate_host: { target: 'host', undo: 'unisolate_host' },
  unisolate_host: { target: 'host', undo: null },
  block_ip: { target: 'ip', undo: 'unblock_ip' },
  unblock_ip: { target: 'ip', undo: null },
  block_domain: { target: 'domain', undo: 'unblock_domain' },
  unblock_domain: { target: 'domain', undo: null },
  disable_account: { target: 'account', undo: 'enable_account' },
  enable_account: { target: 'account', undo: null },
  reset_credentials: { target: 'account', undo: null },
  custom_http: { target: null, undo: null },
};

const TemplateString = z.string().max(2000);
type JsonTemplate = string | number | boolean | null | JsonTemplate[] | { [key: string]: JsonTemplate };
const JsonTemplate: z.ZodType<JsonTemplate> = z.lazy(() => z.union([TemplateString, z.number(), z.boolean(), z.null(), z.array(JsonTemplate).max(100), z.record(z.string().max(200), JsonTemplate)]));

/**
 * How an action becomes an HTTP request: a method, a path under the connector's base URL, headers
 * and a JSON body, with plain `{{ name }}` placeholders (no code, no filters): incident.id,
 * incident.title, incident.severity, incident.category, action.id, action.kind, action.reason,
 * target.type, target.value, requestedBy and params.<name>. A string that is exactly one
 * placeholder takes the value's JSON type; anywhere else values are inserted as text (JSON-escaped
 * by serialisation in the body, percent-encoded in the path).
 */
export const RequestTemplate = z.object({
  method: z.enum(['POST', 'PUT', 'PATCH', 'DELETE']).default('POST'),
  path: z.string().min(1).max(500).regex(/^\//, 'must start with /'),
  headers: z.record(z.string().regex(/^[A-Za-z0-9-]{1,64}$/, 'must be an HTTP header name'), TemplateString).optional(),
  body: JsonTemplate.optional(),
});
export type RequestTemplate = z.infer<typeof RequestTemplate>;

const ConnectorFields = {
  name: z.string().trim().min(1).max(120),
  kind: ConnectorKind,
  baseUrl: z.url({ protocol: /^https?$/ }).max(500).describe('https:// (http:// only with allowHttp); action paths are appended to it'),
  timeoutMs: z.int().min(100).max(30_000).default(5000).describe('per attempt'),
  retries: z.int().min(0).max(5).default(2).describe('further attempts on network errors and 5xx (never on 4xx), with exponential backoff'),
  allowPrivateNetwork: z.boolean().default(false).describe('may reach private, loopback and link-local addresses (a connector on the internal network); refused otherwise'),
  allowHttp: z.boolean().default(false).describe('may use plain http (a local test receiver); https only otherwise'),
  templates: z.partialRecord(ActionKind, RequestTemplate).default({}).describe('request templates by action kind, over the defaults of the connector kind'),
};

export const ConnectorInput = z.object({
  ...ConnectorFields,
  secret: z.string().min(16).max(500).describe('HMAC-SHA256 key for the Vigil-Signature header; never returned'),
});
export type ConnectorInput = z.infer<typeof ConnectorInput>;

export const ConnectorUpdate = z.object({
  ...ConnectorFields,
  secret: z.string().min(16).max(500).optional().describe('a new signing key (rotation); left out: the key stays'),
});
export type ConnectorUpdate = z.infer<typeof ConnectorUpdate>;

export const ConnectorView = z.object({
  connectorId: z.uuid(),
  name: z.string(),
  kind: ConnectorKind,
  baseUrl: z.string(),
  timeoutMs: z.int(),
  retries: z.int(),
  allowPrivateNetwork: z.boolean(),
  allowHttp: z.boolean(),
  templates: z.partialRecord(ActionKind, RequestTemplate).describe('the templates in force: the connector kind\'s defaults and this connector\'s own'),
  actionKinds: z.array(ActionKind).describe('the actions this connector can carry out'),
  secret: z.literal('set').describe('the signing key is set (never shown)'),
  createdAt: Timestamp,
  updatedAt: Timestamp,
  updatedBy: z.string(),
});
export type ConnectorView = z.infer<typeof ConnectorView>;
export const ConnectorList = z.object({ items: z.array(ConnectorView) });

/** Who must approve actions of some kinds on assets of some criticalities, and for how long an approval holds. */
export const ApprovalPolicyInput = z.object({
  name: z.string().trim().min(1).max(120),
  criticalities: z.array(AssetCriticality).min(1).describe('asset criticalities this policy covers'),
  actionKinds: z.array(ActionKind).default([]).describe('action kinds it covers; empty: all'),
  approverRoles: z.array(VigilRole).min(1).describe('an approver must hold one of these roles'),
  approvals: z.int().min(1).max(5).describe('distinct approvers needed (the requester never counts)'),
  expiresAfterMinutes: z.int().min(1).max(10_080).describe('an approval, and the request itself, lapses this long after it was given'),
});
export type ApprovalPolicyInput = z.infer<typeof ApprovalPolicyInput>;

export const ApprovalPolicyView = ApprovalPolicyInput.extend({
  policyId: z.uuid().nullable().describe('null for the built-in default'),
  updatedAt: Timestamp.nullable(),
  updatedBy: z.string().nullable(),
});
export type ApprovalPolicyView = z.infer<typeof ApprovalPolicyView>;
export const ApprovalPolicyList = z.object({ items: z.array(ApprovalPolicyView), defaults: z.array(ApprovalPolicyView).describe('what applies where no stored policy matches') });

export const ActionTarget = z.object({
  type: ActionTargetType,
  value: z.string().trim().min(1).max(255).describe('host name, IP address, domain or account name'),
});
export type ActionTarget = z.infer<typeof ActionTarget>;

export const ActionParameters = z
  .record(z.string().regex(/^[A-Za-z][A-Za-z0-9_]{0,63}$/, 'must be a parameter name'), z.union([z.string().max(2000), z.number(), z.boolean()]))
  .refine((p) => Object.keys(p).length <= 20, { message: 'at most 20 parameters' })
  .default({});

export const RequestAction = z.object({
  connectorId: z.uuid(),
  kind: ActionKind,
  target: ActionTarget,
  parameters: ActionParameters.describe('values for params.<name> in the template'),
  assetCriticality: AssetCriticality.optional().describe("the target's criticality from the asset register; it can raise the incident's, never lower it"),
  reason: z.string().trim().min(1).max(2000),
  taskId: z.uuid().optional().describe('the task (a playbook step) this action carries out'),
});
export type RequestAction = z.infer<typeof RequestAction>;

export const BreakGlassAction = RequestAction.extend({
  breakGlassReason: z.string().trim().min(10).max(2000).describe('why this cannot wait for approvals; reviewed afterwards'),
});
export type BreakGlassAction = z.infer<typeof BreakGlassAction>;

export const ApproveAction = z.object({ note: z.string().trim().max(2000).optional() });
export type ApproveAction = z.infer<typeof ApproveAction>;
export const UndoAction = z.object({ reason: z.string().trim().min(1).max(2000) });
export type UndoAction = z.infer<typeof UndoAction>;
export const RejectAction = z.object({ reason: z.string().trim().min(1).max(2000).describe('why it must not run (or, from the requester, why it is withdrawn)') });
export type RejectAction = z.infer<typeof RejectAction>;
export const ReviewBreakGlass = z.object({ note: z.string().trim().min(1).max(4000).describe('what the review found') });
export type ReviewBreakGlass = z.infer<typeof ReviewBreakGlass>;

/** The exact request an action sends (the dry run), but the signature, which is made when it is sent. */
export const ActionRequestPreview = z.object({
  method: z.string(),
  url: z.string(),
  headers: z.record(z.string(), z.string()),
  body: z.string().nullable().describe('the exact bytes that will be signed and sent'),
  signature: z.string().describe('how the Vigil-Signature header is made at sending time (its value is not shown: it depends on the time)'),
});
export type ActionRequestPreview = z.infer<typeof ActionRequestPreview>;

export const ActionStatus = z.enum(['awaiting_approval', 'executing', 'succeeded', 'failed', 'expired', 'rejected']);
export type ActionStatus = z.infer<typeof ActionStatus>;

export const ActionAttemptView = z.object({
  attempt: z.int(),
  url: z.string(),
  address: z.string().nullable().describe('the address the connection was pinned to; null when refused before connecting'),
  statusCode: z.int().nullable(),
  error: z.string().nullable(),
  at: Timestamp,
  durationMs: z.int(),
});

export const ActionView = z.object({
  actionId: z.uuid(),
  incidentId: z.uuid(),
  taskId: z.uuid().nullable(),
  connector: z.object({ connectorId: z.uuid(), name: z.string(), kind: ConnectorKind }),
  kind: ActionKind,
  target: ActionTarget,
  parameters: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])),
  reason: z.string(),
  criticality: AssetCriticality.describe('the criticality that chose the policy'),
  criticalitySource: z.enum(['incident', 'request', 'unknown']).describe('where it came from: the incident (asset register via triage), the request (raising it), or unknown (treated as high)'),
  policy: z.object({ name: z.string(), policyId: z.uuid().nullable(), approverRoles: z.array(VigilRole), approvals: z.int(), expiresAfterMinutes: z.int() }),
  status: ActionStatus,
  approvals: z.array(z.object({ approver: z.string(), roles: z.array(VigilRole), at: Timestamp, note: z.string().nullable() })),
  expiresAt: Timestamp.nullable().describe('the request lapses unapproved at this time'),
  requestedBy: z.string(),
  requestedAt: Timestamp,
  executedAt: Timestamp.nullable(),
  error: z.string().nullable(),
  breakGlass: z
    .object({ reason: z.string(), reviewedAt: Timestamp.nullable(), reviewedBy: z.string().nullable(), reviewNote: z.string().nullable() })
    .nullable()
    .describe('ran without approvals; reviewed afterwards'),
  rejection: z
    .object({ by: z.string(), at: Timestamp, reason: z.string(), withdrawn: z.boolean().describe('true: the requester withdrew it; false: an approver rejected it') })
    .nullable()
    .describe('turned down before it ran; it never runs'),
  undoOf: z.uuid().nullable().describe('the action this one undoes'),
  undoneBy: z.uuid().nullable().describe('the action that undid this one'),
  undoKind: ActionKind.nullable().describe('the kind that would undo it, when there is one'),
  request: ActionRequestPreview,
  attempts: z.array(ActionAttemptView),
});
export type ActionView = z.infer<typeof ActionView>;
export const ActionList = z.object({ items: z.array(ActionView) });

/** What requesting an action would do, before anything is stored or sent. */
export const ActionDryRun = ActionView.pick({ kind: true, target: true, criticality: true, criticalitySource: true, policy: true, request: true });
export type ActionDryRun = z.infer<typeof ActionDryRun>;

/** A page of break-glass actions, oldest first. */
export const BreakGlassList = Page(ActionView, 'BreakGlassList');
