import { z } from 'zod';
import { ActionItemType } from '../events/reviews';
import { AlertSeverity, IncidentCategory, IncidentPhase, ResponderRole, Timestamp } from '../vocabulary';
import { AffectedAsset, CanonicalAlert } from './alert';
import { Actor } from './incident';
import { ActionItemView } from './reviews';

const Key = z.string().regex(/^[a-z][a-z0-9-]{0,62}$/, 'lower-case letters, digits and dashes, starting with a letter');
const Minutes = z.number().min(0).max(60 * 24 * 30).describe('minutes after the exercise starts (T+)');

/** MITRE ATT&CK technique or sub-technique id, e.g. T1486 or T1566.001. */
export const AttackTechnique = z.string().regex(/^T\d{4}(\.\d{3})?$/, 'an ATT&CK technique id such as T1486 or T1566.001');

/** A synthetic alert, in the canonical ingest format; the exercise flag and dedup key are set when it is sent. */
const AlertInject = z.strictObject({
  key: Key,
  atMinutes: Minutes,
  kind: z.literal('alert'),
  format: z.literal('canonical').default('canonical'),
  alert: CanonicalAlert.omit({ exercise: true, dedupKey: true, occurredAt: true }).extend({
    occurredMinutesBefore: z.number().min(0).max(60 * 24 * 30).optional().describe('the activity happened this long before the inject (sets occurredAt)'),
  }),
});

/** A person's report (intake's report format), as a user calling the help desk would make it. */
const ReportInject = z.strictObject({
  key: Key,
  atMinutes: Minutes,
  kind: z.literal('report'),
  report: z.strictObject({
    reporter: z.strictObject({ name: z.string().min(1).max(200), email: z.email() }),
    whatHappened: z.string().min(1).max(20_000),
    category: IncidentCategory.optional(),
    severityGuess: AlertSeverity.optional(),
    affectedAsset: AffectedAsset.optional(),
  }),
});

/** A message to participants: what the help desk, the CEO or the press says at that moment. */
const MessageInject = z.strictObject({
  key: Key,
  atMinutes: Minutes,
  kind: z.literal('message'),
  from: z.string().min(1).max(200).describe('who the message is from, in the scenario'),
  to: z.array(ResponderRole).min(1).describe('the team roles it is for'),
  text: z.string().min(1).max(20_000),
});

export const ScenarioInject = z.discriminatedUnion('kind', [AlertInject, ReportInject, MessageInject]);
export type ScenarioInject = z.infer<typeof ScenarioInject>;

/**
 * How an expected action is observed: a timestamp of the exercise incident's clock, the first time
 * it entered a phase, an event on its timeline, or the evaluator's observation (for what no event
 * records yet, e.g. a regulator notified by telephone).
 */
export const ExpectedActionMeasure = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('clock'), field: z.enum(['declaredAt', 'acknowledgedAt', 'containedAt', 'eradicatedAt', 'recoveredAt', 'closedAt']) }),
  z.strictObject({ kind: z.literal('phase'), phase: IncidentPhase }),
  z.strictObject({ kind: z.literal('event'), type: z.string().regex(/^vigil\.[a-z-]+\.[a-z-]+\.v\d+$/) }),
  z.strictObject({ kind: z.literal('observed') }),
]);
export type ExpectedActionMeasure = z.infer<typeof ExpectedActionMeasure>;

export const ExpectedAction = z.strictObject({
  key: Key,
  title: z.string().min(1).max(500),
  capability: Key.describe('the capability it demonstrates'),
  targetMinutes: Minutes.describe('met when observed by T + targetMinutes'),
  measure: ExpectedActionMeasure,
});
export type ExpectedAction = z.infer<typeof ExpectedAction>;

export const ScenarioModule = z.strictObject({
  key: Key,
  title: z.string().min(1).max(500),
  description: z.string().max(20_000).optional(),
  injects: z.array(ScenarioInject).min(1),
});

/** An exercise scenario (CISA tabletop exercise package style), kept as YAML in the repository. */
export const Scenario = z
  .strictObject({
    key: Key,
    title: z.string().min(1).max(500),
    summary: z.string().min(1).max(20_000),
    attack: z.array(AttackTechnique).min(1).describe('MITRE ATT&CK techniques the scenario plays'),
    capabilities: z.array(z.strictObject({ key: Key, title: z.string().min(1).max(200), objective: z.string().min(1).max(2000) })).min(1),
    modules: z.array(ScenarioModule).min(1),
    expectedActions: z.array(ExpectedAction).min(1),
  })
  .meta({ id: 'ExerciseScenario' });
export type Scenario = z.infer<typeof Scenario>;

export const ScenarioSummary = z
  .object({ key: z.string(), title: z.string(), summary: z.string(), attack: z.array(z.string()), modules: z.int(), injects: z.int(), expectedActions: z.int() })
  .meta({ id: 'ExerciseScenarioSummary' });
