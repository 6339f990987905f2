import { AudienceKey, CreateChannel, VigilRole } from '@vigil/contracts';
import { BaseConfig, flag } from '@vigil/platform';
import { z } from 'zod';
import { OBLIGATION_RULES, DEFAULT_ENABLED_RULES } from './obligations/rules';

const list = <T extends z.ZodType<string, string>>(item: T) =>
  z
    .string()
    .transform((v) => v.split(',').map((s) => s.trim()).filter(Boolean))
    .pipe(z.array(item));

/** A channel defined in configuration, and the audiences it reaches. */
const ConfiguredChannel = z.intersection(CreateChannel, z.object({ audiences: z.array(AudienceKey).default([]) }));
export type ConfiguredChannel = z.infer<typeof ConfiguredChannel>;

const json = <T extends z.ZodType>(schema: T) =>
  z
    .string()
    .transform((v, ctx) => {
      try {
        return JSON.parse(v) as unknown;
      } catch {
        ctx.addIssue({ code: 'custom', message: 'is not JSON' });
        return z.NEVER;
      }
    })
    .pipe(schema);

const ruleIds = Object.keys(OBLIGATION_RULES);

export const CommsConfig = BaseConfig.extend({
  COMMS_WEBHOOK_URL: z.url({ protocol: /^https?$/ }).optional().describe('a generic webhook for the IR team (channel ir-team-webhook)'),
  COMMS_WEBHOOK_SECRET: z.string().min(16).optional().meta({ sensitive: true }).describe('HMAC-SHA256 key signing each delivery to COMMS_WEBHOOK_URL and each page to a webhook contact method'),
  COMMS_CHANNELS: json(z.array(ConfiguredChannel).max(100))
    .optional()
    .meta({ sensitive: true })
    .describe('JSON list of channels ({kind, name, config, secrets, audiences}); created or updated at start, read-only through the API'),
  COMMS_DELIVERY_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(50).default(8),
  COMMS_DELIVERY_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(5000),
  COMMS_RETRY_BASE_MS: z.coerce.number().int().min(10).max(600_000).default(1000),
  COMMS_SMTP_URL: z
    .url({ protocol: /^smtps?$/ })
    .optional()
    .meta({ sensitive: true })
    .describe('SMTP server for pages by e-mail, e.g. smtps://user:password@mail.example:465; without it e-mail contact methods are not paged'),
  COMMS_SMTP_FROM: z.string().min(3).default('Vigil <vigil@localhost>').describe('From: of paging e-mails'),
  COMMS_PAGE_WEBHOOKS_ALLOW_PRIVATE_NETWORK: flag
    .default(false)
    .describe('pages may reach webhook contact methods on loopback, private and link-local addresses (people\'s webhooks are checked like API channels: public addresses only by default)'),
  COMMS_PAGE_WEBHOOKS_ALLOW_HTTP: flag.default(false).describe('pages may reach webhook contact methods over plain http'),
  COMMS_ORGANISATION_NAME: z.string().trim().min(1).max(200).default('Example Organisation').describe('organisation.name in templates'),
  COMMS_ORGANISATION_CONTACT: z.string().trim().min(1).max(500).default('security@example.com').describe('organisation.contact in templates'),
  COMMS_DPO_CONTACT: z.string().trim().min(1).max(500).optional().describe('the data protection officer, for GDPR notices'),
  COMMS_APPROVER_ROLES: list(VigilRole)
    .default(['legal', 'ir_manager'])
    .describe('roles that approve messages needing approval (each must also hold messages.approve)'),
  COMMS_RESTRICTED_APPROVER_ROLES: list(VigilRole).default(['legal']).describe('roles that approve messages about restricted incidents to outside audiences'),
  COMMS_OBLIGATION_RULES: list(z.enum(ruleIds as [string, ...string[]]))
    .default([...DEFAULT_ENABLED_RULES])
    .describe(`regulatory rules the organisation is subject to (${ruleIds.join(', ')})`),
  COMMS_UNDUE_DELAY_TARGET_HOURS: z.coerce.number().int().min(1).max(24 * 30).default(72).describe('internal target for obligations "without undue delay"'),
  COMMS_OBLIGATION_REMINDER_HOURS: z
    .string()
    .transform((v) => v.split(',').map((s) => Number(s.trim())))
    .pipe(z.array(z.number().positive().max(24 * 60)).max(10))
    .default([24, 4, 1])
    .describe('reminders this many hours before a regulatory deadline'),
  COMMS_TIMER_POLL_MS: z.coerce.number().int().min(50).max(60_000).default(1000).describe('how often status-update and deadline timers are checked'),
});
export type CommsConfig = z.infer<typeof CommsConfig>;

/** Reminder leads in milliseconds, longest first. */
export function reminderLeadsMs(config: CommsConfig): number[] {
  return config.COMMS_OBLIGATION_REMINDER_HOURS.map((h) => h * 3_600_000).sort((a, b) => b - a);
}
