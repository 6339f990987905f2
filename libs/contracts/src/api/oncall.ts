import { z } from 'zod';
import { BEYOND_SCHEMA, JS_WHITESPACE } from '../beyond-schema';
import { AssetCriticality, IncidentCategory, IncidentSeverity, Timestamp } from '../vocabulary';
import { Reason } from './incident';

/**
 * The response team and who is on call (tasking): people and their contact methods, teams,
 * on-call schedules (RFC 5545 rotations in named time zones, layers, overrides, effective-dated
 * revisions) and escalation policies with the rules that choose them.
 */

/** The incident response team's roles (the seeds' IR manager, analysts, administrators, communications, legal, management). */
export const RosterRole = z.enum(['ir_manager', 'security_analyst', 'system_administrator', 'communications', 'legal', 'management']);
export type RosterRole = z.infer<typeof RosterRole>;

export function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return zone.length > 0;
  } catch {
    return false;
  }
}

/** A named (IANA) time zone such as Europe/Berlin; offsets change with daylight saving time. */
export const TimeZone = z
  .string()
  .min(1)
  .max(64)
  // Which names exist is the runtime's time zone database: beyond what a schema can list exactly.
  .refine(isTimeZone, { message: 'must be an IANA time zone name such as Europe/Berlin or America/New_York', ...BEYOND_SCHEMA })
  .describe('IANA time zone name, e.g. Europe/Berlin');

/** A wall-clock date and time without offset: read in the time zone that accompanies it. */
export const LocalDateTime = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$/, 'must be a local date and time YYYY-MM-DDTHH:MM[:SS] without offset')
  .describe('local date and time, without offset, in the accompanying time zone');

export const LocalTime = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d(:[0-5]\d)?$/, 'must be HH:MM or HH:MM:SS');
export const Weekday = z.enum(['MO', 'TU', 'WE', 'TH', 'FR', 'SA', 'SU']);
export type Weekday = z.infer<typeof Weekday>;

/** `word` in any case, letter by letter (`FREQ` → `[Ff][Rr][Ee][Qq]`). */
const anyCase = (word: string) => word.replace(/[A-Z]/g, (c) => `[${c}${c.toLowerCase()}]`);
const RRULE_PATTERN = new RegExp(
  `^[${JS_WHITESPACE}]*(${anyCase('RRULE')}:)?${anyCase('FREQ')}=(${['HOURLY', 'DAILY', 'WEEKLY', 'MONTHLY', 'YEARLY'].map(anyCase).join('|')})` +
    `(;(?!${anyCase('DTSTART')}=)[A-Za-z]+=[A-Za-z0-9,+-]+)*[${JS_WHITESPACE}]*$`,
);

/**
 * An RFC 5545 recurrence rule without DTSTART (the rotation's `start` is that), e.g.
 * `FREQ=WEEKLY;BYDAY=MO` or `FREQ=DAILY;INTERVAL=2`. Finer than hourly is refused: hand-offs more
 * often than hourly are not a rotation.
 */
export const RecurrenceRule = z
  .string()
  .max(500)
  // In any case, with or without `RRULE:`, white space around; spelled out letter by letter so that
  // the pattern means the same in every regular-expression engine (JSON Schema has no flags).
  .regex(RRULE_PATTERN, 'must be an RFC 5545 RRULE such as FREQ=WEEKLY;BYDAY=MO (FREQ hourly or coarser), without DTSTART (the rotation start is its first hand-off)')
  .transform((r) => r.trim().replace(/^RRULE:/i, '').toUpperCase())
  .describe('RFC 5545 RRULE of the hand-offs, e.g. FREQ=WEEKLY;BYDAY=MO');

// --- Roster -----------------------------------------------------------------------------------

const Label = z.string().trim().min(1).max(100).optional().describe('e.g. "work", "mobile"');

