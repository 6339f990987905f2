import type { FieldError } from '@vigil/contracts';
import { z } from 'zod';
import {
  LIMITS,
  Labels,
  asset,
  collect,
  hashedKey,
  isRecord,
  isoTime,
  lookupFirst,
  neverThrow,
  oneLine,
  pointer,
  prefixedKey,
  text,
  toSignal,
  truncate,
  uniqueAssets,
  validHostname,
  validIp,
  zodErrors,
  type Found,
} from './common';
import { ObservableCollector, observablesFromEcs } from './observables';
import { elasticSeverity } from './severity';
import type { AlertAction, MappingResult } from './signal';

/**
 * The fields of an Elastic Security alert document (https://www.elastic.co/guide/en/security/current/alert-schema.html)
 * that Vigil reads, each with the paths it may be found at (8.x `kibana.alert.*` first, the 7.x
 * `signal.*` names after) and the zod schema its value must satisfy. A document may write each
 * path flattened (`"kibana.alert.rule.name"`), nested, or mixed; see `lookup`.
 */
const FIELDS = {
  ruleName: { paths: ['kibana.alert.rule.name', 'signal.rule.name'], schema: z.string() },
  ruleUuid: { paths: ['kibana.alert.rule.uuid', 'signal.rule.id'], schema: z.string() },
  ruleId: { paths: ['kibana.alert.rule.rule_id', 'signal.rule.rule_id'], schema: z.string() },
  ruleType: { paths: ['kibana.alert.rule.type', 'signal.rule.type'], schema: z.string() },
  ruleDescription: { paths: ['kibana.alert.rule.description', 'signal.rule.description'], schema: z.string() },
  alertUuid: { paths: ['kibana.alert.uuid'], schema: z.string() },
  severity: { paths: ['kibana.alert.severity', 'kibana.alert.rule.severity', 'signal.rule.severity'], schema: z.string() },
  riskScore: { paths: ['kibana.alert.risk_score', 'kibana.alert.rule.risk_score', 'signal.rule.risk_score'], schema: z.union([z.number(), z.string()]) },
  workflowStatus: { paths: ['kibana.alert.workflow_status', 'signal.status'], schema: z.string() },
  status: { paths: ['kibana.alert.status'], schema: z.string() },
  reason: { paths: ['kibana.alert.reason', 'signal.reason'], schema: z.string() },
  originalTime: { paths: ['kibana.alert.original_time', 'signal.original_time'], schema: z.string() },
  timestamp: { paths: ['@timestamp'], schema: z.string() },
  hostName: { paths: ['host.name', 'host.hostname'], schema: z.string() },
  hostId: { paths: ['host.id'], schema: z.string() },
  space: { paths: ['kibana.space_ids'], schema: z.string() },
} as const satisfies Record<string, { paths: readonly string[]; schema: z.ZodType }>;
type FieldName = keyof typeof FIELDS;

/** An item of the body: an alert document, or an Elasticsearch search hit whose `_source` (and `fields`) is one. */
export const ElasticAlertItem = z.looseObject({});

/** The body: one alert, an array of alerts, or `{alerts: [...]}` (as a Kibana webhook connector can template it). */
function itemsOf(body: unknown): { items: unknown[]; base: string } | undefined {
  if (Array.isArray(body)) return { items: body, base: '' };
  if (isRecord(body) && Array.isArray(body.alerts) && lookupFirst(body, [...FIELDS.ruleName.paths, ...FIELDS.alertUuid.paths]) === undefined) {
    return { items: body.alerts, base: '/alerts' };
  }
  return undefined;
}

