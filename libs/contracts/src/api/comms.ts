import { z } from 'zod';
import { IncidentCategory, IncidentSeverity, Timestamp } from '../vocabulary';
import { Reason } from './incident';

/**
 * Who hears about incidents. Inside the organisation: the IR team, management, legal, employees;
 * outside it: customers (and data subjects), regulators, law enforcement, the media, partners.
 */
export const AudienceKey = z
  .enum(['ir_team', 'management', 'legal', 'employees', 'customers', 'regulators', 'law_enforcement', 'media', 'partners'])
  .meta({ id: 'Audience' });
export type AudienceKey = z.infer<typeof AudienceKey>;

export const INTERNAL_AUDIENCES: readonly AudienceKey[] = ['ir_team', 'management', 'legal', 'employees'];
/** Outside audiences: every message to them needs an approval, and restricted incidents need legal's. */
export function isExternalAudience(audience: AudienceKey): boolean {
  return !INTERNAL_AUDIENCES.includes(audience);
}

/** The channels comms can deliver through; each has its own settings below. */
export const ChannelKind = z.enum(['webhook', 'slack', 'teams', 'email']).meta({ id: 'ChannelKind' });
export type ChannelKind = z.infer<typeof ChannelKind>;

/** What a message is for; each audience has a template per purpose. */
export const MessagePurpose = z.enum(['initial_notice', 'status_update', 'resolution', 'regulator_notice']).meta({ id: 'MessagePurpose' });
export type MessagePurpose = z.infer<typeof MessagePurpose>;

const HttpUrl = z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' });
const Email = z.email({ error: 'is not an e-mail address' }).max(320);
const Name = z.string().trim().min(1).max(100).regex(/^[a-z0-9][a-z0-9._-]*$/, { error: 'lower-case letters, digits, dots, hyphens and underscores' });

/**
 * Each channel kind's settings: `config` is shown to readers, `secrets` are write-only (never
 * returned, only whether each is set). A Slack or Teams webhook URL is itself the credential.
 */
export const ChannelSettings = {
  webhook: {
    config: z.strictObject({ url: HttpUrl.describe('where to POST the JSON body') }),
    secrets: z.strictObject({
      signingSecret: z.string().min(16).max(512).optional().describe('HMAC-SHA256 key; each delivery is signed over its timestamp and body'),
    }),
  },
  slack: {
    config: z.strictObject({}),
    secrets: z.strictObject({ webhookUrl: HttpUrl.describe('the Slack incoming webhook URL (Block Kit messages)') }),
  },
  teams: {
    config: z.strictObject({}),
    secrets: z.strictObject({ webhookUrl: HttpUrl.describe('the Microsoft Teams workflow webhook URL ("When a Teams webhook request is received"), Adaptive Cards') }),
  },
  email: {
    config: z.strictObject({
      host: z.string().trim().min(1).max(253).describe('SMTP server'),
      port: z.int().min(1).max(65535),
      security: z.enum(['tls', 'starttls', 'none']).default('starttls').describe('tls: implicit TLS (465); starttls: upgrade required; none: plain (local receivers only)'),
      from: Email,
      to: z.array(Email).max(200).default([]).describe('always addressed (e.g. a distribution list), besides the audience\'s recipients'),
    }),
    secrets: z.strictObject({
      username: z.string().min(1).max(320).optional(),
      password: z.string().min(1).max(1024).optional(),
    }),
  },
} as const satisfies Record<ChannelKind, { config: z.ZodType; secrets: z.ZodObject }>;

/**
 * Where an API-created channel may deliver: by default only to public addresses over HTTPS (or an
 * SMTP server on a public address). Each delivery resolves the name, refuses loopback, private,
 * link-local and metadata addresses, and connects to the address it checked.
 */
const ChannelNetwork = {
  allowPrivateNetwork: z.boolean().default(false).describe('may deliver to loopback, private and link-local addresses (an internal webhook or mail relay): set it only for such a receiver'),
  allowHttp: z.boolean().default(false).describe('may deliver over plain http (webhook, Slack, Teams): set it only for a receiver without TLS'),
};

function channelVariant<K extends ChannelKind>(kind: K) {
  return z.strictObject({
    kind: z.literal(kind),
    name: Name.describe('unique; how audiences and the ledger name the channel'),
    enabled: z.boolean().default(true),
    config: ChannelSettings[kind].config,
    secrets: ChannelSettings[kind].secrets,
    ...ChannelNetwork,
  });
}