/** How to reach a person. Comms delivers pages to e-mail and webhook methods; chat and phone are kept for channels to come. */
export const ContactMethod = z
  .discriminatedUnion('kind', [
    z.strictObject({ kind: z.literal('email'), address: z.email(), label: Label }),
    z.strictObject({
      kind: z.literal('webhook'),
      url: z.url({ protocol: /^https?$/ }),
      label: Label,
    }).describe('a chat webhook that reaches this person (a Slack, Teams or Mattermost incoming webhook)'),
    z.strictObject({
      kind: z.literal('chat'),
      platform: z.enum(['slack', 'teams', 'mattermost', 'matrix', 'other']),
      userId: z.string().trim().min(1).max(200),
      label: Label,
    }).describe('a chat user id, for mentions; not delivered to on its own yet'),
    z.strictObject({
      kind: z.literal('phone'),
      number: z.string().regex(/^\+[1-9]\d{6,14}$/, 'must be an E.164 number such as +4915112345678'),
      label: Label,
    }).describe('kept for an SMS or voice provider to come; comms does not call yet'),
  ])
  .meta({ id: 'ContactMethod' });
export type ContactMethod = z.infer<typeof ContactMethod>;

export const PersonInput = z
  .strictObject({
    name: z.string().trim().min(1).max(200),
    subject: z.string().trim().min(1).max(255).nullable().optional().describe('the identity subject (`sub` of their tokens) of this person'),
    email: z.email().nullable().optional().describe('their primary e-mail address'),
    timeZone: TimeZone.default('UTC'),
    roles: z.array(RosterRole).max(RosterRole.options.length).default([]).describe('their roles in the response team'),
    contactMethods: z.array(ContactMethod).max(20).default([]),
  })
  .meta({
    id: 'PersonInput',
    examples: [
      {
        name: 'Alice Analyst',
        subject: 'u-alice',
        email: 'alice@soc.example',
        timeZone: 'Europe/Berlin',
        roles: ['security_analyst'],
        contactMethods: [
          { kind: 'email', address: 'alice@soc.example' },
          { kind: 'webhook', url: 'https://chat.example/hooks/alice' },
          { kind: 'phone', number: '+4915112345678' },
        ],
      },
    ],
  });
export type PersonInput = z.infer<typeof PersonInput>;

export const PersonView = z
  .object({
    personId: z.uuid(),
    name: z.string(),
    subject: z.string().nullable(),
    email: z.string().nullable(),
    timeZone: z.string(),
    roles: z.array(RosterRole),
    contactMethods: z.array(ContactMethod),
    active: z.boolean().describe('false once removed from the roster: never paged, kept for history'),
    hasFeedToken: z.boolean().describe('whether a calendar feed token has been issued'),
    createdAt: Timestamp,
    updatedAt: Timestamp,
  })
  .meta({ id: 'Person' });
export type PersonView = z.infer<typeof PersonView>;
export const PersonList = z.object({ items: z.array(PersonView) }).meta({ id: 'PersonList' });

export const FeedToken = z
  .object({
    personId: z.uuid(),
    token: z.string().describe('shown once; a new one replaces it'),
    personFeed: z.string().describe('this person\'s shifts as iCalendar'),
    note: z.string(),
  })
  .meta({ id: 'FeedToken' });

export const TeamInput = z
  .strictObject({
    name: z.string().trim().min(1).max(200),
    description: z.string().trim().max(2000).nullable().optional(),
    members: z.array(z.uuid()).max(500).default([]).describe('person ids'),
  })
  .meta({ id: 'TeamInput', examples: [{ name: 'SOC tier 2', description: 'analysts on the second line', members: [] }] });
export type TeamInput = z.infer<typeof TeamInput>;
export const TeamView = z
  .object({
    teamId: z.uuid(),
    name: z.string(),
    description: z.string().nullable(),
    members: z.array(z.object({ personId: z.uuid(), name: z.string() })),
    createdAt: Timestamp,
    updatedAt: Timestamp,
  })
  .meta({ id: 'Team' });
export type TeamView = z.infer<typeof TeamView>;
export const TeamList = z.object({ items: z.array(TeamView) }).meta({ id: 'TeamList' });

// --- Schedules --------------------------------------------------------------------------------

/** A weekly or daily window in the rotation's time zone when the layer is on call (like PagerDuty's restrictions). */
export const CoverageWindow = z
  .strictObject({
    day: Weekday.optional().describe('the day the window starts; absent: every day'),
    start: LocalTime.describe('local time the window starts'),
    durationMinutes: z.int().min(1).max(7 * 24 * 60),
  })
  .meta({ id: 'CoverageWindow' });
export type CoverageWindow = z.infer<typeof CoverageWindow>;

