import { BaseConfig } from '@vigil/platform';
import { z } from 'zod';

export const TaskingConfig = BaseConfig.extend({
  ONCALL_TRIAGE_URL: z
    .url({ protocol: /^https?$/ })
    .default('http://localhost:7402')
    .describe('how people reach triage: pages link to the incident there and say how to acknowledge it'),
  ONCALL_POLL_MS: z.coerce.number().int().min(50).max(60_000).default(1000).describe('how often the escalation runner looks for steps that are due'),
});
export type TaskingConfig = z.infer<typeof TaskingConfig>;