export const CreateChannel = z
  .discriminatedUnion('kind', [channelVariant('webhook'), channelVariant('slack'), channelVariant('teams'), channelVariant('email')])
  .meta({
    id: 'CreateChannel',
    examples: [{ kind: 'slack', name: 'ir-slack', config: {}, secrets: { webhookUrl: 'https://hooks.slack.com/services/T000/B000/XXXX' } }],
  });
export type CreateChannel = z.infer<typeof CreateChannel>;

export const UpdateChannel = z
  .strictObject({
    enabled: z.boolean().optional(),
    allowPrivateNetwork: z.boolean().optional().describe('see the channel: may deliver to internal addresses'),
    allowHttp: z.boolean().optional().describe('see the channel: may deliver over plain http'),
    config: z.record(z.string(), z.unknown()).optional().describe('replaces the configuration; validated against the channel kind'),
    secrets: z
      .record(z.string(), z.string().nullable())
      .optional()
      .describe('sets the named secrets (null clears one); secrets not named are kept'),
  })
  .meta({ id: 'UpdateChannel', examples: [{ secrets: { webhookUrl: 'https://hooks.slack.com/services/T000/B000/YYYY' } }] });
export type UpdateChannel = z.infer<typeof UpdateChannel>;

export const ChannelView = z
  .object({
    channelId: z.uuid(),
    name: z.string(),
    kind: ChannelKind,
    enabled: z.boolean(),
    config: z.record(z.string(), z.unknown()),
    secrets: z.record(z.string(), z.enum(['set', 'unset'])).describe('whether each secret is set; their values are never returned'),
    source: z.enum(['config', 'api']).describe('config: defined by COMMS_CHANNELS at start (read-only here); api: created through this API'),
    allowPrivateNetwork: z.boolean().describe('may deliver to internal addresses (always true for a channel from configuration: the operator\'s own)'),
    allowHttp: z.boolean().describe('may deliver over plain http (always true for a channel from configuration)'),
    createdAt: Timestamp,
    updatedAt: Timestamp,
    updatedBy: z.string().nullable(),
  })
  .meta({ id: 'Channel' });
export type ChannelView = z.infer<typeof ChannelView>;
export const ChannelList = z.object({ items: z.array(ChannelView) }).meta({ id: 'ChannelList' });

/** Which incidents an audience hears about. */
export const AudienceRule = z
  .strictObject({
    minSeverity: IncidentSeverity.describe('the least severe incident it hears about (SEV1 most severe)'),
    categories: z.array(IncidentCategory).nullable().describe('only these categories; null for all'),
    includeExercises: z.boolean(),
    includeRestricted: z.boolean().describe('restricted (need-to-know) incidents; outside audiences also need legal\'s approval'),
  })
  .meta({ id: 'AudienceRule' });
export type AudienceRule = z.infer<typeof AudienceRule>;

export const StatusCadence = z
  .strictObject({
    SEV1: z.int().min(1).max(7 * 86_400).optional(),
    SEV2: z.int().min(1).max(7 * 86_400).optional(),
    SEV3: z.int().min(1).max(7 * 86_400).optional(),
    SEV4: z.int().min(1).max(7 * 86_400).optional(),
  })
  .describe('seconds between status updates, by severity; a severity left out has no cadence');
export type StatusCadence = z.infer<typeof StatusCadence>;

export const UpdateAudience = z
  .strictObject({
    channels: z.array(Name).max(20).describe('channel names it is reached through'),
    recipients: z.array(Email).max(500).describe('e-mail addresses, for its e-mail channels'),
    rule: AudienceRule,
    autoNotify: z
      .array(z.enum(['initial_notice', 'resolution']))
      .describe('purposes sent on their own when an incident matches (inside audiences without approval only)'),
    requiresApproval: z.boolean().describe('outside audiences always require it'),
    statusCadence: StatusCadence,
    cadenceGraceSeconds: z.int().min(1).max(86_400).describe('after a status update falls due, how long before it counts as missed'),
  })
  .meta({
    id: 'UpdateAudience',
    examples: [
      {
        channels: ['mgmt-teams', 'mgmt-email'],
        recipients: ['ciso@example.com'],
        rule: { minSeverity: 'SEV2', categories: null, includeExercises: false, includeRestricted: false },
        autoNotify: ['initial_notice', 'resolution'],
        requiresApproval: false,
        statusCadence: { SEV1: 1800, SEV2: 7200 },
        cadenceGraceSeconds: 600,
      },
    ],
  });
export type UpdateAudience = z.infer<typeof UpdateAudience>;