/** One turn of a rotation: one person, or a group of people on call together. */
export const Turn = z.union([z.uuid(), z.array(z.uuid()).min(1).max(20)]);

export const DaylightSaving = z
  .enum(['wall_clock', 'elapsed'])
  .describe(
    'wall_clock (default): hand-offs keep their local time across a daylight-saving change (a turn is an hour shorter or longer); ' +
      'elapsed: turns keep their length in hours, so the local hand-off time moves by the change',
  );
export type DaylightSaving = z.infer<typeof DaylightSaving>;

export const Rotation = z
  .strictObject({
    start: LocalDateTime.describe('the first hand-off, local time in timeZone; also the anchor the turns are counted from'),
    timeZone: TimeZone,
    handoff: RecurrenceRule,
    participants: z.array(Turn).min(1).max(100).describe('the turns in order: person ids, or groups of person ids on call together'),
    dst: DaylightSaving.default('wall_clock'),
    coverage: z.array(CoverageWindow).max(50).optional().describe('when set, the layer is on call only inside these local windows'),
  })
  .meta({ id: 'Rotation' });
export type Rotation = z.infer<typeof Rotation>;

export const ScheduleLayer = z
  .strictObject({
    name: z.string().trim().min(1).max(200),
    precedence: z.int().min(0).max(1000).describe('where two layers both have someone on call, the higher precedence wins'),
    rotation: Rotation,
    from: Timestamp.nullable().optional().describe('the layer starts here (default: always)'),
    until: Timestamp.nullable().optional().describe('the layer ends here (default: never)'),
  })
  .refine((l) => !l.from || !l.until || Date.parse(l.from) < Date.parse(l.until), { message: 'from must be before until', path: ['until'], ...BEYOND_SCHEMA })
  .meta({ id: 'ScheduleLayer' });
export type ScheduleLayer = z.infer<typeof ScheduleLayer>;

export const ScheduleDefinition = z
  .strictObject({ layers: z.array(ScheduleLayer).min(1).max(20) })
  .refine((d) => new Set(d.layers.map((l) => l.precedence)).size === d.layers.length, { message: 'each layer needs its own precedence', path: ['layers'], ...BEYOND_SCHEMA })
  .meta({ id: 'ScheduleDefinition' });
export type ScheduleDefinition = z.infer<typeof ScheduleDefinition>;

const exampleDefinition = {
  layers: [
    {
      name: 'Weekly primary',
      precedence: 1,
      rotation: {
        start: '2026-03-02T09:00',
        timeZone: 'Europe/Berlin',
        handoff: 'FREQ=WEEKLY;BYDAY=MO',
        participants: ['3f1c2b4a-5d6e-4f70-8a9b-0c1d2e3f4a5b', '7a8b9c0d-1e2f-4a3b-9c4d-5e6f7a8b9c0d'],
        dst: 'wall_clock',
      },
    },
  ],
};

export const CreateSchedule = z
  .strictObject({
    name: z.string().trim().min(1).max(200),
    description: z.string().trim().max(2000).nullable().optional(),
    timeZone: TimeZone.default('UTC').describe('how the schedule is shown (its feed, previews); rotations carry their own'),
    definition: ScheduleDefinition,
  })
  .meta({ id: 'CreateSchedule', examples: [{ name: 'SOC primary', timeZone: 'Europe/Berlin', definition: exampleDefinition }] });
export type CreateSchedule = z.infer<typeof CreateSchedule>;

export const ReviseSchedule = z
  .strictObject({
    definition: ScheduleDefinition,
    effectiveFrom: Timestamp.optional().describe('when the change takes effect; now or later, never earlier (history is not rewritten). Default: now'),
    reason: Reason.optional(),
  })
  .meta({ id: 'ReviseSchedule', examples: [{ definition: exampleDefinition, effectiveFrom: '2026-04-06T07:00:00Z', reason: 'Carol joins the rotation' }] });
export type ReviseSchedule = z.infer<typeof ReviseSchedule>;

export const PreviewRevision = z
  .strictObject({
    definition: ScheduleDefinition,
    effectiveFrom: Timestamp.optional(),
    weeks: z.int().min(1).max(26).default(4).describe('how far ahead to compare'),
  })
  .meta({ id: 'PreviewRevision', examples: [{ definition: exampleDefinition, effectiveFrom: '2026-04-06T07:00:00Z', weeks: 4 }] });
