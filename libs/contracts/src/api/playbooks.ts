import { z } from 'zod';
import { AssetCriticality, IncidentCategory, IncidentSeverity, Timestamp } from '../vocabulary';

/** The phases a playbook step can belong to (NIST SP 800-61: analysis, containment, eradication, recovery, lessons learned). */
export const PlaybookPhase = z.enum(['triaged', 'contained', 'eradicated', 'recovered', 'post_incident']);
export type PlaybookPhase = z.infer<typeof PlaybookPhase>;

const StepKey = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]{0,62}$/, { error: 'is not a step key (lower-case letters, digits and hyphens, at most 63)' });
const Minutes = z.int().positive().max(525_600);

/** A step's target time to done, by incident severity, in minutes. */
export const StepSla = z
  .strictObject({ SEV1: Minutes, SEV2: Minutes, SEV3: Minutes, SEV4: Minutes })
  .describe('minutes from the start of the task\'s SLA clock (the incident\'s declaration) to done, by severity');
export type StepSla = z.infer<typeof StepSla>;

/** A response action the step carries out: stored and shown on the task; the action runner runs it. */
export const StepAction = z
  .strictObject({
    kind: z.string().trim().min(1).max(64).describe('the response-action kind, e.g. isolate_host, block_ip, disable_account'),
    connector: z.string().trim().min(1).max(100).describe('the configured connector that carries it out, e.g. edr'),
  })
  .meta({ id: 'PlaybookStepAction' });
export type StepAction = z.infer<typeof StepAction>;

export const PlaybookStep = z
  .strictObject({
    key: StepKey.describe('unique within the playbook; what dependsOn and gates name'),
    phase: PlaybookPhase,
    title: z.string().trim().min(1).max(200),
    instructions: z.string().max(20_000).default('').describe('Markdown, stored and shown as text (never evaluated)'),
    // Checked against the responder roles by the playbook's validation, which names the step.
    role: z.string().min(1).max(64).describe('the responder role that carries the step out: ir_manager, security_analyst, system_administrator, communications or legal'),
    mandatory: z.boolean().default(false).describe('an incident cannot be closed while this step\'s task is open or in progress'),
    sla: StepSla,
    dependsOn: z.array(z.string()).default([]).describe('steps that must be done or skipped before this one can start'),
    gates: z.array(z.string()).default([]).describe('steps that must be done (skipping does not count) before this one can start'),
    action: StepAction.optional(),
  })
  .meta({ id: 'PlaybookStep' });
export type PlaybookStep = z.infer<typeof PlaybookStep>;
export type PlaybookStepInput = z.input<typeof PlaybookStep>;

/** When a playbook applies; an absent condition matches anything. The most specific match wins. */
export const PlaybookConditions = z
  .strictObject({
    categories: z.array(IncidentCategory).min(1).optional(),
    severities: z.array(IncidentSeverity).min(1).optional(),
    assetCriticalities: z.array(AssetCriticality).min(1).optional().describe('the incident\'s most critical registered asset'),
    exercise: z.boolean().optional().describe('true: exercises only; false: real incidents only'),
  })
  .meta({ id: 'PlaybookConditions' });
export type PlaybookConditions = z.infer<typeof PlaybookConditions>;

/** A playbook as written (YAML or JSON, or the API body): what a version stores. */
export const PlaybookDefinition = z
  .strictObject({
    key: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, { error: 'is not a playbook key (lower-case letters, digits and hyphens)' }),
    name: z.string().trim().min(1).max(200),
    description: z.string().max(5000).default(''),
    default: z.boolean().default(false).describe('the playbook for incidents no other playbook matches (exactly one)'),
    conditions: PlaybookConditions.default({}),
    priority: z.int().min(0).max(1000).default(0).describe('breaks ties between equally specific matches (higher wins)'),
    recoveryWatchDays: z.int().min(0).max(365).nullable().default(null).describe('days after recovery during which alerts on the incident\'s assets or observables attach to it as a recurrence'),
    steps: z.array(PlaybookStep).min(1).max(200),
  })
  .meta({
    id: 'PlaybookDefinition',
    examples: [
      {
        key: 'web-defacement',
        name: 'Web defacement',
        conditions: { categories: ['web_application_attack'] },
        recoveryWatchDays: 7,
        steps: [
          { key: 'snapshot', phase: 'triaged', title: 'Snapshot the defaced site', role: 'system_administrator', mandatory: true, sla: { SEV1: 30, SEV2: 60, SEV3: 240, SEV4: 480 } },
          { key: 'take-offline', phase: 'contained', title: 'Serve the maintenance page', role: 'system_administrator', dependsOn: ['snapshot'], sla: { SEV1: 60, SEV2: 120, SEV3: 480, SEV4: 1440 } },
        ],
      },
    ],
  });
export type PlaybookDefinition = z.infer<typeof PlaybookDefinition>;
export type PlaybookDefinitionInput = z.input<typeof PlaybookDefinition>;

