import { BaseConfig } from '@vigil/platform';
import { z } from 'zod';

export const ReportingConfig = BaseConfig.extend({
  REPORTING_PDF_FONT: z.string().min(1).optional().describe('a TrueType font file for PDF reports (e.g. DejaVuSans.ttf), for text beyond Windows-1252; default: the PDF standard Helvetica'),
  REPORTING_PDF_FONT_BOLD: z.string().min(1).optional().describe('its bold face (default: the same font)'),
  REPORTING_EXERCISE_INTAKE_URL: z.url({ protocol: /^https?$/ }).optional().describe('intake\'s base URL, where exercise injects are posted'),
  REPORTING_EXERCISE_ALERT_KEY: z.string().min(8).optional().meta({ sensitive: true }).describe('API key of a canonical intake integration for exercise alerts, created with allowIncidentReference: true (later alerts name the exercise incident)'),
  REPORTING_EXERCISE_REPORT_KEY: z.string().min(8).optional().meta({ sensitive: true }).describe('API key of a report intake integration for exercise reports (scenarios with report injects need it)'),
  REPORTING_EXERCISE_TICK_MS: z.coerce.number().int().min(50).max(60_000).default(1000).describe('how often due injects are looked for'),
});
export type ReportingConfig = z.infer<typeof ReportingConfig>;