export const AudienceView = UpdateAudience.extend({
  audience: AudienceKey,
  scope: z.enum(['internal', 'external']),
  description: z.string(),
  updatedAt: Timestamp,
  updatedBy: z.string().nullable(),
}).meta({ id: 'AudienceSettings' });
export type AudienceView = z.infer<typeof AudienceView>;
export const AudienceList = z.object({ items: z.array(AudienceView) }).meta({ id: 'AudienceList' });

const TemplateText = (max: number) => z.string().max(max);
export const SaveTemplate = z
  .strictObject({
    subject: TemplateText(1000).min(1).describe('LiquidJS (strict): one line'),
    body: TemplateText(20_000).min(1).describe('LiquidJS (strict) over the allow-listed view; see GET /v1/templates/variables'),
  })
  .meta({
    id: 'SaveTemplate',
    examples: [{ subject: '{{ incident.severity }} incident: {{ incident.title }}', body: 'Status: {{ incident.phase }}\n{{ message.note | default: "No further details yet." }}' }],
  });
export type SaveTemplate = z.infer<typeof SaveTemplate>;

export const TemplateView = SaveTemplate.extend({
  audience: AudienceKey,
  purpose: MessagePurpose,
  source: z.enum(['default', 'custom']).describe('default: shipped with Vigil; custom: saved here'),
  version: z.int().nonnegative().describe('0 for the default; counts saves'),
  updatedAt: Timestamp.nullable(),
  updatedBy: z.string().nullable(),
}).meta({ id: 'Template' });
export type TemplateView = z.infer<typeof TemplateView>;
export const TemplateList = z.object({ items: z.array(TemplateView) }).meta({ id: 'TemplateList' });

export const TemplateVocabulary = z
  .object({
    variables: z.array(z.object({ path: z.string(), type: z.string(), description: z.string() })),
    filters: z.array(z.string()),
    tags: z.array(z.string()),
    limits: z.object({ parseLimit: z.int(), renderLimitMs: z.int(), memoryLimit: z.int() }),
  })
  .meta({ id: 'TemplateVocabulary' });

export const PreviewTemplate = z
  .strictObject({
    incidentId: z.uuid(),
    audience: AudienceKey,
    purpose: MessagePurpose,
    subject: TemplateText(1000).min(1).optional().describe('an unsaved template to try; the saved one otherwise'),
    body: TemplateText(20_000).min(1).optional(),
    note: z.string().max(10_000).optional().describe('message.note'),
    obligationId: z.uuid().optional().describe('fills obligation.* (regulator notices)'),
  })
  .meta({ id: 'PreviewTemplate' });
export type PreviewTemplate = z.infer<typeof PreviewTemplate>;

export const RenderedChannel = z.object({
  kind: ChannelKind,
  subject: z.string(),
  body: z.string().describe('exactly what the channel would be sent (JSON for webhook, Slack and Teams; the e-mail as JSON of its parts)'),
});
export const TemplatePreview = z
  .object({ subject: z.string(), text: z.string(), renders: z.array(RenderedChannel) })
  .meta({ id: 'TemplatePreview' });

export const DraftMessage = z
  .strictObject({
    audience: AudienceKey,
    purpose: MessagePurpose,
    note: z.string().trim().max(10_000).optional().describe('free text the template shows as message.note'),
    subject: TemplateText(1000).min(1).optional().describe('a one-off template instead of the saved one (checked the same way)'),
    body: TemplateText(20_000).min(1).optional(),
    obligationId: z.uuid().optional().describe('a regulatory clock this message answers (fills obligation.*)'),
  })
  .meta({ id: 'DraftMessage', examples: [{ audience: 'customers', purpose: 'initial_notice', note: 'Card data was not affected.' }] });
export type DraftMessage = z.infer<typeof DraftMessage>;

export const MessageStatus = z.enum(['awaiting_approval', 'rejected', 'approved', 'sending', 'sent', 'partially_sent', 'failed']);
export type MessageStatus = z.infer<typeof MessageStatus>;

export const MessageDeliveryView = z.object({
  notificationId: z.uuid(),
  channel: z.string().describe('the channel\'s name'),
  kind: ChannelKind,
  recipients: z.array(z.string()),
  body: z.string().describe('exactly what was sent'),
  bodySha256: z.string(),
  status: z.enum(['pending', 'delivered', 'failed']),
  attempts: z.int(),
  deliveredAt: Timestamp.nullable(),
  receipts: z.array(
    z.object({
      attempt: z.int(),
      at: Timestamp,
      outcome: z.enum(['delivered', 'failed']),
      statusCode: z.int().nullable(),
      error: z.string().nullable(),
      receipt: z.record(z.string(), z.unknown()).nullable().describe('what the channel answered: SMTP message id and response, HTTP status'),
    }),
  ),
});

