import { INCIDENT_REFERENCE_LABELS, type AlertReceivedV1, type EventData, type ObservableType } from '@vigil/contracts';
import type { CorrelationRuleKind } from '@vigil/contracts';
import { createHash } from 'node:crypto';
import { normaliseHostname, normaliseIp } from '../assets/normalise';

type AlertReceived = EventData<typeof AlertReceivedV1>;

/** The kinds of key an open incident answers to; `dedup_key` always applies. */
export type KeyKind = 'dedup_key' | Exclude<CorrelationRuleKind, 'reference'>;

export interface CorrelationRule {
  kind: CorrelationRuleKind;
  enabled: boolean;
  windowSeconds: number | null;
  observableTypes: ObservableType[];
}

export interface CorrelationKey {
  kind: KeyKind;
  key: string;
  /** Only incidents that saw this key since then qualify (null: any open incident). */
  since: Date | null;
}

/** Which key wins when an alert matches several open incidents: the most specific first. */
export const KEY_PRIORITY: readonly KeyKind[] = ['dedup_key', 'group_key', 'asset_category', 'observable'];

/** Labels that name the incident an alert belongs to (intake keeps them only from integrations allowed to). */
export const REFERENCE_LABELS = INCIDENT_REFERENCE_LABELS;
export const GROUP_KEY_LABEL = 'alertmanager.groupKey';

/**
 * Keys per alert are capped: an alert listing hundreds of observables must not take hundreds of
 * locks. The most specific kinds come first, so the cap drops observables before asset keys.
 */
export const MAX_KEYS = 64;

/**
 * Keys are the primary key of `incident_keys`, a B-tree, whose entries PostgreSQL caps at about
 * 2,700 bytes; intake accepts observables of 2,048 characters and label values of 2,000, which in
 * multi-byte UTF-8 reach 6,000 bytes and more. A key longer than `MAX_KEY_BYTES` is stored as its
 * first `KEY_PREFIX_CHARACTERS` characters (readable when looking at the table) and the SHA-256 of
 * the whole key: equal keys stay equal and different ones different, and every key fits.
 * Migration 1765000000000 rewrites stored keys the same way, in SQL: keep the two in step.
 */
export const MAX_KEY_BYTES = 256;
export const KEY_PREFIX_CHARACTERS = 64;

/** `boundedKey` in SQL, of the text expression `key` (for rewriting stored keys). */
export const boundedKeySql = (key: string) =>
  `CASE WHEN octet_length(${key}) > ${MAX_KEY_BYTES} THEN left(${key}, ${KEY_PREFIX_CHARACTERS}) || '#sha256:' || encode(sha256(convert_to(${key}, 'UTF8')), 'hex') ELSE ${key} END`;

export function boundedKey(key: string): string {
  if (Buffer.byteLength(key, 'utf8') <= MAX_KEY_BYTES) return key;
  // Code points, as PostgreSQL's left() counts characters (a surrogate pair is one character).
  const prefix = Array.from(key).slice(0, KEY_PREFIX_CHARACTERS).join('');
  return `${prefix}#sha256:${createHash('sha256').update(key, 'utf8').digest('hex')}`;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function referencedIncident(alert: Pick<AlertReceived, 'labels'>): string | undefined {
  for (const label of REFERENCE_LABELS) {
    const value = alert.labels[label]?.trim().toLowerCase();
    if (value && UUID.test(value)) return value;
  }
  return undefined;
}

/**
 * The keys an alert is correlated by. Exercise and real alerts never share a key, so an exercise
 * never lands in a real incident (nor the reverse). Registered assets are keyed by their register
 * id, so an alert naming a host and another naming its address still meet.
 */
export function correlationKeys(
  alert: AlertReceived,
  rules: readonly CorrelationRule[],
  registeredAssetIds: readonly string[],
): CorrelationKey[] {
  const scope = alert.exercise ? 'exercise' : 'real';
  const received = new Date(alert.receivedAt).getTime();
  const rule = (kind: CorrelationRuleKind) => rules.find((r) => r.kind === kind && r.enabled);
  const since = (r: CorrelationRule) => (r.windowSeconds === null ? null : new Date(received - r.windowSeconds * 1000));
  const keys = new Map<string, CorrelationKey>();
  const add = (kind: KeyKind, key: string, from: Date | null) => {
    const k = boundedKey(`${scope}|${key}`);
    if (keys.size < MAX_KEYS && !keys.has(`${kind}\u0000${k}`)) keys.set(`${kind}\u0000${k}`, { kind, key: k, since: from });
  };

  // A dedup key is unique within its namespace (an integration, or integrations sharing one): the
  // same key from another namespace is another alert, and must not reach this one's incident.
  add('dedup_key', alert.dedupNamespace ? `${alert.dedupNamespace}|${alert.dedupKey}` : alert.dedupKey, null);
  const groupKey = alert.labels[GROUP_KEY_LABEL];
  const group = rule('group_key');
  if (group && groupKey) add('group_key', groupKey, since(group));

  const assetRule = rule('asset_category');
  if (assetRule && alert.category) {
    const identities = new Set<string>(registeredAssetIds.map((id) => `asset:${id}`));
    for (const a of alert.assets) {
      if (a.id) identities.add(`id:${a.id.trim().toLowerCase()}`);
      if (a.hostname) identities.add(`host:${normaliseHostname(a.hostname) ?? a.hostname}`);
      if (a.ip) identities.add(`ip:${normaliseIp(a.ip) ?? a.ip.toLowerCase()}`);
    }
    for (const identity of identities) add('asset_category', `${identity}|${alert.category}`, since(assetRule));
  }

  const observableRule = rule('observable');
  if (observableRule) {
    for (const o of alert.observables) {
      if (observableRule.observableTypes.includes(o.type)) add('observable', `${o.type}:${o.value.trim().toLowerCase()}`, since(observableRule));
    }
  }
  return [...keys.values()];
}