export type PreviewRevision = z.infer<typeof PreviewRevision>;

export const RevisionView = z
  .object({
    revision: z.int().positive(),
    effectiveFrom: Timestamp,
    definition: ScheduleDefinition,
    createdAt: Timestamp,
    createdBy: z.string(),
    reason: z.string().nullable(),
  })
  .meta({ id: 'ScheduleRevision' });
export type RevisionView = z.infer<typeof RevisionView>;

export const ScheduleView = z
  .object({
    scheduleId: z.uuid(),
    name: z.string(),
    description: z.string().nullable(),
    timeZone: z.string(),
    current: RevisionView.nullable().describe('the revision in force now'),
    upcoming: z.array(RevisionView).describe('revisions that take effect later'),
    createdAt: Timestamp,
    createdBy: z.string(),
  })
  .meta({ id: 'Schedule' });
export type ScheduleView = z.infer<typeof ScheduleView>;
export const ScheduleList = z.object({ items: z.array(ScheduleView) }).meta({ id: 'ScheduleList' });
export const RevisionList = z.object({ items: z.array(RevisionView) }).meta({ id: 'ScheduleRevisionList' });

export const CreateOverride = z
  .strictObject({
    personId: z.uuid().describe('who covers'),
    start: Timestamp,
    end: Timestamp,
    reason: Reason.optional(),
  })
  .refine((o) => Date.parse(o.start) < Date.parse(o.end), { message: 'end must be after start', path: ['end'], ...BEYOND_SCHEMA })
  .meta({ id: 'CreateOverride', examples: [{ personId: '3f1c2b4a-5d6e-4f70-8a9b-0c1d2e3f4a5b', start: '2026-04-10T17:00:00Z', end: '2026-04-11T09:00:00Z', reason: 'covers for Bob' }] });
export type CreateOverride = z.infer<typeof CreateOverride>;

export const OverrideView = z
  .object({
    overrideId: z.uuid(),
    scheduleId: z.uuid(),
    personId: z.uuid(),
    personName: z.string(),
    start: Timestamp,
    end: Timestamp,
    reason: z.string().nullable(),
    createdAt: Timestamp,
    createdBy: z.string(),
    cancelledAt: Timestamp.nullable(),
    cancelledBy: z.string().nullable(),
  })
  .meta({ id: 'ScheduleOverride' });
export type OverrideView = z.infer<typeof OverrideView>;
export const OverrideList = z.object({ items: z.array(OverrideView) }).meta({ id: 'ScheduleOverrideList' });

const OnCallPerson = z.object({ personId: z.uuid(), name: z.string() });
export const ShiftSource = z.object({
  kind: z.enum(['layer', 'override']),
  layer: z.string().nullable().describe('the layer\'s name, for a layer'),
  overrideId: z.uuid().nullable(),
});

export const OnCallView = z
  .object({
    scheduleId: z.uuid(),
    at: Timestamp,
    revision: z.int().nullable().describe('the revision in force at that instant (null before the first)'),
    people: z.array(OnCallPerson),
    source: ShiftSource.nullable(),
    shiftStart: Timestamp.nullable(),
    shiftEnd: Timestamp.nullable(),
  })
  .meta({ id: 'OnCall' });
export type OnCallView = z.infer<typeof OnCallView>;

export const ShiftView = z
  .object({ start: Timestamp, end: Timestamp, people: z.array(OnCallPerson), source: ShiftSource })
  .meta({ id: 'Shift' });
export const ShiftList = z.object({ from: Timestamp, to: Timestamp, items: z.array(ShiftView) }).meta({ id: 'ShiftList' });

export const CoverageReport = z
  .object({
    from: Timestamp,
    to: Timestamp,
    coveredPercent: z.number(),
    gaps: z.array(z.object({ start: Timestamp, end: Timestamp })).describe('nobody on call'),
    overlaps: z
      .array(z.object({ start: Timestamp, end: Timestamp, sources: z.array(ShiftSource.extend({ people: z.array(OnCallPerson) })) }))
      .describe('more than one layer or override has someone on call; the highest precedence (an override first) is paged'),
  })
  .meta({ id: 'CoverageReport' });