export const ScenarioList = z.object({ items: z.array(ScenarioSummary) }).meta({ id: 'ExerciseScenarioList' });

export const StartExercise = z
  .strictObject({
    scenario: Key.describe('the key of a scenario in the library'),
    title: z.string().trim().min(1).max(500).optional(),
  })
  .meta({ id: 'StartExercise', examples: [{ scenario: 'ransomware', title: 'Q4 ransomware tabletop' }] });
export type StartExercise = z.infer<typeof StartExercise>;

/** HSEEP performance ratings: Performed without challenges, with Some challenges, with Major challenges, Unable to be performed. */
export const HseepRating = z.enum(['P', 'S', 'M', 'U']);
export type HseepRating = z.infer<typeof HseepRating>;

export const RateCapability = z
  .strictObject({
    rating: HseepRating,
    strengths: z.array(z.string().trim().min(1).max(2000)).max(50).default([]),
    areasForImprovement: z.array(z.string().trim().min(1).max(2000)).max(50).default([]),
    note: z.string().trim().max(20_000).optional(),
  })
  .meta({ id: 'RateCapability', examples: [{ rating: 'S', strengths: ['Fast isolation'], areasForImprovement: ['Regulator clock started late'] }] });
export type RateCapability = z.infer<typeof RateCapability>;

export const RecordObservation = z
  .strictObject({
    expectedAction: Key,
    at: Timestamp.describe('when the evaluator saw it done'),
    note: z.string().trim().max(2000).optional(),
  })
  .meta({ id: 'RecordObservation', examples: [{ expectedAction: 'regulator-clock', at: '2026-11-24T10:40:00Z', note: 'DPO called the authority' }] });
export type RecordObservation = z.infer<typeof RecordObservation>;

export const AddImprovementItem = z
  .strictObject({
    title: z.string().trim().min(1).max(500),
    capability: Key.optional(),
    type: ActionItemType,
    owner: Actor,
    dueAt: Timestamp,
    description: z.string().trim().max(20_000).optional(),
  })
  .meta({ id: 'AddImprovementItem', examples: [{ title: 'Train the DPO on the GDPR clock', capability: 'communications', type: 'training', owner: 'u-leo', dueAt: '2027-01-15T17:00:00Z' }] });
export type AddImprovementItem = z.infer<typeof AddImprovementItem>;

export const InjectView = z.object({
  key: z.string(),
  module: z.string(),
  kind: z.enum(['alert', 'report', 'message']),
  atMinutes: z.number(),
  dueAt: Timestamp,
  status: z.enum(['pending', 'sent', 'failed', 'cancelled']),
  releasedAt: Timestamp.nullable(),
  alertId: z.uuid().nullable(),
  error: z.string().nullable(),
});

export const ExpectedActionResult = z.object({
  key: z.string(),
  title: z.string(),
  capability: z.string(),
  targetMinutes: z.number(),
  targetAt: Timestamp,
  measure: z.string().describe('how it was observed'),
  observedAt: Timestamp.nullable(),
  minutesAfterStart: z.number().nullable(),
  outcome: z.enum(['met', 'missed', 'pending']).describe('pending: not seen yet and still within its target while the exercise runs'),
});
export type ExpectedActionResult = z.infer<typeof ExpectedActionResult>;

export const CapabilityResult = z.object({
  key: z.string(),
  title: z.string(),
  objective: z.string(),
  met: z.int(),
  missed: z.int(),
  pending: z.int(),
  rating: HseepRating.nullable(),
  strengths: z.array(z.string()),
  areasForImprovement: z.array(z.string()),
  note: z.string().nullable(),
  ratedBy: z.string().nullable(),
});

export const ExerciseView = z
  .object({
    exerciseId: z.uuid(),
    scenario: z.string(),
    title: z.string(),
    state: z.enum(['running', 'ended']),
    startedAt: Timestamp,
    startedBy: z.string(),
    endedAt: Timestamp.nullable(),
    endedBy: z.string().nullable(),
    incidentId: z.uuid().nullable().describe('the exercise incident the first inject opened, once triage has opened it'),
    attack: z.array(z.string()),
    injects: z.array(InjectView),
    expectedActions: z.array(ExpectedActionResult),
    capabilities: z.array(CapabilityResult),
    score: z.number().nullable().describe('expected actions met ÷ expected actions (0–1), once the exercise has ended'),
    improvementPlan: z.array(ActionItemView),
  })
  .meta({ id: 'Exercise' });
export type ExerciseView = z.infer<typeof ExerciseView>;

export const ExerciseList = z
  .object({ items: z.array(ExerciseView.pick({ exerciseId: true, scenario: true, title: true, state: true, startedAt: true, endedAt: true, incidentId: true, score: true })) })
  .meta({ id: 'ExerciseList' });