export const PlaybookView = PlaybookDefinition.extend({
  version: z.int().positive().describe('published versions are immutable; a change publishes the next one'),
  publishedAt: Timestamp,
  publishedBy: z.string(),
  retired: z.boolean().describe('a retired playbook is no longer chosen for new incidents; incidents that have it keep it'),
}).meta({ id: 'Playbook' });
export type PlaybookView = z.infer<typeof PlaybookView>;
export const PlaybookList = z.object({ items: z.array(PlaybookView) }).meta({ id: 'PlaybookList' });

export const PlaybookVersionSummary = z
  .object({ version: z.int().positive(), publishedAt: Timestamp, publishedBy: z.string(), steps: z.int() })
  .meta({ id: 'PlaybookVersionSummary' });
export const PlaybookVersionList = z.object({ items: z.array(PlaybookVersionSummary) }).meta({ id: 'PlaybookVersionList' });

/** The playbook an incident follows, and what moving it to another version did. */
export const IncidentPlaybookView = z
  .object({
    incidentId: z.uuid(),
    playbook: z.string(),
    version: z.int().positive(),
    recoveryWatchDays: z.int().nullable(),
    appliedAt: Timestamp,
    latestVersion: z.int().positive().nullable().describe('the newest published version of the playbook (null if it was deleted)'),
  })
  .meta({ id: 'IncidentPlaybook' });

export const MoveIncidentPlaybook = z
  .strictObject({
    version: z.int().positive().optional().describe('the version to move to; the newest when absent'),
    reason: z.string().trim().min(1).max(500).optional(),
  })
  .meta({ id: 'MoveIncidentPlaybook', examples: [{ reason: 'v3 adds the backup integrity check' }] });
export type MoveIncidentPlaybook = z.infer<typeof MoveIncidentPlaybook>;

export const PlaybookMoveResult = z
  .object({
    incidentId: z.uuid(),
    playbook: z.string(),
    fromVersion: z.int().positive(),
    toVersion: z.int().positive(),
    addedSteps: z.array(z.string()).describe('steps of the new version the incident had no task for: their tasks were created'),
    droppedSteps: z.array(z.string()).describe('steps the new version no longer has: their open tasks were cancelled (done ones stay done)'),
    keptSteps: z.array(z.string()),
  })
  .meta({ id: 'PlaybookMoveResult' });
export type PlaybookMoveResult = z.infer<typeof PlaybookMoveResult>;

// Task actions.
export const StartTask = z.strictObject({ note: z.string().trim().min(1).max(2000).optional() }).meta({ id: 'StartTask' });
export type StartTask = z.infer<typeof StartTask>;
export const SkipTask = z
  .strictObject({ reason: z.string().trim().min(1).max(2000).describe('why the step does not apply (required)') })
  .meta({ id: 'SkipTask', examples: [{ reason: 'no backups exist for this host; rebuilt from the image' }] });
export type SkipTask = z.infer<typeof SkipTask>;
export const AssignTask = z
  .strictObject({
    assignee: z.string().trim().min(1).max(200).nullable().optional().describe('the person (their subject); null for nobody in particular'),
    role: z.enum(['ir_manager', 'security_analyst', 'system_administrator', 'communications', 'legal']).optional().describe('hand the task to another role'),
  })
  .refine((b) => b.assignee !== undefined || b.role !== undefined, { message: 'name an assignee, a role or both' })
  .meta({ id: 'AssignTask', anyOf: [{ required: ['assignee'] }, { required: ['role'] }], examples: [{ assignee: 'bob' }, { role: 'system_administrator', assignee: null }] });
export type AssignTask = z.infer<typeof AssignTask>;
export const AddTaskNote = z
  .strictObject({
    text: z.string().trim().min(1).max(10_000).optional(),
    evidenceUrl: z
      .url({ protocol: /^https?$/ })
      .max(2000)
      .meta({ pattern: '^[Hh][Tt][Tt][Pp][Ss]?://[^\\s/?#]+' })
      .optional()
      .describe('a link to evidence (a case file, a ticket, a storage object): http or https'),
  })
  .refine((b) => b.text !== undefined || b.evidenceUrl !== undefined, { message: 'give a text, an evidence link or both' })
  .meta({ id: 'AddTaskNote', anyOf: [{ required: ['text'] }, { required: ['evidenceUrl'] }], examples: [{ text: 'memory image taken', evidenceUrl: 'https://evidence.example.com/case/4711/mem.raw' }] });
export type AddTaskNote = z.infer<typeof AddTaskNote>;
export const TaskNoteView = z
  .object({ noteId: z.uuid(), taskId: z.uuid(), author: z.string(), text: z.string().nullable(), evidenceUrl: z.string().nullable(), createdAt: Timestamp })
  .meta({ id: 'TaskNote' });
export const TaskNoteList = z.object({ items: z.array(TaskNoteView) }).meta({ id: 'TaskNoteList' });
