import { AsyncLocalStorage } from 'node:async_hooks';
import type { Principal } from './principal';

/**
 * What one HTTP request carries through its handlers and into the database work it causes: the
 * caller, and what the audit record of a change should say. Set by an onRequest hook, so every
 * transaction a request opens can find it (the audit subscriber writes its record in that
 * transaction).
 */
export interface RequestContext {
  requestId: string;
  method: string;
  /** The route pattern (`/v1/incidents/:incidentId/acknowledge`), known once routing is done. */
  route?: string;
  url: string;
  sourceAddress: string;
  principal?: Principal;
  /** Whether a change through this request is recorded in the audit trail (mutating, guarded routes). */
  audited: boolean;
  /** Set once the audit record of this request's change has been written. */
  recorded: boolean;
  /** The response has gone: later work (a timer started here) is not this request's. */
  finished: boolean;
  params: Record<string, string>;
  /** Ids the change touched beyond the path's (set by handlers). */
  touched: Record<string, unknown>;
  /** Digests of the changed resource before and after, when a handler knows them. */
  before?: string;
  after?: string;
  bodyDigest?: string;
}

export const requestContext = new AsyncLocalStorage<RequestContext>();

/** The context of the request being handled, if any. */
export function currentRequest(): RequestContext | undefined {
  return requestContext.getStore();
}

/** Lets a handler say what its change touched, for the audit record. */
export function auditTouch(details: { ids?: Record<string, unknown>; before?: unknown; after?: unknown }, digest: (v: unknown) => string): void {
  const ctx = currentRequest();
  if (!ctx) return;
  if (details.ids) Object.assign(ctx.touched, details.ids);
  if (details.before !== undefined && ctx.before === undefined) ctx.before = digest(details.before);
  if (details.after !== undefined) ctx.after = digest(details.after);
}
