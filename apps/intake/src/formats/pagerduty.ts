import type { FieldError } from '@vigil/contracts';
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { LIMITS, Labels, hostAsset, isRecord, isoTime, neverThrow, oneLine, stringify, text, toSignal, truncate, uniqueAssets, zodErrors } from './common';
import { ObservableCollector } from './observables';
import { pagerDutySeverity } from './severity';
import type { MappingResult } from './signal';

/**
 * PagerDuty Events API v2, alert events (https://developer.pagerduty.com/docs/events-api-v2/trigger-events/).
 * Loose: fields PagerDuty may add are kept in the raw payload.
 */
export const PAGERDUTY_ROUTING_KEY_LENGTH = 32;

export const PagerDutyEvent = z.looseObject({
  routing_key: z
    .string()
    .trim()
    .min(1)
    .refine((key) => key.length === PAGERDUTY_ROUTING_KEY_LENGTH, `length is incorrect (should be ${PAGERDUTY_ROUTING_KEY_LENGTH} characters)`),
  event_action: z.enum(['trigger', 'acknowledge', 'resolve']),
  dedup_key: z.string().min(1).max(255).optional(),
  payload: z.unknown().optional(),
  images: z
    .array(z.looseObject({ src: z.string().trim().min(1), href: z.string().optional(), alt: z.string().optional() }))
    .max(100)
    .optional(),
  links: z
    .array(z.looseObject({ href: z.string().trim().min(1), text: z.string().optional() }))
    .max(100)
    .optional(),
  client: z.string().optional(),
  client_url: z.string().optional(),
});
export type PagerDutyEvent = z.infer<typeof PagerDutyEvent>;

/** The payload of a trigger event: required there, ignored by PagerDuty on acknowledge and resolve. */
export const PagerDutyPayload = z.looseObject({
  summary: z.string().trim().min(1).max(1024),
  source: z.string().trim().min(1),
  severity: z.enum(['critical', 'error', 'warning', 'info']),
  timestamp: z.string().optional(),
  component: z.string().optional(),
  group: z.string().optional(),
  class: z.string().optional(),
  custom_details: z.unknown().optional(),
});

export interface PagerDutyOptions {
  /** Makes the key of a trigger without dedup_key (default: 32 hex digits of a random UUID, the shape PagerDuty returns). */
  generateDedupKey?: () => string;
}

export const REDACTED = '[redacted]';

/**
 * Maps one PagerDuty Events API v2 event into one signal.
 *
 * - `dedup_key` is kept verbatim (no prefix), so that the sender's later acknowledge and resolve,
 *   and the key echoed in the 202 answer, match what it sent. A trigger without one gets a fresh
 *   random key (PagerDuty does the same), returned in `meta.dedupKey` and in the signal.
 * - trigger: title is the summary on one line, cut to 500; the full summary, `links` and `images`
 *   and `custom_details` go to the description; `payload.source` (the affected system) becomes the
 *   asset; component, group, class, client, client_url and each custom detail become labels.
 * - acknowledge / resolve: only `dedup_key` matters (as at PagerDuty); the alert carries a
 *   placeholder title and severity `info` unless a payload happens to say more.
 * - `routing_key` (the Vigil API key) is redacted in the raw payload: it is a secret.
 */