export const RevisionPreview = z
  .object({
    from: Timestamp,
    to: Timestamp,
    effectiveFrom: Timestamp,
    changes: z
      .array(z.object({ start: Timestamp, end: Timestamp, before: z.array(OnCallPerson), after: z.array(OnCallPerson) }))
      .describe('every window in which who is on call would differ'),
    before: z.array(ShiftView),
    after: z.array(ShiftView),
  })
  .meta({ id: 'RevisionPreview' });

// --- Escalation policies ----------------------------------------------------------------------

export const EscalationTarget = z
  .discriminatedUnion('type', [
    z.strictObject({ type: z.literal('person'), personId: z.uuid() }),
    z.strictObject({ type: z.literal('schedule'), scheduleId: z.uuid() }).describe('whoever is on call on the schedule when the step runs'),
    z.strictObject({ type: z.literal('team'), teamId: z.uuid() }).describe('every member of the team'),
    z.strictObject({ type: z.literal('role'), role: RosterRole }).describe('everyone on the roster with this role'),
  ])
  .meta({ id: 'EscalationTarget' });
export type EscalationTarget = z.infer<typeof EscalationTarget>;

export const EscalationStep = z
  .strictObject({
    targets: z.array(EscalationTarget).max(20).describe('who is paged; none: the step only waits'),
    waitMinutes: z
      .number()
      .min(0)
      .max(24 * 60)
      .refine((m) => Number.isInteger(Math.round(m * 60 * 1000) / 1000), { message: 'whole seconds only', ...BEYOND_SCHEMA })
      .describe('how long to wait for an acknowledgement before the next step (fractions give seconds)'),
  })
  .meta({ id: 'EscalationStep' });
export type EscalationStep = z.infer<typeof EscalationStep>;

export const EscalationRepeat = z
  .strictObject({
    times: z.int().min(0).max(10).describe('how many more times to run the steps after the last one'),
    fromStep: z.int().min(1).default(1).describe('repeat from this step (1 = the whole policy)'),
  })
  .meta({ id: 'EscalationRepeat' });

export const EscalationPolicyInput = z
  .strictObject({
    name: z.string().trim().min(1).max(200),
    description: z.string().trim().max(2000).nullable().optional(),
    steps: z.array(EscalationStep).min(1).max(20),
    repeat: EscalationRepeat.default({ times: 0, fromStep: 1 }),
  })
  .refine((p) => p.repeat.fromStep <= p.steps.length, { message: 'fromStep must name one of the steps', path: ['repeat', 'fromStep'], ...BEYOND_SCHEMA })
  .meta({
    id: 'EscalationPolicyInput',
    examples: [
      {
        name: 'SEV1/SEV2',
        steps: [
          { targets: [{ type: 'schedule', scheduleId: '3f1c2b4a-5d6e-4f70-8a9b-0c1d2e3f4a5b' }], waitMinutes: 5 },
          { targets: [{ type: 'schedule', scheduleId: '7a8b9c0d-1e2f-4a3b-9c4d-5e6f7a8b9c0d' }], waitMinutes: 10 },
          { targets: [{ type: 'role', role: 'ir_manager' }], waitMinutes: 15 },
        ],
        repeat: { times: 2, fromStep: 2 },
      },
    ],
  });
export type EscalationPolicyInput = z.infer<typeof EscalationPolicyInput>;

export const EscalationPolicyView = z
  .object({
    policyId: z.uuid(),
    version: z.int().positive().describe('each change makes a new version; running escalations keep theirs'),
    name: z.string(),
    description: z.string().nullable(),
    steps: z.array(EscalationStep),
    repeat: z.object({ times: z.int(), fromStep: z.int() }),
    createdAt: Timestamp,
    updatedAt: Timestamp,
    updatedBy: z.string(),
    archived: z.boolean(),
  })
  .meta({ id: 'EscalationPolicy' });
export type EscalationPolicyView = z.infer<typeof EscalationPolicyView>;
export const EscalationPolicyList = z.object({ items: z.array(EscalationPolicyView) }).meta({ id: 'EscalationPolicyList' });

