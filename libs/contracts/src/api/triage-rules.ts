import { z } from 'zod';
import { AlertSeverity, IncidentCategory, ObservableType, Timestamp } from '../vocabulary';
import { Actor, Page, Reason } from './incident';

export const CorrelationRuleKind = z.enum(['reference', 'group_key', 'asset_category', 'observable']);
export type CorrelationRuleKind = z.infer<typeof CorrelationRuleKind>;

export const CorrelationRuleView = z
  .object({
    kind: CorrelationRuleKind.describe(
      'reference: the alert names an incident (label vigil_incident); group_key: same Alertmanager groupKey; ' +
        'asset_category: same asset and category within the window; observable: same observable (of the listed types) within the window',
    ),
    enabled: z.boolean(),
    windowSeconds: z.int().positive().nullable().describe('how long after an incident last saw the key it still attracts alerts; null: while it is open'),
    observableTypes: z.array(ObservableType),
    updatedBy: z.string().nullable(),
    updatedAt: Timestamp,
  })
  .meta({ id: 'CorrelationRule' });
export type CorrelationRuleView = z.infer<typeof CorrelationRuleView>;
export const CorrelationRuleList = z.object({ items: z.array(CorrelationRuleView) }).meta({ id: 'CorrelationRuleList' });

export const UpdateCorrelationRule = z
  .strictObject({
    enabled: z.boolean().optional(),
    windowSeconds: z.int().min(1).max(30 * 86_400).nullable().optional(),
    observableTypes: z.array(ObservableType).max(ObservableType.options.length).optional(),
  })
  .meta({ id: 'UpdateCorrelationRule', examples: [{ enabled: true, windowSeconds: 1800 }] });
export type UpdateCorrelationRule = z.infer<typeof UpdateCorrelationRule>;

/** What a suppression rule matches: every criterion given must hold. */
export const SuppressionMatch = z
  .strictObject({
    dedupKey: z.string().min(1).max(255).optional(),
    source: z.string().min(1).max(200).optional(),
    titleContains: z.string().min(1).max(500).optional().describe('case-insensitive substring of the alert title'),
    hostname: z.string().min(1).max(253).optional().describe('an affected asset of the alert has this hostname'),
    ip: z.union([z.ipv4(), z.ipv6()]).optional().describe('an affected asset of the alert has this address'),
    category: IncidentCategory.optional(),
    severities: z.array(AlertSeverity).min(1).optional(),
    labels: z
      .record(z.string().min(1).max(200), z.string().max(2000))
      .refine((l) => Object.keys(l).length <= 20, { message: 'at most 20 labels' })
      .meta({ maxProperties: 20 })
      .optional()
      .describe('the alert carries each of these labels with this value'),
  })
  // An empty label set matches every alert: it is no criterion.
  .refine((m) => Object.entries(m).some(([name, value]) => name !== 'labels' || Object.keys(value as object).length > 0), {
    message: 'a suppression rule needs at least one criterion',
  })
  .meta({
    anyOf: [
      ...['dedupKey', 'source', 'titleContains', 'hostname', 'ip', 'category', 'severities'].map((name) => ({ required: [name] })),
      { required: ['labels'], properties: { labels: { minProperties: 1 } } },
    ],
  });
export type SuppressionMatch = z.infer<typeof SuppressionMatch>;

export const CreateSuppressionRule = z
  .strictObject({
    name: z.string().trim().min(1).max(200),
    owner: Actor.describe('who answers for the rule'),
    reason: Reason,
    match: SuppressionMatch,
    expiresAt: Timestamp.optional().describe('when the rule stops; give this or durationSeconds'),
    durationSeconds: z.int().min(1).max(366 * 86_400).optional().describe('how long the rule holds from now'),
  })
  .refine((b) => (b.expiresAt === undefined) !== (b.durationSeconds === undefined), {
    message: 'give exactly one of expiresAt and durationSeconds',
    path: ['expiresAt'],
  })
  .meta({
    id: 'CreateSuppressionRule',
    oneOf: [{ required: ['expiresAt'] }, { required: ['durationSeconds'] }],
    examples: [
      {
        name: 'Nightly backup scan on db-07',
        owner: 'alice@soc.example',
        reason: 'vulnerability scan window agreed with infra',
        match: { titleContains: 'port scan', hostname: 'db-07' },
        durationSeconds: 86_400,
      },
    ],
  });
export type CreateSuppressionRule = z.infer<typeof CreateSuppressionRule>;

export const SuppressionRuleView = z
  .object({
    ruleId: z.uuid(),
    name: z.string(),
    owner: z.string(),
    reason: z.string(),
    match: SuppressionMatch,
    createdAt: Timestamp,
    createdBy: z.string().nullable().describe('the subject of the token that created it (null for rules older than sign-in)'),
    expiresAt: Timestamp,
    revokedAt: Timestamp.nullable(),
    revokedBy: z.string().nullable(),
    active: z.boolean().describe('neither expired nor revoked'),
    suppressedAlerts: z.int().nonnegative(),
    suppressedOccurrences: z.int().nonnegative().describe('repeats of suppressed alerts included'),
    lastMatchedAt: Timestamp.nullable(),
  })
  .meta({ id: 'SuppressionRule' });
export type SuppressionRuleView = z.infer<typeof SuppressionRuleView>;
export const SuppressionRulePage = Page(SuppressionRuleView, 'SuppressionRulePage');