export const MessageView = z
  .object({
    messageId: z.uuid(),
    incidentId: z.uuid(),
    audience: AudienceKey,
    purpose: MessagePurpose,
    status: MessageStatus,
    subject: z.string(),
    text: z.string().describe('the rendered text as approved and sent'),
    textSha256: z.string().describe('SHA-256 of subject, a newline and text (UTF-8), hex'),
    note: z.string().nullable(),
    obligationId: z.uuid().nullable(),
    checklistMissing: z.array(z.string()).describe('checklist items of its regulatory clock the incident could not fill'),
    automatic: z.boolean().describe('sent by an audience rule, not drafted by a person'),
    restricted: z.boolean().describe('the incident was restricted when it was drafted'),
    draftedBy: z.string(),
    draftedAt: Timestamp,
    approval: z.object({
      required: z.boolean(),
      approverRoles: z.array(z.string()),
      approvedBy: z.string().nullable(),
      approvedAt: Timestamp.nullable(),
      comment: z.string().nullable(),
      rejectedBy: z.string().nullable(),
      rejectedAt: Timestamp.nullable(),
      rejectionReason: z.string().nullable(),
    }),
    releasedAt: Timestamp.nullable().describe('when it went to its channels'),
    completedAt: Timestamp.nullable().describe('when every channel had delivered or given up'),
    deliveries: z.array(MessageDeliveryView),
  })
  .meta({ id: 'Message' });
export type MessageView = z.infer<typeof MessageView>;
export const MessageList = z.object({ items: z.array(MessageView) }).meta({ id: 'MessageList' });

export const ApproveMessage = z.strictObject({ comment: z.string().trim().max(2000).optional() }).meta({ id: 'ApproveMessage', examples: [{ comment: 'checked with outside counsel' }] });
export type ApproveMessage = z.infer<typeof ApproveMessage>;
export const RejectMessage = z.strictObject({ reason: Reason }).meta({ id: 'RejectMessage', examples: [{ reason: 'do not name the vendor yet' }] });
export type RejectMessage = z.infer<typeof RejectMessage>;

/**
 * The decisions that start regulatory clocks: becoming aware of a personal-data breach, judging
 * it high-risk to the people concerned, a significant incident (NIS2), classifying an ICT incident
 * as major (DORA), determining a cybersecurity incident material (SEC), discovering a breach of
 * protected health information (HIPAA).
 */
export const DecisionKind = z
  .enum(['personal_data_breach', 'high_risk_to_data_subjects', 'significant_incident', 'major_ict_incident', 'material_cybersecurity_incident', 'phi_breach'])
  .meta({ id: 'DecisionKind' });
export type DecisionKind = z.infer<typeof DecisionKind>;

export const RecordDecision = z
  .strictObject({
    kind: DecisionKind,
    effectiveAt: Timestamp.describe('when it took effect: the awareness, classification, determination or discovery time (not in the future)'),
    awareAt: Timestamp.optional().describe('when the organisation became aware of the incident, where the rule counts from it too (DORA); defaults to effectiveAt'),
    reason: Reason.describe('why: kept in the decision log'),
    jurisdictions: z.array(z.string().regex(/^[A-Z]{2}(-[A-Z0-9]{1,3})?$/, { error: 'ISO 3166 code, e.g. US-TX or DE' })).max(100).optional().describe('where affected people live (US state rules apply only where named)'),
    affectedIndividuals: z.int().nonnegative().optional().describe('approximate number of people affected'),
  })
  .meta({
    id: 'RecordDecision',
    examples: [{ kind: 'personal_data_breach', effectiveAt: '2026-11-24T09:15:00Z', reason: 'exfiltrated CRM export confirmed to hold customer e-mail addresses' }],
  });
export type RecordDecision = z.infer<typeof RecordDecision>;

export const DecisionView = z
  .object({
    decisionId: z.uuid(),
    incidentId: z.uuid(),
    kind: DecisionKind,
    effectiveAt: Timestamp,
    awareAt: Timestamp,
    reason: z.string(),
    jurisdictions: z.array(z.string()),
    affectedIndividuals: z.int().nullable(),
    decidedBy: z.string().describe('the subject of the person, or system:classification when the classification implied it'),
    decidedByName: z.string().nullable(),
    implied: z.boolean(),
    recordedAt: Timestamp,
    obligationsStarted: z.array(z.string()).describe('rule ids of the clocks it started or moved earlier'),
  })
  .meta({ id: 'Decision' });
export type DecisionView = z.infer<typeof DecisionView>;
export const DecisionList = z.object({ items: z.array(DecisionView) }).meta({ id: 'DecisionList' });

