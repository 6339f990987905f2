import { AffectedAsset, AlertSeverity, IncidentCategory, Timestamp } from '@vigil/contracts';
import { z } from 'zod';
import { LIMITS, hashedKey, isoTime, neverThrow, oneLine, toSignal, truncate, zodErrors } from './common';
import { ObservableCollector, normalizeEmail } from './observables';
import { DEFAULT_SEVERITY } from './severity';
import type { MappingResult } from './signal';

/**
 * A person reporting an incident (`POST /v1/reports`): who, what they saw, when, and on what.
 * Strict: an unknown field is rejected at its own pointer, so a typo never silently drops what
 * the reporter wrote.
 */
export const IncidentReport = z
  .strictObject({
    reporter: z.strictObject({
      name: z.string().trim().min(1).max(200),
      email: z.email().max(254),
    }),
    whatHappened: z.string().trim().min(1).max(LIMITS.description).describe('what the reporter saw, in their own words'),
    seenAt: Timestamp.describe('when the reporter saw it (RFC 3339 with offset)'),
    affectedAsset: AffectedAsset.optional().describe('the machine, account or system it happened on, if known'),
    category: IncidentCategory.optional(),
    severityGuess: AlertSeverity.optional().describe('how bad the reporter thinks it is; medium when not given'),
    exercise: z.boolean().optional().describe('marks a report made during a tabletop or live exercise'),
  })
  .meta({
    id: 'IncidentReport',
    examples: [
      {
        reporter: { name: 'Dana Whitfield', email: 'dana.whitfield@example.com' },
        whatHappened: 'I got an e-mail from "IT support" asking me to log in at http://examp1e-login.com/reset and I entered my password before I noticed the address.',
        seenAt: '2026-11-24T08:15:00+01:00',
        affectedAsset: { hostname: 'lt-dwhitfield', name: "Dana's laptop" },
        category: 'phishing',
        severityGuess: 'high',
      },
    ],
  });
export type IncidentReport = z.infer<typeof IncidentReport>;

/**
 * Maps an incident report into one trigger signal.
 *
 * - source `report:<e-mail>` (domain lower-cased); severity the reporter's guess, else medium.
 * - dedupKey `report:` + a hash of (e-mail, what happened, when), so a report sent twice (a double
 *   click, a retry) is one alert with two occurrences, while two reports are two alerts.
 * - title: "Reported: " and the first line of what happened; description: the full text and who
 *   reported it; occurredAt: seenAt; the affected asset and category as given; observables from
 *   the text (the reporter's own address is not one).
 */
export function mapReport(body: unknown): MappingResult {
  return neverThrow(() => {
    const parsed = IncidentReport.safeParse(body, { reportInput: true });
    if (!parsed.success) return { ok: false, errors: zodErrors(parsed.error) };
    const report = parsed.data;
    const email = normalizeEmail(report.reporter.email) ?? report.reporter.email;
    const seenAt = isoTime(report.seenAt) ?? report.seenAt;
    const firstLine = report.whatHappened.split(/\r?\n/).find((line) => line.trim()) ?? report.whatHappened;

    const observables = new ObservableCollector().addText(report.whatHappened);
    const description = `${report.whatHappened}\n\nReported by ${report.reporter.name} <${email}>.`;

    const signal = toSignal(
      'report',
      'trigger',
      {
        title: oneLine(`Reported: ${firstLine}`, LIMITS.title)!,
        source: truncate(`report:${email}`, LIMITS.source),
        severity: report.severityGuess ?? DEFAULT_SEVERITY,
        occurredAt: seenAt,
        dedupKey: hashedKey('report:', [email.toLowerCase(), report.whatHappened, seenAt]),
        description: truncate(description, LIMITS.description),
        category: report.category,
        labels: { 'reporter.name': report.reporter.name, 'reporter.email': email },
        assets: report.affectedAsset ? [report.affectedAsset] : undefined,
        observables: observables.toField()?.filter((o) => !(o.type === 'email' && o.value.toLowerCase() === email.toLowerCase())),
        exercise: report.exercise,
      },
      body,
      '',
    );
    return 'errors' in signal ? { ok: false, errors: signal.errors } : { ok: true, signals: [signal.signal] };
  });
}
