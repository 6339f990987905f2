import { BaseConfig } from '@vigil/platform';
import { z } from 'zod';

export const TaskingConfig = BaseConfig.extend({
  ONCALL_TRIAGE_URL: z
    .url({ protocol: /^https?$/ })
    .default('http://localhost:7402')
    .describe('how people reach triage: pages link to the incident there and say how to acknowledge it'),
  ONCALL_POLL_MS: z.coerce.number().int().min(50).max(60_000).default(1000).describe('how often the escalation runner looks for steps that are due'),
  TASK_SLA_POLL_MS: z.coerce.number().int().min(50).max(300_000).default(15_000).describe('how often the SLA watcher looks for tasks past their due time'),
  ACTION_SWEEP_MS: z.coerce.number().int().min(50).max(300_000).default(30_000).describe('how often response actions are swept: requests past their approval expiry are marked expired, sends cut off by a stop are marked interrupted'),
  ACTION_INTERRUPTED_AFTER_SECONDS: z.coerce
    .number()
    .int()
    .min(60)
    .max(86_400)
    .default(900)
    .describe('an action still sending after this long was cut off (the service stopped mid-send): it is marked failed, outcome unknown, and never re-sent'),
});
export type TaskingConfig = z.infer<typeof TaskingConfig>;
