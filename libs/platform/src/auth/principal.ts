import { VigilRole } from '@vigil/contracts';
import { NEED_TO_KNOW_ROLES } from './permissions';

/** Who is calling: the verified token's subject, what the token says of them, and their Vigil roles. */
export interface Principal {
  /** The token's `sub`: the actor of every change this caller makes. */
  subject: string;
  name?: string;
  email?: string;
  /** A person signed in, or a machine client (client-credentials token: no person behind it). */
  kind: 'person' | 'client';
  /** The OAuth client the token was issued to (`client_id` / `azp`). */
  clientId?: string;
  roles: VigilRole[];
  /** The token's `jti`, when it has one, for the audit record. */
  tokenId?: string;
}

/** What decides who may see an incident: its restriction and its people. */
export interface IncidentAccess {
  restricted: boolean;
  owner: string | null;
  responders: readonly string[];
}

/**
 * Need to know: a restricted incident is visible to its owner, its responders, IR managers and
 * auditors only. Owner and responders are named by subject, or by a verified e-mail address.
 */
export function canSeeIncident(principal: Principal, access: IncidentAccess | null | undefined): boolean {
  if (!access || !access.restricted) return true;
  if (principal.roles.some((r) => NEED_TO_KNOW_ROLES.includes(r))) return true;
  return namesPrincipal([access.owner, ...access.responders], principal);
}

/** Whether one of the names (subjects or e-mail addresses) is this principal. */
export function namesPrincipal(names: readonly (string | null | undefined)[], principal: Principal): boolean {
  const email = principal.email?.toLowerCase();
  return names.some((n) => !!n && (n === principal.subject || (!!email && n.toLowerCase() === email)));
}

/**
 * The SQL condition that keeps restricted rows from someone who may not see them, for list and
 * count queries: `restricted`, `owner` and `responders` are the column expressions of the row's
 * incident (responders a text[]). Adds its parameters to `params` and returns the condition.
 */
export function visibilityCondition(
  principal: Principal,
  columns: { restricted: string; owner: string; responders: string },
  params: unknown[],
): string {
  if (principal.roles.some((r) => NEED_TO_KNOW_ROLES.includes(r))) return 'TRUE';
  const names = [principal.subject, ...(principal.email ? [principal.email.toLowerCase()] : [])];
  params.push(names);
  const p = `$${params.length}`;
  return `(NOT coalesce(${columns.restricted}, false) OR lower(coalesce(${columns.owner}, '')) = ANY(${p}) OR ${columns.owner} = ANY(${p})
    OR EXISTS (SELECT 1 FROM unnest(coalesce(${columns.responders}, '{}'::text[])) AS r(name) WHERE r.name = ANY(${p}) OR lower(r.name) = ANY(${p})))`;
}

export function isVigilRole(value: string): value is VigilRole {
  return VigilRole.safeParse(value).success;
}
