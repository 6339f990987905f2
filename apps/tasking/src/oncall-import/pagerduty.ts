import type { CoverageWindow, PagerDutyImport } from '@vigil/contracts';
import { instantIn, localIn, timeOfDay, validZone, WEEKDAY_OF_ISO, type ImportPlan, type PlannedLayer, type PlannedSchedule, type PlannedTarget } from './import-plan';

const HOUR = 3600;
const DAY = 86_400;
const WEEK = 7 * DAY;

/** A PagerDuty turn length as a rotation: whole weeks and days keep their local hand-off time, hours keep their length. */
function handoffOf(seconds: number, warnings: string[], where: string): { handoff: string; dst: 'wall_clock' | 'elapsed' } {
  if (seconds % WEEK === 0) return { handoff: `FREQ=WEEKLY;INTERVAL=${seconds / WEEK}`, dst: 'wall_clock' };
  if (seconds % DAY === 0) return { handoff: `FREQ=DAILY;INTERVAL=${seconds / DAY}`, dst: 'wall_clock' };
  const hours = Math.max(1, Math.round(seconds / HOUR));
  if (seconds % HOUR !== 0) warnings.push(`${where}: a turn of ${seconds} s is not whole hours; imported as ${hours} h`);
  return { handoff: `FREQ=HOURLY;INTERVAL=${hours}`, dst: 'elapsed' };
}

/**
 * PagerDuty's REST API (v2) JSON to an import plan: schedules with their layers (rotation virtual
 * start, turn length, users, restrictions, start and end), escalation policies with their rules
 * (delay, user and schedule targets) and loops. Layers later in the list take precedence, as in
 * PagerDuty's editor (Layer 2 covers Layer 1), unless `layersHighestFirst`.
 */
export function planFromPagerDuty(input: PagerDutyImport): ImportPlan {
  const warnings: string[] = [];
  const people = new Map<string, ImportPlan['people'][number]>();
  for (const u of input.users ?? []) people.set(u.id, { externalId: u.id, name: u.name ?? u.email ?? u.id, email: u.email ?? null, timeZone: validZone(u.time_zone) });
  const mention = (ref: { id: string; summary?: string | null }) => {
    if (!people.has(ref.id)) people.set(ref.id, { externalId: ref.id, name: ref.summary ?? ref.id, email: null, timeZone: null });
  };

  const schedules: PlannedSchedule[] = input.schedules.map((s) => {
    const zone = validZone(s.time_zone) ?? 'UTC';
    if (zone !== s.time_zone) warnings.push(`schedule ${s.name}: unknown time zone ${s.time_zone}; UTC used`);
    const n = s.schedule_layers.length;
    const layers: PlannedLayer[] = s.schedule_layers.map((l, i) => {
      const where = `schedule ${s.name}, layer ${l.name ?? i + 1}`;
      l.users.forEach((u) => mention(u.user));
      const coverage: CoverageWindow[] = (l.restrictions ?? []).map((r) => ({
        ...(r.type === 'weekly_restriction' && r.start_day_of_week ? { day: WEEKDAY_OF_ISO[r.start_day_of_week] } : {}),
        start: timeOfDay(r.start_time_of_day),
        durationMinutes: Math.min(7 * 24 * 60, Math.max(1, Math.round(r.duration_seconds / 60))),
      }));
      return {
        name: l.name ?? `Layer ${i + 1}`,
        precedence: input.layersHighestFirst ? n - i : i + 1,
        rotation: {
          start: localIn(l.rotation_virtual_start, zone),
          timeZone: zone,
          ...handoffOf(l.rotation_turn_length_seconds, warnings, where),
          participants: l.users.map((u) => [u.user.id]),
          ...(coverage.length ? { coverage } : {}),
        },
        from: instantIn(l.start, zone),
        ...(l.end ? { until: instantIn(l.end, zone) } : {}),
      };
    });
    return { externalId: s.id, name: s.name, description: s.description ?? null, timeZone: zone, layers, overrides: [] };
  });

  const scheduleIds = new Set(input.schedules.map((s) => s.id));
  const policies = input.escalation_policies.map((p) => ({
    externalId: p.id,
    name: p.name,
    description: p.description ?? null,
    steps: p.escalation_rules.map((rule, i) => {
      const targets: PlannedTarget[] = [];
      for (const t of rule.targets) {
        const type = (t.type ?? '').replace(/_reference$/, '');
        if (type === 'user') {
          mention(t);
          targets.push({ type: 'person', externalId: t.id });
        } else if (type === 'schedule' && scheduleIds.has(t.id)) {
          targets.push({ type: 'schedule', externalId: t.id });
        } else {
          warnings.push(`policy ${p.name}, rule ${i + 1}: target ${t.type ?? '?'} ${t.id} ${type === 'schedule' ? 'is not a schedule of this import' : 'is not a user or schedule'}; left out`);
        }
      }
      return { targets, waitMinutes: Math.min(24 * 60, rule.escalation_delay_in_minutes) };
    }),
    repeat: { times: Math.min(10, p.num_loops ?? 0), fromStep: 1 },
  }));

  return { source: 'pagerduty', people: [...people.values()], schedules, policies, warnings };
}