/**
 * Maps Elastic Security alert documents into signals.
 *
 * - dedupKey: `elastic:` + a hash of (rule, host): the rule's `kibana.alert.rule.uuid` (else
 *   `rule_id`, else its name) and `host.name` (else `host.hostname`), lower-cased. Elastic writes a
 *   new alert document, with a new `kibana.alert.uuid`, every time a rule matches again, so keying
 *   on the alert uuid would never deduplicate; one rule firing on one host while the alert is
 *   open is one Vigil alert with more occurrences. Without a host, `elastic:alert:<kibana.alert.uuid>`
 *   (every alert its own), and without either, the rule alone.
 * - workflow_status `closed` resolves and `acknowledged` (7.x `in-progress`) acknowledges; so does
 *   `kibana.alert.status: recovered` resolve. Anything else triggers. Closing one of several
 *   Elastic alerts of the same rule and host resolves the one Vigil alert they share.
 * - title: the rule name (else the reason); description: the reason and the rule's description.
 * - severity: kibana.alert.severity, else the band of risk_score (see severity.ts).
 * - occurredAt: kibana.alert.original_time (when the source event happened), else @timestamp.
 * - assets: the host (host.id, host.name, the first valid host.ip); observables from ECS fields
 *   (source/destination/host/related IPs, domains, url.full, file and process hashes, users, …)
 *   and the reason text.
 */
export function mapElastic(body: unknown): MappingResult {
  return neverThrow(() => {
    const many = itemsOf(body);
    if (many) {
      if (many.items.length > 1000) return { ok: false, errors: [{ pointer: many.base, detail: 'must have at most 1000 alerts' }] };
      if (many.items.length === 0) return { ok: false, errors: [{ pointer: many.base, detail: 'must not be empty' }] };
      return collect(many.items.map((item, i) => mapAlert(item, pointer(many.base, i))));
    }
    return collect([mapAlert(body, '')]);
  });
}

