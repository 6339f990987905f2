import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * API keys are 32 lower-case alphanumerics, the shape of a PagerDuty integration key, so that an
 * existing PagerDuty sender accepts them as `routing_key`. The first 8 characters identify the
 * key (stored in clear, indexed); the rest is secret and stored only as HMAC-SHA256 with a pepper.
 */
const ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';
export const KEY_LENGTH = 32;
export const PREFIX_LENGTH = 8;

export function generateApiKey(): string {
  const bytes = randomBytes(KEY_LENGTH);
  let key = '';
  // 256 % 36 = 4: reject the top values so every character is equally likely.
  for (let i = 0; key.length < KEY_LENGTH; i++) {
    const b = i < bytes.length ? bytes[i] : randomBytes(1)[0];
    if (b < 252) key += ALPHABET[b % 36];
  }
  return key;
}

export function looksLikeApiKey(value: unknown): value is string {
  return typeof value === 'string' && value.length === KEY_LENGTH && /^[a-z0-9]+$/.test(value);
}

export function keyPrefix(key: string): string {
  return key.slice(0, PREFIX_LENGTH);
}

export function hashApiKey(key: string, pepper: string): string {
  return createHmac('sha256', pepper).update(key).digest('hex');
}

export function apiKeyMatches(key: string, storedHash: string, pepper: string): boolean {
  const a = Buffer.from(hashApiKey(key, pepper), 'hex');
  const b = Buffer.from(storedHash, 'hex');
  return a.length === b.length && timingSafeEqual(a, b);
}
