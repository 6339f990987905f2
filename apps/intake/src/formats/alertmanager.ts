import { z } from 'zod';
import {
  Labels,
  collect,
  hashedKey,
  hostAsset,
  asset,
  isGoZeroTime,
  isoTime,
  neverThrow,
  oneLine,
  pointer,
  prefixedKey,
  text,
  toSignal,
  truncate,
  uniqueAssets,
  zodErrors,
  LIMITS,
} from './common';
import { ObservableCollector } from './observables';
import { alertmanagerSeverity } from './severity';
import type { MappingResult } from './signal';

/**
 * Prometheus Alertmanager webhook payload, version 4
 * (https://prometheus.io/docs/alerting/latest/configuration/#webhook_config). Loose: extra fields
 * (Grafana adds orgId, values, silenceURL, …) are kept in the raw payload. `version` is not
 * pinned to "4": Grafana's webhook contact point sends the same shape as version "1".
 */
const LabelMap = z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()]));

export const AlertmanagerAlert = z.looseObject({
  status: z.enum(['firing', 'resolved']),
  labels: LabelMap,
  annotations: LabelMap.optional(),
  startsAt: z.string().optional(),
  endsAt: z.string().optional(),
  generatorURL: z.string().optional(),
  fingerprint: z.string().trim().min(1).optional(),
});

export const AlertmanagerWebhook = z.looseObject({
  version: z.string().optional(),
  groupKey: z.string().optional(),
  truncatedAlerts: z.int().nonnegative().optional(),
  status: z.enum(['firing', 'resolved']).optional(),
  receiver: z.string().optional(),
  groupLabels: LabelMap.optional(),
  commonLabels: LabelMap.optional(),
  commonAnnotations: LabelMap.optional(),
  externalURL: z.string().optional(),
  alerts: z.array(z.unknown()).max(10_000),
});
export type AlertmanagerWebhook = z.infer<typeof AlertmanagerWebhook>;

/** Annotation keys that are links of the monitoring stack, not text to read for indicators. */
const LINK_ANNOTATION = /(url|link)$/i;

/**
 * Maps an Alertmanager (or Grafana) webhook into one signal per alert of the group.
 *
 * - dedupKey `am:<fingerprint>` (Alertmanager's hash of the label set, stable across re-sends);
 *   an alert without fingerprint (Alertmanager < 0.19) gets `am:` + a hash of its labels.
 * - `firing` triggers, `resolved` resolves; occurredAt is `startsAt`.
 * - title: annotations.summary, else labels.alertname, else the first line of annotations.description.
 * - description: annotations.description (else summary), then the generator link.
 * - labels: every alert label as is; then `alertmanager.*` (receiver, groupKey, status, externalURL,
 *   generatorURL, endsAt when set); then every annotation as `annotation.<name>`. When the 100-label
 *   cap is reached, the later groups lose first, so the alert's identity is always kept.
 * - assets from labels instance, host, hostname, node, pod (with namespace).
 * - meta: { truncatedAlerts, groupKey, receiver, status, version }.
 * - raw: a v4 payload holding the group fields and just this alert, so it stays a valid payload.
 */
export function mapAlertmanager(body: unknown): MappingResult {
  return neverThrow(() => {
    const parsed = AlertmanagerWebhook.safeParse(body, { reportInput: true });
    if (!parsed.success) return { ok: false, errors: zodErrors(parsed.error) };
    const group = parsed.data;
    const { alerts, ...groupFields } = group;
    const results = alerts.map((item, index) => {
      const at = pointer('', 'alerts', index);
      const one = AlertmanagerAlert.safeParse(item, { reportInput: true });
      if (!one.success) return { errors: zodErrors(one.error, at) };
      const alert = one.data;
      const errors = [];
      const startsAt = alert.startsAt === undefined || isGoZeroTime(alert.startsAt) ? undefined : isoTime(alert.startsAt);
      if (startsAt === null) errors.push({ pointer: pointer(at, 'startsAt'), detail: 'must be an RFC 3339 date-time' });
      const endsAt = alert.endsAt === undefined || isGoZeroTime(alert.endsAt) ? undefined : isoTime(alert.endsAt);
      if (endsAt === null) errors.push({ pointer: pointer(at, 'endsAt'), detail: 'must be an RFC 3339 date-time' });
      if (errors.length > 0) return { errors };

      const labels = alert.labels;
      const annotations = alert.annotations ?? {};
      const severityLabel = labels.severity ?? group.commonLabels?.severity;
      const descriptionText = text(annotations.description);
      const title =
        oneLine(annotations.summary, LIMITS.title) ??
        oneLine(labels.alertname, LIMITS.title) ??
        oneLine(descriptionText?.split('\n')[0], LIMITS.title) ??
        'Alertmanager alert';
      const receiver = oneLine(group.receiver, LIMITS.source - 'alertmanager:'.length);
      const job = oneLine(labels.job, LIMITS.source - 'alertmanager:'.length);
      const source = receiver ? `alertmanager:${receiver}` : job ? `alertmanager:${job}` : 'alertmanager';

      const details = [descriptionText ?? text(annotations.summary), alert.generatorURL ? `Source: ${alert.generatorURL}` : undefined].filter(Boolean).join('\n\n');

      const set = new Labels().addAll(labels);
      set
        .add('alertmanager.receiver', group.receiver)
        .add('alertmanager.groupKey', group.groupKey)
        .add('alertmanager.status', alert.status)
        .add('alertmanager.externalURL', group.externalURL)
        .add('alertmanager.generatorURL', alert.generatorURL)
        .add('alertmanager.endsAt', endsAt);
      set.addAll(annotations, 'annotation.');

      const namespace = text(labels.namespace);
      const pod = text(labels.pod);
      const assets = uniqueAssets([
        hostAsset(labels.instance),
        hostAsset(labels.host),
        hostAsset(labels.hostname),
        hostAsset(labels.node),
        pod ? asset({ name: namespace ? `${namespace}/${pod}` : pod }) : undefined,
      ]);

      const observables = new ObservableCollector();
      for (const [key, value] of Object.entries(annotations)) if (!LINK_ANNOTATION.test(key) && typeof value === 'string') observables.addText(value);
      observables.walk(labels);

      const fingerprint = alert.fingerprint;
      const dedupKey = fingerprint ? prefixedKey('am:', fingerprint) : hashedKey('am:', Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));

      return toSignal(
        'alertmanager',
        alert.status === 'resolved' ? 'resolve' : 'trigger',
        {
          title,
          source,
          severity: alertmanagerSeverity(severityLabel),
          occurredAt: startsAt ?? undefined,
          dedupKey,
          description: details ? truncate(details, LIMITS.description) : undefined,
          labels: set.toRecord(),
          assets,
          observables: observables.toField(),
        },
        { ...groupFields, alerts: [item] },
        at,
      );
    });
    return collect(results, {
      truncatedAlerts: group.truncatedAlerts ?? 0,
      ...(group.groupKey !== undefined ? { groupKey: group.groupKey } : {}),
      ...(group.receiver !== undefined ? { receiver: group.receiver } : {}),
      ...(group.status !== undefined ? { status: group.status } : {}),
      ...(group.version !== undefined ? { version: group.version } : {}),
    });
  });
}
