import { AlertSeverity } from '@vigil/contracts';
import { BaseConfig } from '@vigil/platform';
import { z } from 'zod';
import { DEFAULT_SEVERITY_MATRIX, SeverityMatrixOverride, withOverrides } from './classification/severity-matrix';

export const TriageConfig = BaseConfig.extend({
  TRIAGE_OPEN_INCIDENTS_FROM: AlertSeverity.default('low').describe(
    'alerts of this severity or above open incidents; less severe ones wait as alerts until an analyst promotes them',
  ),
  TRIAGE_SEVERITY_MATRIX: z
    .string()
    .optional()
    .transform((raw, ctx) => {
      if (raw === undefined) return DEFAULT_SEVERITY_MATRIX;
      let json: unknown;
      try {
        json = JSON.parse(raw);
      } catch {
        ctx.addIssue({ code: 'custom', message: 'must be JSON' });
        return z.NEVER;
      }
      const parsed = SeverityMatrixOverride.safeParse(json);
      if (!parsed.success) {
        ctx.addIssue({ code: 'custom', message: parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ') });
        return z.NEVER;
      }
      return withOverrides(parsed.data);
    })
    .describe('JSON overriding parts of the severity matrix (see docs/triage.md)'),
  TRIAGE_RECOVERY_WATCH_DAYS: z.coerce
    .number()
    .int()
    .positive()
    .max(3650)
    .default(14)
    .describe("days after recovery during which alerts on a recovered incident's assets or observables attach to it as recurrences (an incident's own recovery_watch_days wins)"),
});
export type TriageConfig = z.infer<typeof TriageConfig>;
