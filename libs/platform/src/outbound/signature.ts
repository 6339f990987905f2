import { createHmac, timingSafeEqual } from 'node:crypto';

/*
 * The signature on every outbound call Vigil makes to a connector: HMAC-SHA256 with the
 * connector's secret over `<unix seconds>.<raw body>`, sent as
 * `Vigil-Signature: t=<unix seconds>,v1=<hex>`. Signing the timestamp with the body lets a
 * receiver refuse a replay: an old request, even one signed correctly, is outside the tolerance.
 */

export const SIGNATURE_HEADER = 'vigil-signature';
export const DEFAULT_TOLERANCE_SECONDS = 300;

const mac = (secret: string, timestamp: number, body: string) => createHmac('sha256', secret).update(`${timestamp}.${body}`, 'utf8').digest('hex');

/** The header value for a body sent at `at`. */
export function signRequest(secret: string, body: string, at: Date): string {
  const timestamp = Math.floor(at.getTime() / 1000);
  return `t=${timestamp},v1=${mac(secret, timestamp, body)}`;
}

export type SignatureCheck = { valid: true; timestamp: number } | { valid: false; reason: string };

/**
 * The receiver's check (what a connector or a test receiver runs on each request): the header is
 * well formed, its timestamp within `toleranceSeconds` of the receiver's clock (either way), and
 * one of its `v1` signatures matches, compared in constant time. Pass the raw body exactly as
 * received, before any JSON parsing. A receiver that must also refuse a replay inside the
 * tolerance keeps the signatures it accepted until they are older than the tolerance.
 */
export function verifySignature(input: { header: string | string[] | undefined; body: string; secret: string; now?: Date; toleranceSeconds?: number }): SignatureCheck {
  const header = Array.isArray(input.header) ? input.header[0] : input.header;
  if (!header) return { valid: false, reason: 'no signature header' };
  const parts = header.split(',').map((p) => p.trim().split('='));
  const t = parts.find(([k]) => k === 't')?.[1];
  const signatures = parts.filter(([k, v]) => k === 'v1' && v).map(([, v]) => v);
  if (!t || !/^\d{1,12}$/.test(t) || signatures.length === 0) return { valid: false, reason: 'malformed signature header' };
  const timestamp = Number(t);
  const now = Math.floor((input.now ?? new Date()).getTime() / 1000);
  if (Math.abs(now - timestamp) > (input.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS)) return { valid: false, reason: 'timestamp outside the tolerance (a replay or a wrong clock)' };
  const expected = Buffer.from(mac(input.secret, timestamp, input.body), 'hex');
  const matches = signatures.some((s) => {
    const given = Buffer.from(s, 'hex');
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
  return matches ? { valid: true, timestamp } : { valid: false, reason: 'signature does not match' };
}
