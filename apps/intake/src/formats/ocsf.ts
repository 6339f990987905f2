import type { FieldError } from '@vigil/contracts';
import { z } from 'zod';
import {
  LIMITS,
  Labels,
  asset,
  collect,
  epochTime,
  isRecord,
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
} from './common';
import { ObservableCollector, observablesFromOcsf } from './observables';
import { ocsfSeverity } from './severity';
import type { AlertAction, MappingResult } from './signal';

export const DETECTION_FINDING = 2004;

/** Other classes a sender might post here by mistake, to say what was received. */
const CLASS_NAMES: Record<number, string> = {
  2001: 'Security Finding',
  2002: 'Vulnerability Finding',
  2003: 'Compliance Finding',
  2005: 'Incident Finding',
  2006: 'Data Security Finding',
  2007: 'Application Security Posture Finding',
};

const Id = z.union([z.string().trim().min(1), z.number()], { error: (issue) => (issue.input === undefined ? 'is required' : 'must be a non-empty string') }).transform(String);
const Epoch = z.number();

/**
 * OCSF Detection Finding (class_uid 2004, https://schema.ocsf.io/1.3.0/classes/detection_finding),
 * loosely: only what Vigil reads is checked, everything else is kept in the raw payload.
 */
export const OcsfDetectionFinding = z.looseObject({
  class_uid: z.int().superRefine((uid, ctx) => {
    if (uid !== DETECTION_FINDING) {
      ctx.addIssue({
        code: 'custom',
        message: `must be 2004 (Detection Finding); this endpoint takes Detection Findings only, not ${uid}${CLASS_NAMES[uid] ? ` (${CLASS_NAMES[uid]})` : ''}`,
      });
    }
  }),
  activity_id: z.int().optional(),
  severity_id: z.int().optional(),
  severity: z.string().optional(),
  status_id: z.int().optional(),
  state_id: z.int().optional(),
  time: Epoch.optional(),
  time_dt: z.string().optional(),
  start_time: Epoch.optional(),
  start_time_dt: z.string().optional(),
  message: z.string().optional(),
  count: z.number().optional(),
  metadata: z
    .looseObject({
      uid: z.string().optional(),
      version: z.string().optional(),
      product: z.looseObject({ name: z.string().optional(), vendor_name: z.string().optional(), version: z.string().optional() }).optional(),
    })
    .optional(),
  finding_info: z.looseObject({
    uid: Id,
    title: z.string().optional(),
    desc: z.string().optional(),
    types: z.array(z.string()).optional(),
    analytic: z.looseObject({ uid: z.string().optional(), name: z.string().optional() }).optional(),
  }),
  resources: z.array(z.looseObject({ uid: Id.optional(), name: z.string().optional(), hostname: z.string().optional(), ip: z.string().optional() })).max(1000).optional(),
  device: z.looseObject({ uid: Id.optional(), name: z.string().optional(), hostname: z.string().optional(), ip: z.string().optional() }).optional(),
  observables: z.array(z.looseObject({ name: z.string().optional(), type_id: z.int(), value: z.unknown().optional() })).max(10_000).optional(),
});
export type OcsfDetectionFinding = z.infer<typeof OcsfDetectionFinding>;

/** Finding status_id values that end the finding's life: 3 Suppressed, 4 Resolved, 5 Archived, 6 Deleted. */
const CLOSED_STATUS = new Set([3, 4, 5, 6]);

/** activity_id 3 Close resolves; so does a closed status; Create, Update and anything else trigger (an Update is one more occurrence). */
export function ocsfAction(finding: Pick<OcsfDetectionFinding, 'activity_id' | 'status_id' | 'state_id'>): AlertAction {
  if (finding.activity_id === 3) return 'resolve';
  if (finding.status_id !== undefined && CLOSED_STATUS.has(finding.status_id)) return 'resolve';
  if (finding.status_id === undefined && finding.state_id === 4) return 'resolve'; // OCSF 1.0 `state_id` 4 Resolved
  return 'trigger';
}

/**
 * Maps one OCSF Detection Finding, or an array of them (at most 1,000), into signals.
 *
 * - dedupKey `ocsf:<finding_info.uid>` (hashed when longer than the key allows), so Create,
 *   Update and Close of one finding meet the same alert.
 * - occurredAt: start_time_dt, start_time, time_dt, time — the first present; epoch values in
 *   seconds, milliseconds or microseconds are all understood (see epochTime).
 * - source: metadata.product.name (else vendor_name, else "ocsf").
 * - assets from resources[] (uid → id, name, hostname, ip) and device.
 * - observables from observables[] by type_id, actor.user.name, src/dst endpoints and the text.
 */
