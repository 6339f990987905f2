import type { AudienceKey, DecisionKind, IncidentSnapshot } from '@vigil/contracts';
import { DateTime } from 'luxon';
import type { Organisation } from '../../templates/template-view';

/** What a deadline is counted from. */
export interface DeadlineContext {
  /** When the triggering decision took effect (awareness, classification, determination, discovery). */
  effectiveAt: Date;
  /** When the organisation became aware of the incident (DORA counts from both). */
  awareAt: Date;
  affectedIndividuals: number | null;
  /** When each stage of the same obligation was submitted, for stages counted from an earlier one. */
  submitted: Readonly<Record<string, Date | undefined>>;
  /** The internal target for "without undue delay" (COMMS_UNDUE_DELAY_TARGET_HOURS). */
  undueDelayTargetHours: number;
}

export interface Deadline {
  /** null: the law sets none, or it waits for an earlier stage to be submitted. */
  at: Date | null;
  kind: 'statutory' | 'target' | 'none';
  /** How it is counted, in words, for the clock and the notice. */
  basis: string;
}

/** What the incident and the decision tell the checklist. */
export interface RuleFacts {
  incident: IncidentSnapshot;
  decision: { effectiveAt: Date; awareAt: Date; jurisdictions: string[]; affectedIndividuals: number | null };
  organisation: Organisation;
}

export interface ChecklistItem {
  key: string;
  label: string;
  required: boolean;
  /** Fills the item from the incident where it can; null leaves it to a person. */
  fill?: (facts: RuleFacts) => string | null;
}

export interface StageRule {
  stage: string;
  title: string;
  /** The deadline rule in words (GET /v1/obligation-rules). */
  describe: string;
  deadline(ctx: DeadlineContext): Deadline;
  /** Whether this stage applies at all (e.g. HIPAA media notice above 500 people). */
  appliesWhen?: (ctx: DeadlineContext) => boolean;
  checklist: ChecklistItem[];
}

/**
 * One legal notification duty: what starts it, whom it is owed to, by when, with what content,
 * and its source. Rules are code, reviewed like code; docs/comms.md lists each with its source.
 */
export interface ObligationRule {
  id: string;
  regulation: string;
  title: string;
  trigger: DecisionKind;
  /** Classification that implies the triggering decision (recorded as an implied decision). */
  impliedBy?: { describe: string; test(incident: IncidentSnapshot): boolean };
  /** Whether the rule applies to this decision (e.g. a US state rule to residents of that state). */
  appliesTo?: (decision: { jurisdictions: string[] }) => boolean;
  audience: AudienceKey;
  recipient: string;
  citation: string;
  sourceUrl: string;
  /** The legal basis of a pause (law-enforcement delay), where the law allows one; null where not. */
  pause: string | null;
  stages: StageRule[];
}

export const HOUR_MS = 3_600_000;

export function hoursAfter(from: Date, hours: number): Date {
  return new Date(from.getTime() + hours * HOUR_MS);
}

export function daysAfter(from: Date, days: number): Date {
  return new Date(from.getTime() + days * 24 * HOUR_MS);
}

/** Calendar months, as "one month after" reads (31 January + 1 month = 28/29 February). */
export function monthsAfter(from: Date, months: number): Date {
  return DateTime.fromJSDate(from, { zone: 'utc' }).plus({ months }).toJSDate();
}

export function earliest(...dates: Date[]): Date {
  return new Date(Math.min(...dates.map((d) => d.getTime())));
}

/** A stage counted from the submission of an earlier one: no deadline until that is submitted. */
export function afterSubmission(ctx: DeadlineContext, stage: string, count: (submittedAt: Date) => Date, basis: string): Deadline {
  const submittedAt = ctx.submitted[stage];
  return submittedAt ? { at: count(submittedAt), kind: 'statutory', basis } : { at: null, kind: 'statutory', basis: `${basis} (waiting for the ${stage.replace(/_/g, ' ')})` };
}

/** "Without undue delay": no statutory deadline, shown against the internal target. */
export function withoutUndueDelay(ctx: DeadlineContext, from: Date, what: string): Deadline {
  return { at: hoursAfter(from, ctx.undueDelayTargetHours), kind: 'target', basis: `without undue delay after ${what}; internal target ${ctx.undueDelayTargetHours} h` };
}

// Checklist fillers shared by the rules.
export const fill = {
  nature: (f: RuleFacts) => `${f.incident.category.replace(/_/g, ' ')} incident (${f.incident.severity}): ${f.incident.title}`,
  affected: (f: RuleFacts) => (f.decision.affectedIndividuals === null ? null : `about ${f.decision.affectedIndividuals} people`),
  contact: (f: RuleFacts) => f.organisation.dpoContact ?? f.organisation.contact,
  organisationContact: (f: RuleFacts) => f.organisation.contact,
  detected: (f: RuleFacts) => `activity from ${f.incident.timestamps.occurredAt}, detected ${f.incident.timestamps.detectedAt}`,
  awareness: (f: RuleFacts) => f.decision.awareAt.toISOString(),
  measures: (f: RuleFacts) => {
    const t = f.incident.timestamps;
    const done = [t.containedAt && `contained ${t.containedAt}`, t.eradicatedAt && `eradicated ${t.eradicatedAt}`, t.recoveredAt && `recovered ${t.recoveredAt}`].filter(Boolean);
    return done.length ? `incident response under way (phase ${f.incident.phase}): ${done.join(', ')}` : null;
  },
  impact: (f: RuleFacts) =>
    f.incident.classification
      ? `functional impact ${f.incident.classification.functionalImpact}, information impact ${f.incident.classification.informationImpact}, recoverability ${f.incident.classification.recoverability}`
      : null,
  category: (f: RuleFacts) => f.incident.category.replace(/_/g, ' '),
  jurisdictions: (f: RuleFacts) => (f.decision.jurisdictions.length ? f.decision.jurisdictions.join(', ') : null),
};
