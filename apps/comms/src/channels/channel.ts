// Types only: the guard itself comes in the delivery context (delivery-guard.ts), so that formatting a
// message (and its unit tests) does not load the platform.
import type { CheckedDestination, DestinationPolicy, Transport } from '@vigil/platform';
import type { ChannelKind, ChannelSettings } from '@vigil/contracts';
import type { z } from 'zod';

export type ChannelConfig<K extends ChannelKind> = z.output<(typeof ChannelSettings)[K]['config']>;
export type ChannelSecrets<K extends ChannelKind> = z.output<(typeof ChannelSettings)[K]['secrets']>;

/** A configured channel with its secrets, as the delivery worker needs it. */
export interface ChannelTarget<K extends ChannelKind = ChannelKind> {
  id: string;
  name: string;
  kind: K;
  config: ChannelConfig<K>;
  secrets: ChannelSecrets<K>;
  /** Where it may deliver (checked and pinned at each delivery: `DeliveryGuard.destination`). */
  network: DestinationPolicy;
}

/**
 * What a channel is asked to carry. `subject` and `body` are already in the channel's markup:
 * template text as its author wrote it, with every value from the incident passed through the
 * channel's `escape`. `facts` and `data` are untrusted values the channel escapes itself.
 */
export interface ChannelContent {
  subject: string;
  body: string;
  /** Label/value pairs shown beside the text (severity, phase …), escaped by the channel. */
  facts: Array<{ title: string; value: string }>;
  /** Structured data for machine receivers (the webhook's JSON), never put into markup. */
  data: Record<string, unknown>;
}

/** Exactly what will be sent: the body is kept in the ledger with its SHA-256. */
export interface Outgoing {
  body: string;
  recipients: string[];
}

export interface DeliveryContext {
  notificationId: string;
  attempt: number;
  timeoutMs: number;
  now: Date;
  /** How a delivery checks, pins and reaches its destination (`deliveryGuard()`). */
  guard: DeliveryGuard;
}

/** The outbound guard as deliveries use it. */
export interface DeliveryGuard {
  /**
   * The address a delivery may connect to, or the receipt of its refusal: the name resolved now,
   * every address it gives checked against the channel's network policy (loopback, private,
   * link-local and metadata addresses refused unless allowed), the first one pinned for the
   * connection. A refusal is final for this delivery (not retried).
   */
  destination(url: string, network: DestinationPolicy): Promise<CheckedDestination | DeliveryReceipt>;
  /** Sends one request to the checked address only. */
  transport: Transport;
}

/** What the channel answered. `retryable: false` ends the retries at once (a 4xx, a 5xx SMTP reply). */
export interface DeliveryReceipt {
  delivered: boolean;
  statusCode: number | null;
  error: string | null;
  retryable: boolean;
  details: Record<string, unknown>;
}

/**
 * One way of reaching people (a seam like novu's providers). Adding a channel is a provider and
 * one entry in the registry; contracts hold its settings (`ChannelSettings`).
 */
export interface ChannelProvider<K extends ChannelKind = ChannelKind> {
  readonly kind: K;
  /** Escapes untrusted text (alert titles, descriptions) for this channel's markup. */
  escape(untrusted: string): string;
  /** Builds the body to send (pure: the same content gives the same bytes). */
  format(content: ChannelContent, target: { config: ChannelConfig<K>; recipients: string[] }): Outgoing;
  /** Sends it: one attempt. Never throws for a refusal or a network failure; says so in the receipt. */
  send(outgoing: Outgoing, target: ChannelTarget<K>, context: DeliveryContext): Promise<DeliveryReceipt>;
}

export const isReceipt = (v: CheckedDestination | DeliveryReceipt): v is DeliveryReceipt => 'delivered' in v;

/**
 * An HTTP POST of a JSON body, as the webhook, Slack and Teams channels deliver: to the checked
 * address only (the name stays in Host and SNI), redirects not followed (a 3xx is a failure).
 */
export async function postJson(url: string, body: string, headers: Record<string, string>, network: DestinationPolicy, context: DeliveryContext): Promise<DeliveryReceipt> {
  const { timeoutMs, guard } = context;
  const destination = await guard.destination(url, network);
  if (isReceipt(destination)) return destination;
  try {
    const response = await guard.transport(
      { method: 'POST', url, headers: { 'content-type': 'application/json', 'user-agent': 'vigil-comms/0.2', ...headers }, body },
      destination,
      timeoutMs,
    );
    const answer = response.body.slice(0, 500);
    if (response.status >= 200 && response.status < 300) return { delivered: true, statusCode: response.status, error: null, retryable: false, details: { status: response.status, answer, address: destination.address } };
    // Throttled, timed out or broken on their side: try again; anything else will not get better.
    const retryable = response.status >= 500 || response.status === 408 || response.status === 429;
    return { delivered: false, statusCode: response.status, error: `HTTP ${response.status}${answer ? `: ${answer.slice(0, 200)}` : ''}`, retryable, details: { status: response.status, answer, address: destination.address } };
  } catch (e) {
    const error = e as Error & { cause?: { message?: string } };
    const message = error.cause ? `${error.message}: ${String(error.cause.message ?? error.cause)}` : error.message;
    return { delivered: false, statusCode: null, error: message, retryable: true, details: { address: destination.address } };
  }
}