export const ObligationStatus = z.enum(['pending', 'open', 'paused', 'late', 'submitted', 'submitted_late', 'waived']).meta({ id: 'ObligationStatus' });
export type ObligationStatus = z.infer<typeof ObligationStatus>;

export const ChecklistItemView = z.object({ key: z.string(), label: z.string(), value: z.string().nullable(), required: z.boolean() });

export const ObligationView = z
  .object({
    obligationId: z.uuid(),
    incidentId: z.uuid(),
    rule: z.string(),
    stage: z.string(),
    regulation: z.string(),
    title: z.string(),
    citation: z.string().describe('the legal source'),
    sourceUrl: z.string(),
    audience: AudienceKey,
    recipient: z.string(),
    status: ObligationStatus,
    startedAt: Timestamp.describe('the trigger: when the deciding decision took effect'),
    deadline: Timestamp.nullable().describe('null while it waits for an earlier stage, or where the law sets none'),
    deadlineKind: z.enum(['statutory', 'target', 'none']).describe('target: "without undue delay", shown against an internal target'),
    deadlineBasis: z.string().describe('how the deadline is counted'),
    timeLeftSeconds: z.number().nullable().describe('negative once late; null without a deadline'),
    pausedAt: Timestamp.nullable(),
    pausedSeconds: z.int().describe('time paused so far (law-enforcement delay); the deadline moves by it'),
    pauseAllowed: z.string().nullable().describe('the legal basis for a pause, where the law allows one'),
    submittedAt: Timestamp.nullable(),
    submittedBy: z.string().nullable(),
    reference: z.string().nullable(),
    lateReason: z.string().nullable(),
    waivedReason: z.string().nullable(),
    decisionId: z.uuid(),
    checklist: z.array(ChecklistItemView),
  })
  .meta({ id: 'Obligation' });
export type ObligationView = z.infer<typeof ObligationView>;
export const ObligationList = z.object({ items: z.array(ObligationView) }).meta({ id: 'ObligationList' });

export const SubmitObligation = z
  .strictObject({
    submittedAt: Timestamp.optional().describe('when it was submitted (defaults to now; not in the future)'),
    reference: z.string().trim().min(1).max(500).optional().describe('the authority\'s case number, portal receipt …'),
    messageId: z.uuid().optional().describe('the message that carried it'),
    lateReason: Reason.optional().describe('required when submitted after the deadline (GDPR art. 33(1): reasons for the delay)'),
  })
  .meta({ id: 'SubmitObligation', examples: [{ reference: 'CNIL-2026-000123' }] });
export type SubmitObligation = z.infer<typeof SubmitObligation>;

export const PauseObligation = z
  .strictObject({ reason: Reason.describe('e.g. the law-enforcement agency\'s written request, its reference and date') })
  .meta({ id: 'PauseObligation', examples: [{ reason: 'FBI written request of 2026-11-25: notice would impede the investigation' }] });
export type PauseObligation = z.infer<typeof PauseObligation>;
export const ObligationReason = z.strictObject({ reason: Reason }).meta({ id: 'ObligationReason' });
export type ObligationReason = z.infer<typeof ObligationReason>;

export const ObligationRuleView = z
  .object({
    rule: z.string(),
    regulation: z.string(),
    title: z.string(),
    trigger: DecisionKind,
    impliedBy: z.string().nullable(),
    audience: AudienceKey,
    recipient: z.string(),
    citation: z.string(),
    sourceUrl: z.string(),
    pauseAllowed: z.string().nullable(),
    enabled: z.boolean(),
    stages: z.array(z.object({ stage: z.string(), title: z.string(), deadline: z.string(), checklist: z.array(z.object({ key: z.string(), label: z.string(), required: z.boolean() })) })),
  })
  .meta({ id: 'ObligationRule' });
export const ObligationRuleList = z.object({ items: z.array(ObligationRuleView) }).meta({ id: 'ObligationRuleList' });

export const StatusCadenceView = z
  .object({
    incidentId: z.uuid(),
    audience: AudienceKey,
    severity: IncidentSeverity,
    intervalSeconds: z.int(),
    graceSeconds: z.int(),
    active: z.boolean(),
    lastUpdateAt: Timestamp.nullable(),
    dueAt: Timestamp,
    remindedAt: Timestamp.nullable(),
    missedAt: Timestamp.nullable(),
  })
  .meta({ id: 'StatusCadence' });
export const StatusCadenceList = z.object({ items: z.array(StatusCadenceView) }).meta({ id: 'StatusCadenceList' });
