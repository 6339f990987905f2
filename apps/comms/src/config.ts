import { BaseConfig } from '@vigil/platform';
import { z } from 'zod';

export const CommsConfig = BaseConfig.extend({
  COMMS_WEBHOOK_URL: z.url({ protocol: /^https?$/ }).optional().describe('IR team webhook (e.g. a Slack or Teams incoming webhook)'),
  COMMS_WEBHOOK_SECRET: z.string().min(16).optional().meta({ sensitive: true }).describe('HMAC-SHA256 key signing each delivery'),
  COMMS_DELIVERY_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(50).default(8),
  COMMS_DELIVERY_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(5000),
  COMMS_RETRY_BASE_MS: z.coerce.number().int().min(10).max(600_000).default(1000),
  COMMS_SMTP_URL: z
    .url({ protocol: /^smtps?$/ })
    .optional()
    .meta({ sensitive: true })
    .describe('SMTP server for pages by e-mail, e.g. smtps://user:password@mail.example:465; without it e-mail contact methods are not paged'),
  COMMS_SMTP_FROM: z.string().min(3).default('Vigil <vigil@localhost>').describe('From: of paging e-mails'),
});
export type CommsConfig = z.infer<typeof CommsConfig>;
