import { z } from 'zod';

/**
 * What a team leaving PagerDuty or Grafana OnCall sends to move in one step: the JSON those
 * products' APIs return, as they document it. Objects are loose (exports carry more fields than
 * the import reads); a list may be sent as the API pages it (`{ "results": [...] }` for Grafana
 * OnCall, `{ "schedules": [...] }` for PagerDuty) or as a bare array.
 */

const listOf = <T extends z.ZodType>(item: T, ...keys: string[]) =>
  z.preprocess((v) => {
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      for (const key of ['results', ...keys]) if (Array.isArray((v as Record<string, unknown>)[key])) return (v as Record<string, unknown>)[key];
    }
    return v;
  }, z.array(item));

// --- PagerDuty REST API v2 --------------------------------------------------------------------

const PdReference = z.object({ id: z.string().min(1), type: z.string().optional(), summary: z.string().nullable().optional() }).loose();

export const PagerDutyUser = z
  .object({ id: z.string().min(1), name: z.string().nullable().optional(), email: z.string().nullable().optional(), time_zone: z.string().nullable().optional() })
  .loose();

const PdRestriction = z
  .object({
    type: z.enum(['daily_restriction', 'weekly_restriction']),
    start_time_of_day: z.string(),
    duration_seconds: z.int().positive(),
    start_day_of_week: z.int().min(1).max(7).nullable().optional(),
  })
  .loose();

export const PagerDutyScheduleLayer = z
  .object({
    id: z.string().optional(),
    name: z.string().nullable().optional(),
    start: z.string(),
    end: z.string().nullable().optional(),
    rotation_virtual_start: z.string(),
    rotation_turn_length_seconds: z.int().positive(),
    users: z.array(z.object({ user: PdReference }).loose()).min(1),
    restrictions: z.array(PdRestriction).nullable().optional(),
  })
  .loose();

export const PagerDutySchedule = z
  .object({
    id: z.string().min(1),
    name: z.string().min(1),
    description: z.string().nullable().optional(),
    time_zone: z.string().min(1),
    schedule_layers: z.array(PagerDutyScheduleLayer).min(1),
  })
  .loose();

export const PagerDutyEscalationPolicy = z
  .object({
    id: z.string().min(1),
    name: z.string().min(1),
    description: z.string().nullable().optional(),
    num_loops: z.int().min(0).nullable().optional(),
    escalation_rules: z
      .array(z.object({ id: z.string().optional(), escalation_delay_in_minutes: z.number().min(0), targets: z.array(PdReference) }).loose())
      .min(1),
  })
  .loose();

export const PagerDutyImport = z
  .strictObject({
    users: listOf(PagerDutyUser, 'users').optional().describe('GET /users: matched to people by e-mail, else created'),
    schedules: listOf(
      z.preprocess((v) => (v && typeof v === 'object' && 'schedule' in v ? (v as { schedule: unknown }).schedule : v), PagerDutySchedule),
      'schedules',
    ).default([]).describe('GET /schedules/{id} bodies (or their `schedule`)'),
    escalation_policies: listOf(
      z.preprocess((v) => (v && typeof v === 'object' && 'escalation_policy' in v ? (v as { escalation_policy: unknown }).escalation_policy : v), PagerDutyEscalationPolicy),
      'escalation_policies',
    ).default([]).describe('GET /escalation_policies/{id} bodies (or their `escalation_policy`)'),
    layersHighestFirst: z
      .boolean()
      .default(false)
      .describe('PagerDuty gives the later layer precedence (Layer 2 covers Layer 1); set true for exports that list the highest layer first'),
  })
  .meta({ id: 'PagerDutyImport' });
export type PagerDutyImport = z.infer<typeof PagerDutyImport>;

// --- Grafana OnCall public API (and its Terraform resources, which carry the same fields) ------

export const GrafanaOnCallUser = z
  .object({ id: z.string().min(1), email: z.string().nullable().optional(), username: z.string().nullable().optional(), timezone: z.string().nullable().optional() })
  .loose();

export const GrafanaOnCallSchedule = z
  .object({
    id: z.string().min(1),
    name: z.string().min(1),
    type: z.string().optional(),
    time_zone: z.string().nullable().optional(),
    shifts: z.array(z.string()).nullable().optional(),
  })
  .loose();

export const GrafanaOnCallShift = z
  .object({
    id: z.string().min(1),
    name: z.string().nullable().optional(),
    type: z.enum(['single_event', 'recurrent_event', 'rolling_users', 'override']),
    schedule: z.string().nullable().optional(),
    time_zone: z.string().nullable().optional(),
    level: z.int().nullable().optional(),
    start: z.string(),
    rotation_start: z.string().nullable().optional(),
    duration: z.int().positive(),
    frequency: z.enum(['hourly', 'daily', 'weekly', 'monthly']).nullable().optional(),
    interval: z.int().positive().nullable().optional(),
    until: z.string().nullable().optional(),
    week_start: z.string().nullable().optional(),
    by_day: z.array(z.string()).nullable().optional(),
    users: z.array(z.string()).nullable().optional(),
    rolling_users: z.array(z.array(z.string())).nullable().optional(),
    start_rotation_from_user_index: z.int().min(0).nullable().optional(),
  })
  .loose();

export const GrafanaOnCallEscalationChain = z.object({ id: z.string().min(1), name: z.string().min(1), team_id: z.string().nullable().optional() }).loose();

export const GrafanaOnCallEscalationPolicy = z
  .object({
    id: z.string().optional(),
    escalation_chain_id: z.string().min(1),
    position: z.int().min(0),
    type: z.string().min(1),
    duration: z.number().nullable().optional(),
    persons_to_notify: z.array(z.string()).nullable().optional(),
    persons_to_notify_next_each_time: z.array(z.string()).nullable().optional(),
    notify_on_call_from_schedule: z.string().nullable().optional(),
    team_to_notify: z.string().nullable().optional(),
  })
  .loose();

export const GrafanaOnCallImport = z
  .strictObject({
    users: listOf(GrafanaOnCallUser).optional().describe('GET /api/v1/users/: matched to people by e-mail, else created'),
    teams: listOf(z.object({ id: z.string().min(1), name: z.string().min(1) }).loose()).optional().describe('GET /api/v1/teams/'),
    schedules: listOf(GrafanaOnCallSchedule).default([]).describe('GET /api/v1/schedules/'),
    on_call_shifts: listOf(GrafanaOnCallShift).default([]).describe('GET /api/v1/on_call_shifts/'),
    escalation_chains: listOf(GrafanaOnCallEscalationChain).default([]).describe('GET /api/v1/escalation_chains/'),
    escalation_policies: listOf(GrafanaOnCallEscalationPolicy).default([]).describe('GET /api/v1/escalation_policies/ (the steps of the chains)'),
  })
  .meta({ id: 'GrafanaOnCallImport' });
export type GrafanaOnCallImport = z.infer<typeof GrafanaOnCallImport>;