/** What an escalation rule looks at: every criterion given must hold. */
export const EscalationMatch = z
  .strictObject({
    severities: z.array(IncidentSeverity).min(1).optional(),
    categories: z.array(IncidentCategory).min(1).optional(),
    assetCriticalities: z.array(AssetCriticality).min(1).optional().describe('the most critical registered asset involved'),
    exercise: z.boolean().optional().describe('true: only exercises; false: only real incidents'),
  })
  .meta({ id: 'EscalationMatch' });
export type EscalationMatch = z.infer<typeof EscalationMatch>;

export const EscalationRouting = z
  .strictObject({
    rules: z
      .array(z.strictObject({ name: z.string().trim().min(1).max(200).optional(), match: EscalationMatch, policyId: z.uuid() }))
      .max(100)
      .describe('the first rule that matches chooses the policy'),
    defaultPolicyId: z.uuid().nullable().describe('the policy when no rule matches; null: no escalation then'),
  })
  .meta({
    id: 'EscalationRouting',
    examples: [
      {
        rules: [
          { name: 'exercises', match: { exercise: true }, policyId: '0b6f3c52-8f0e-4d44-9d7a-2d8c7f1e9a10' },
          { name: 'SEV1 and SEV2', match: { severities: ['SEV1', 'SEV2'] }, policyId: '6f1c1f9e-3a57-4c38-9a43-0c3b7e2f4c11' },
        ],
        defaultPolicyId: '9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a',
      },
    ],
  });
export type EscalationRouting = z.infer<typeof EscalationRouting>;
export const EscalationRoutingView = EscalationRouting.extend({ updatedAt: Timestamp.nullable(), updatedBy: z.string().nullable() }).meta({ id: 'EscalationRoutingView' });

export const EscalationStatus = z.enum(['active', 'acknowledged', 'stopped', 'exhausted']);
export type EscalationStatus = z.infer<typeof EscalationStatus>;

export const StepPosition = z.object({
  number: z.int().positive().describe('the step, 1-based'),
  cycle: z.int().nonnegative().describe('0 the first time through, 1 the first repeat, …'),
  key: z.string().describe('cycle.number: what makes each step run once'),
});
export type StepPosition = z.infer<typeof StepPosition>;

export const EscalationView = z
  .object({
    escalationId: z.uuid(),
    incidentId: z.uuid(),
    policyId: z.uuid(),
    policyVersion: z.int(),
    policyName: z.string(),
    trigger: z.object({ kind: z.string(), reason: z.string() }),
    status: EscalationStatus,
    startedAt: Timestamp,
    stoppedAt: Timestamp.nullable(),
    stopReason: z.string().nullable(),
    stoppedBy: z.string().nullable(),
    next: StepPosition.extend({ dueAt: Timestamp }).nullable().describe('the step that runs next, and when'),
    steps: z.array(
      StepPosition.extend({
        executedAt: Timestamp,
        paged: z.array(z.object({ pageId: z.uuid(), personId: z.uuid(), name: z.string() })),
        unresolved: z.array(z.object({ target: EscalationTarget, reason: z.string() })),
      }),
    ),
  })
  .meta({ id: 'Escalation' });
export type EscalationView = z.infer<typeof EscalationView>;
export const EscalationList = z.object({ items: z.array(EscalationView) }).meta({ id: 'EscalationList' });

export const StopEscalation = z
  .strictObject({ reason: Reason.optional() })
  .meta({ id: 'StopEscalation', examples: [{ reason: 'paged about the raised severity; on it' }] });
export type StopEscalation = z.infer<typeof StopEscalation>;

export const ImportReport = z
  .object({
    source: z.enum(['pagerduty', 'grafana-oncall']),
    dryRun: z.boolean().describe('true: nothing was written; this is what the import would do'),
    people: z.array(z.object({ externalId: z.string(), personId: z.uuid(), name: z.string(), created: z.boolean() })),
    schedules: z.array(z.object({ externalId: z.string(), scheduleId: z.uuid(), name: z.string(), revision: z.int().describe('1 when new; a re-import adds a revision') })),
    policies: z.array(z.object({ externalId: z.string(), policyId: z.uuid(), name: z.string(), version: z.int().describe('1 when new; a re-import adds a version') })),
    warnings: z.array(z.string()).describe('what could not be carried over exactly, and what was done instead'),
  })
  .meta({ id: 'ImportReport' });
export type ImportReport = z.infer<typeof ImportReport>;