export function mapPagerDuty(body: unknown, options: PagerDutyOptions = {}): MappingResult {
  return neverThrow(() => {
    const parsed = PagerDutyEvent.safeParse(body, { reportInput: true });
    const errors: FieldError[] = parsed.success ? [] : zodErrors(parsed.error, '', 'pagerduty');
    const event = parsed.success ? parsed.data : undefined;
    const action = isRecord(body) ? body.event_action : undefined;

    if (action === 'acknowledge' || action === 'resolve') {
      const key = isRecord(body) ? body.dedup_key : undefined;
      if (key === undefined && !errors.some((e) => e.pointer === '/dedup_key')) {
        errors.push({ pointer: '/dedup_key', detail: 'is missing or blank (required to acknowledge or resolve)' });
      }
    }
    let payload: z.infer<typeof PagerDutyPayload> | undefined;
    if (action === 'trigger') {
      const p = PagerDutyPayload.safeParse(isRecord(body) ? body.payload : undefined, { reportInput: true });
      if (p.success) payload = p.data;
      else errors.push(...zodErrors(p.error, '/payload', 'pagerduty'));
    }
    let occurredAt: string | undefined;
    if (payload?.timestamp !== undefined) {
      const t = isoTime(payload.timestamp);
      if (t === null) errors.push({ pointer: '/payload/timestamp', detail: 'is invalid (must be an ISO 8601 date-time)' });
      else occurredAt = t;
    }
    if (errors.length > 0 || !event) return { ok: false, errors };

    const generated = event.dedup_key === undefined;
    const dedupKey = event.dedup_key ?? truncate(options.generateDedupKey?.() ?? randomUUID().replace(/-/g, ''), LIMITS.dedupKey);
    const client = oneLine(event.client, LIMITS.source - 'pagerduty:'.length);
    const source = client ? `pagerduty:${client}` : 'pagerduty';
    const raw = { ...event, routing_key: REDACTED };

    if (event.event_action !== 'trigger') {
      const loose = isRecord(event.payload) ? event.payload : {};
      const result = toSignal(
        'pagerduty',
        event.event_action,
        {
          title: oneLine(loose.summary, LIMITS.title) ?? truncate(`PagerDuty ${event.event_action}: ${dedupKey}`, LIMITS.title),
          source,
          severity: typeof loose.severity === 'string' ? pagerDutySeverity(loose.severity) : 'info',
          dedupKey,
        },
        raw,
        '',
      );
      return 'errors' in result ? { ok: false, errors: result.errors } : { ok: true, signals: [result.signal], meta: { dedupKey, generatedDedupKey: false } };
    }

    const p = payload!;
    const details = p.custom_details;
    const labels = new Labels()
      .add('pagerduty.source', p.source)
      .add('component', p.component)
      .add('group', p.group)
      .add('class', p.class)
      .add('client', event.client)
      .add('client_url', event.client_url);
    if (isRecord(details)) labels.addAll(details, 'details.');
    else if (details !== undefined) labels.add('details', details);

    const lines = [p.summary, `Source: ${p.source}`];
    if (event.links?.length) lines.push(['Links:', ...event.links.map((l) => `- ${text(l.text) ? `${text(l.text)}: ` : ''}${l.href}`)].join('\n'));
    if (event.images?.length) {
      lines.push(['Images:', ...event.images.map((i) => `- ${text(i.alt) ? `${text(i.alt)}: ` : ''}${i.src}${text(i.href) ? ` (links to ${text(i.href)})` : ''}`)].join('\n'));
    }
    if (details !== undefined) lines.push(`Details:\n${typeof details === 'string' ? details : safePretty(details)}`);

    const observables = new ObservableCollector().addText(p.summary).addText(p.source).walk(details);

    const result = toSignal(
      'pagerduty',
      'trigger',
      {
        title: oneLine(p.summary, LIMITS.title)!,
        source,
        severity: pagerDutySeverity(p.severity),
        occurredAt,
        dedupKey,
        description: truncate(lines.join('\n\n'), LIMITS.description),
        labels: labels.toRecord(),
        assets: uniqueAssets([hostAsset(p.source)]),
        observables: observables.toField(),
      },
      raw,
      '',
    );
    return 'errors' in result ? { ok: false, errors: result.errors } : { ok: true, signals: [result.signal], meta: { dedupKey, generatedDedupKey: generated } };
  });
}

function safePretty(value: unknown): string {
  try {
    return JSON.stringify(value, null, 2) ?? '';
  } catch {
    return stringify(value);
  }
}

/** A pointer as PagerDuty names fields: `/payload/summary` → `payload.summary`. */
export function pagerDutyFieldName(pointer: string): string {
  return pointer
    .replace(/^\//, '')
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .join('.');
}

/**
 * Field errors in PagerDuty's own 400 body, so an existing PagerDuty sender reads them as it
 * would PagerDuty's: `{status: "invalid event", message: "Event object is invalid", errors: ["'payload.summary' is missing or blank"]}`.
 */
export function pagerDutyInvalidEvent(errors: FieldError[]): { status: 'invalid event'; message: 'Event object is invalid'; errors: string[] } {
  return {
    status: 'invalid event',
    message: 'Event object is invalid',
    errors: errors.map((e) => {
      const name = pagerDutyFieldName(e.pointer);
      return name ? `'${name}' ${e.detail}` : `Event ${e.detail}`;
    }),
  };
}
