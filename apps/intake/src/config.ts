import { BaseConfig } from '@vigil/platform';
import { z } from 'zod';

export const IntakeConfig = BaseConfig.extend({
  INTAKE_API_KEY_PEPPER: z
    .string()
    .min(16, 'must be at least 16 characters')
    .meta({ sensitive: true })
    .describe('secret mixed into every stored API key hash (HMAC-SHA256)'),
  INTAKE_RATE_LIMIT_PER_SECOND: z.coerce.number().int().min(1).max(1_000_000).default(5000).describe('per integration and replica, unless the integration sets its own'),
  INTAKE_BATCH_MAX_ALERTS: z.coerce.number().int().min(1).max(10_000).default(1000),
  INTAKE_MAX_QUEUED_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .max(16 * 1024 * 1024 * 1024)
    .default(64 * 1024 * 1024)
    .describe('request bodies (bytes of JSON) waiting for or in a database write, per replica; beyond it 503 with Retry-After'),
});
export type IntakeConfig = z.infer<typeof IntakeConfig>;