function mapAlert(item: unknown, at: string) {
  const shape = ElasticAlertItem.safeParse(item, { reportInput: true });
  if (!shape.success) return { errors: zodErrors(shape.error, at) };
  const hit = item as Record<string, unknown>;
  const isHit = isRecord(hit._source);
  const doc = isHit ? hit._source : hit;
  const docs: [unknown, string][] = [[doc, isHit ? pointer(at, '_source') : at]];
  if (isHit && isRecord(hit.fields)) docs.push([hit.fields, pointer(at, 'fields')]);

  const errors: FieldError[] = [];
  const values: Partial<Record<FieldName, unknown>> = {};
  const found: Partial<Record<FieldName, Found>> = {};
  for (const name of Object.keys(FIELDS) as FieldName[]) {
    const { paths, schema } = FIELDS[name];
    let hitFound: Found | undefined;
    for (const [d, base] of docs) {
      hitFound = lookupFirst(d, [...paths], base);
      if (hitFound) break;
    }
    if (!hitFound) continue;
    const value = name === 'space' && Array.isArray(hitFound.value) ? hitFound.value[0] : hitFound.value;
    if (value === undefined || value === null) continue;
    const checked = (schema as z.ZodType).safeParse(value, { reportInput: true });
    if (!checked.success) errors.push(...zodErrors(checked.error, hitFound.pointer));
    else {
      values[name] = checked.data;
      found[name] = hitFound;
    }
  }
  const str = (name: FieldName) => text(values[name]);

  if (!str('ruleName') && !str('ruleUuid') && !str('ruleId') && !str('alertUuid') && errors.length === 0) {
    errors.push({
      pointer: at,
      detail: 'is not an Elastic Security alert: it has none of kibana.alert.rule.name, kibana.alert.rule.uuid, kibana.alert.rule.rule_id, kibana.alert.uuid',
    });
  }
  let occurredAt: string | undefined;
  for (const name of ['originalTime', 'timestamp'] as const) {
    if (values[name] === undefined) continue;
    const t = isoTime(values[name]);
    if (t === null) errors.push({ pointer: found[name]!.pointer, detail: 'must be an ISO 8601 date-time' });
    else occurredAt ??= t;
  }
  if (errors.length > 0) return { errors };

  const hostName = validHostname(str('hostName')) ?? str('hostName');
  const ruleKey = str('ruleUuid') ?? str('ruleId') ?? str('ruleName');
  const alertUuid = str('alertUuid');
  const dedupKey =
    ruleKey && hostName
      ? hashedKey('elastic:', [ruleKey, hostName.toLowerCase()])
      : alertUuid
        ? prefixedKey('elastic:alert:', alertUuid)
        : hashedKey('elastic:', [ruleKey ?? null, null]);

  const workflow = str('workflowStatus')?.toLowerCase();
  const action: AlertAction =
    workflow === 'closed' || str('status')?.toLowerCase() === 'recovered' ? 'resolve' : workflow === 'acknowledged' || workflow === 'in-progress' ? 'acknowledge' : 'trigger';

  const title = oneLine(str('ruleName'), LIMITS.title) ?? oneLine(str('reason'), LIMITS.title) ?? 'Elastic Security alert';
  const space = oneLine(str('space'), LIMITS.source - 'elastic-security:'.length);
  const description = [str('reason'), str('ruleDescription')].filter(Boolean).join('\n\n');

  const threat = lookupFirst(doc, ['kibana.alert.rule.threat', 'signal.rule.threat'], '', true)?.value;
  const tactics: string[] = [];
  const techniques: string[] = [];
  for (const t of Array.isArray(threat) ? threat.slice(0, 50) : isRecord(threat) ? [threat] : []) {
    if (!isRecord(t)) continue;
    if (isRecord(t.tactic) && text(t.tactic.id)) tactics.push(text(t.tactic.id)!);
    for (const tech of Array.isArray(t.technique) ? t.technique.slice(0, 50) : []) {
      if (!isRecord(tech)) continue;
      if (text(tech.id)) techniques.push(text(tech.id)!);
      for (const sub of Array.isArray(tech.subtechnique) ? tech.subtechnique.slice(0, 50) : []) if (isRecord(sub) && text(sub.id)) techniques.push(text(sub.id)!);
    }
  }
  const tags = lookupFirst(doc, ['tags', 'kibana.alert.rule.tags'], '', true)?.value;

  const labels = new Labels()
    .add('elastic.rule_uuid', str('ruleUuid'))
    .add('elastic.rule_id', str('ruleId'))
    .add('elastic.rule_type', str('ruleType'))
    .add('elastic.alert_uuid', alertUuid)
    .add('elastic.workflow_status', str('workflowStatus'))
    .add('elastic.severity', str('severity'))
    .add('elastic.risk_score', values.riskScore)
    .add('elastic.space', str('space'))
    .add('elastic.tactics', tactics.length ? [...new Set(tactics)].join(', ') : undefined)
    .add('elastic.techniques', techniques.length ? [...new Set(techniques)].join(', ') : undefined)
    .add('tags', Array.isArray(tags) ? tags.filter((t) => typeof t === 'string') : text(tags));

  const hostIps = lookupFirst(doc, ['host.ip'], '', true)?.value;
  const ips = (Array.isArray(hostIps) ? hostIps.slice(0, 100) : [hostIps]).map(validIp).filter((ip): ip is string => Boolean(ip));
  // The address others know the host by: IPv4 before IPv6, link-local last.
  const rank = (ip: string) => (ip.includes(':') ? 2 : 0) + (/^(169\.254\.|fe[89ab][0-9a-f]:)/i.test(ip) ? 4 : 0);
  const firstIp = [...ips].sort((a, b) => rank(a) - rank(b))[0];

  const observables = new ObservableCollector();
  for (const [d] of docs) observablesFromEcs(d, observables);
  if (str('reason')) observables.addText(str('reason')!);

  return toSignal(
    'elastic',
    action,
    {
      title,
      source: space ? `elastic-security:${space}` : 'elastic-security',
      severity: elasticSeverity(values.severity, values.riskScore),
      occurredAt,
      dedupKey,
      description: description ? truncate(description, LIMITS.description) : undefined,
      labels: labels.toRecord(),
      assets: uniqueAssets([asset({ id: str('hostId'), hostname: hostName, ip: firstIp })]),
      observables: observables.toField(),
    },
    item,
    at,
  );
}