export function mapOcsf(body: unknown): MappingResult {
  return neverThrow(() => {
    if (Array.isArray(body)) {
      if (body.length > 1000) return { ok: false, errors: [{ pointer: '', detail: 'must have at most 1000 findings' }] };
      return collect(body.map((item, i) => mapFinding(item, pointer('', i))));
    }
    return collect([mapFinding(body, '')]);
  });
}

function mapFinding(item: unknown, at: string) {
  const parsed = OcsfDetectionFinding.safeParse(item, { reportInput: true });
  if (!parsed.success) return { errors: zodErrors(parsed.error, at) };
  const f = parsed.data;
  const errors: FieldError[] = [];

  const times: [keyof OcsfDetectionFinding, (v: unknown) => string | null][] = [
    ['start_time_dt', isoTime],
    ['start_time', epochTime],
    ['time_dt', isoTime],
    ['time', epochTime],
  ];
  let occurredAt: string | undefined;
  for (const [field, convert] of times) {
    if (f[field] === undefined) continue;
    const t = convert(f[field]);
    if (t === null) errors.push({ pointer: pointer(at, field), detail: field.endsWith('_dt') ? 'must be an RFC 3339 date-time' : 'must be an epoch timestamp (milliseconds) after 1970' });
    else occurredAt ??= t;
  }
  if (errors.length > 0) return { errors };

  const info = f.finding_info;
  const product = f.metadata?.product;
  const title =
    oneLine(info.title, LIMITS.title) ?? oneLine(f.message, LIMITS.title) ?? oneLine(info.analytic?.name, LIMITS.title) ?? truncate(`OCSF Detection Finding ${info.uid}`, LIMITS.title);
  const source = oneLine(product?.name, LIMITS.source) ?? oneLine(product?.vendor_name, LIMITS.source) ?? 'ocsf';

  const attacks = Array.isArray(f.attacks) ? f.attacks.filter(isRecord) : [];
  const attackText = attacks
    .map((a) => [a.tactic, a.technique].filter(isRecord).map((t) => [text(t.uid), text(t.name)].filter(Boolean).join(' ')).join(' / '))
    .filter(Boolean);
  const description = [text(info.desc), text(f.message) !== title ? text(f.message) : undefined, attackText.length ? `ATT&CK: ${attackText.join('; ')}` : undefined]
    .filter(Boolean)
    .join('\n\n');

  const labels = new Labels()
    .add('ocsf.class_name', f.class_name)
    .add('ocsf.activity', f.activity_name ?? f.activity_id)
    .add('ocsf.status', f.status ?? f.status_id)
    .add('ocsf.severity', f.severity ?? f.severity_id)
    .add('ocsf.finding_uid', info.uid)
    .add('ocsf.analytic', info.analytic?.name ?? info.analytic?.uid)
    .add('ocsf.types', info.types?.join(', '))
    .add('ocsf.attacks', attacks.flatMap((a) => [a.technique, a.tactic].filter(isRecord).map((t) => text(t.uid))).filter(Boolean).join(', ') || undefined)
    .add('ocsf.count', f.count)
    .add('ocsf.is_alert', f.is_alert)
    .add('ocsf.version', f.metadata?.version)
    .add('ocsf.event_uid', f.metadata?.uid)
    .add('ocsf.vendor', product?.vendor_name)
    .add('ocsf.product_version', product?.version);

  const device = f.device;
  const assets = uniqueAssets([
    ...(f.resources ?? []).map((r) => asset({ id: r.uid, name: r.name, hostname: r.hostname, ip: r.ip })),
    device ? asset({ id: device.uid, hostname: device.hostname, ip: device.ip, name: device.name }) : undefined,
  ]);

  const observables = new ObservableCollector();
  observablesFromOcsf(f.observables, observables);
  const actor = isRecord(f.actor) ? f.actor : {};
  if (isRecord(actor.user)) observables.add('user', actor.user.name);
  for (const endpoint of [f.src_endpoint, f.dst_endpoint]) {
    if (!isRecord(endpoint)) continue;
    observables.add('ip', endpoint.ip);
    observables.add('hostname', endpoint.hostname);
    observables.add('domain', endpoint.domain);
  }
  if (info.desc) observables.addText(info.desc);
  if (f.message) observables.addText(f.message);

  return toSignal(
    'ocsf',
    ocsfAction(f),
    {
      title,
      source,
      severity: ocsfSeverity(f.severity_id, f.severity),
      occurredAt,
      dedupKey: prefixedKey('ocsf:', info.uid),
      description: description ? truncate(description, LIMITS.description) : undefined,
      labels: labels.toRecord(),
      assets,
      observables: observables.toField(),
    },
    item,
    at,
  );
}
