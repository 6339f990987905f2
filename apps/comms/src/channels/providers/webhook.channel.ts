import { createHmac, timingSafeEqual } from 'node:crypto';
import { postJson, type ChannelProvider } from '../channel';
import { escapePlain } from '../escaping';

export const SIGNATURE_HEADER = 'x-vigil-signature';
export const TIMESTAMP_HEADER = 'x-vigil-timestamp';
/** How far a receiver should let a signed timestamp drift from its own clock. */
export const DEFAULT_TOLERANCE_SECONDS = 300;

/**
 * The signature over a delivery: HMAC-SHA256 of `<timestamp>.<body>` (the timestamp in Unix
 * seconds, as sent in x-vigil-timestamp). Signing the timestamp with the body lets a receiver
 * refuse a captured request replayed later.
 */
export function signWebhook(secret: string, timestamp: number, body: string): string {
  return 'sha256=' + createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
}

/**
 * The receiver's check, as docs/comms.md describes it: the signature must match (compared in
 * constant time) and the timestamp must be within the tolerance of the receiver's clock. A
 * receiver should also remember the x-vigil-notification-id and attempt it has seen within the
 * tolerance window, to drop a replay inside it.
 */
export function verifyWebhook(
  secret: string,
  headers: { signature: string | undefined; timestamp: string | undefined },
  body: string,
  nowSeconds = Math.floor(Date.now() / 1000),
  toleranceSeconds = DEFAULT_TOLERANCE_SECONDS,
): { ok: true } | { ok: false; reason: string } {
  if (!headers.signature || !headers.timestamp) return { ok: false, reason: 'unsigned' };
  if (!/^\d{1,12}$/.test(headers.timestamp)) return { ok: false, reason: 'bad timestamp' };
  const timestamp = Number(headers.timestamp);
  if (Math.abs(nowSeconds - timestamp) > toleranceSeconds) return { ok: false, reason: 'timestamp outside the tolerance (a replay?)' };
  const expected = Buffer.from(signWebhook(secret, timestamp, body));
  const given = Buffer.from(headers.signature);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) return { ok: false, reason: 'signature does not match' };
  return { ok: true };
}

/**
 * A generic webhook: a JSON POST with the message (subject and text, defanged as plain text) and
 * the allow-listed data beside it, signed when the channel has a signing secret.
 */
export const webhookChannel: ChannelProvider<'webhook'> = {
  kind: 'webhook',
  escape: escapePlain,
  format(content, target) {
    return {
      body: JSON.stringify({ type: 'vigil.message', subject: content.subject, text: content.body, facts: content.facts.map((f) => ({ title: f.title, value: escapePlain(f.value) })), ...content.data }),
      recipients: target.recipients,
    };
  },
  async send(outgoing, target, context) {
    const timestamp = Math.floor(context.now.getTime() / 1000);
    const headers: Record<string, string> = {
      'x-vigil-notification-id': context.notificationId,
      'x-vigil-delivery-attempt': String(context.attempt),
      [TIMESTAMP_HEADER]: String(timestamp),
    };
    if (target.secrets.signingSecret) headers[SIGNATURE_HEADER] = signWebhook(target.secrets.signingSecret, timestamp, outgoing.body);
    return postJson(target.config.url, outgoing.body, headers, target.network, context);
  },
};
