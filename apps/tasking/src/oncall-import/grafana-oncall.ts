import type { CoverageWindow, GrafanaOnCallImport, Weekday } from '@vigil/contracts';
import { DateTime } from 'luxon';
import { instantIn, localIn, validZone, type ImportPlan, type PlannedLayer, type PlannedPolicy, type PlannedSchedule, type PlannedTarget } from './import-plan';

type Shift = GrafanaOnCallImport['on_call_shifts'][number];

const FREQ: Record<string, string> = { hourly: 'HOURLY', daily: 'DAILY', weekly: 'WEEKLY', monthly: 'MONTHLY' };
const PERIOD_SECONDS: Record<string, number> = { hourly: 3600, daily: 86_400, weekly: 604_800 };
const WEEKDAYS = new Set(['MO', 'TU', 'WE', 'TH', 'FR', 'SA', 'SU']);

/** Windows of the shift's events (its start time for its duration, on its days) when they do not cover every moment. */
function coverageOf(shift: Shift, startLocal: DateTime, warnings: string[], where: string): CoverageWindow[] | undefined {
  const days = (shift.by_day ?? []).filter((d) => WEEKDAYS.has(d)) as Weekday[];
  const freq = shift.frequency ?? null;
  const period = freq && PERIOD_SECONDS[freq] ? PERIOD_SECONDS[freq] * (shift.interval ?? 1) : null;
  const continuous = !days.length && period !== null && shift.duration >= period;
  if (continuous || freq === null) return undefined;
  if (freq === 'monthly' || freq === 'hourly') {
    if (shift.duration < (period ?? Infinity) || days.length) warnings.push(`${where}: ${freq} events shorter than their period are imported as continuous turns`);
    return undefined;
  }
  const start = startLocal.toFormat('HH:mm:ss').replace(/:00$/, '');
  const durationMinutes = Math.min(7 * 24 * 60, Math.max(1, Math.round(shift.duration / 60)));
  if (days.length) return days.map((day) => ({ day, start, durationMinutes }));
  if (freq === 'daily') return [{ start, durationMinutes }];
  return [{ day: (['MO', 'TU', 'WE', 'TH', 'FR', 'SA', 'SU'] as Weekday[])[startLocal.weekday - 1], start, durationMinutes }];
}

/**
 * Grafana OnCall's public API JSON (the same fields as its Terraform resources) to an import
 * plan: calendar and web schedules with their shifts (rolling users, recurrent and single events,
 * overrides; level as precedence), and escalation chains with their steps (notify persons, notify
 * the on-call of a schedule, wait, repeat). iCal-only schedules and steps with no Vigil
 * counterpart are reported as warnings.
 */
export function planFromGrafanaOnCall(input: GrafanaOnCallImport): ImportPlan {
  const warnings: string[] = [];
  const people = new Map<string, ImportPlan['people'][number]>();
  for (const u of input.users ?? []) people.set(u.id, { externalId: u.id, name: u.username ?? u.email ?? u.id, email: u.email ?? null, timeZone: validZone(u.timezone) });
  const mention = (id: string) => {
    if (!people.has(id)) people.set(id, { externalId: id, name: id, email: null, timeZone: null });
  };

  const schedules: PlannedSchedule[] = [];
  for (const s of input.schedules) {
    const zone = validZone(s.time_zone) ?? 'UTC';
    const shifts = input.on_call_shifts.filter((sh) => (s.shifts ?? []).includes(sh.id) || sh.schedule === s.id);
    if (shifts.length === 0) {
      warnings.push(`schedule ${s.name}: ${s.type === 'ical' ? 'an iCal schedule (its calendar is outside the export)' : 'no shifts'}; imported without layers is not possible, so it was left out`);
      continue;
    }
    const layered = shifts.filter((sh) => sh.type !== 'override');
    // Levels become precedences; shifts on one level keep their order (later wins), as distinct precedences.
    const ordered = layered.map((sh, i) => ({ sh, i })).sort((a, b) => (a.sh.level ?? 0) - (b.sh.level ?? 0) || a.i - b.i);
    const layers: PlannedLayer[] = [];
    ordered.forEach(({ sh }, rank) => {
      const where = `schedule ${s.name}, shift ${sh.name ?? sh.id}`;
      const tz = validZone(sh.time_zone) ?? zone;
      const start = localIn(sh.start, tz);
      const startLocal = DateTime.fromISO(start, { zone: tz });
      const groups = sh.type === 'rolling_users' ? (sh.rolling_users ?? []) : [sh.users ?? []];
      const turns = groups.filter((g) => g.length > 0);
      if (turns.length === 0) {
        warnings.push(`${where}: nobody on it; left out`);
        return;
      }
      turns.flat().forEach(mention);
      const from = sh.start_rotation_from_user_index ?? 0;
      const participants = sh.type === 'rolling_users' ? [...turns.slice(from % turns.length), ...turns.slice(0, from % turns.length)] : turns;
      const base = { name: sh.name ?? `shift ${rank + 1}`, precedence: rank + 1 };
      if (sh.type === 'single_event' || !sh.frequency) {
        layers.push({
          ...base,
          rotation: { start, timeZone: tz, handoff: 'FREQ=YEARLY', participants, dst: 'wall_clock' },
          from: instantIn(start, tz),
          until: startLocal.plus({ seconds: sh.duration }).toUTC().toISO()!,
        });
        return;
      }
      const days = (sh.by_day ?? []).filter((d) => WEEKDAYS.has(d));
      const parts = [`FREQ=${FREQ[sh.frequency]}`, `INTERVAL=${sh.interval ?? 1}`];
      // A daily rotation on some days only hands over on each of those days.
      if (sh.frequency === 'daily' && days.length) parts.push(`BYDAY=${days.join(',')}`);
      if (sh.frequency === 'weekly' && sh.week_start && WEEKDAYS.has(sh.week_start)) parts.push(`WKST=${sh.week_start}`);
      const coverage = coverageOf(sh, startLocal, warnings, where);
      layers.push({
        ...base,
        rotation: { start, timeZone: tz, handoff: parts.join(';'), participants, dst: sh.frequency === 'hourly' ? 'elapsed' : 'wall_clock', ...(coverage ? { coverage } : {}) },
        ...(sh.rotation_start ? { from: instantIn(sh.rotation_start, tz) } : {}),
        ...(sh.until ? { until: instantIn(sh.until, tz) } : {}),
      });
    });
    const overrides = shifts
      .filter((sh) => sh.type === 'override')
      .flatMap((sh) => {
        const tz = validZone(sh.time_zone) ?? zone;
        const start = instantIn(sh.start, tz);
        const end = DateTime.fromISO(start).plus({ seconds: sh.duration }).toUTC().toISO()!;
        (sh.users ?? []).forEach(mention);
        return (sh.users ?? []).map((u) => ({ externalPersonId: u, start, end }));
      });
    if (layers.length === 0) {
      warnings.push(`schedule ${s.name}: no shift with people on it; left out`);
      continue;
    }
    schedules.push({ externalId: s.id, name: s.name, description: null, timeZone: zone, layers, overrides });
  }

  const scheduleIds = new Set(schedules.map((s) => s.externalId));
  const policies: PlannedPolicy[] = [];
  for (const chain of input.escalation_chains) {
    const steps: PlannedPolicy['steps'] = [];
    let repeat = { times: 0, fromStep: 1 };
    const where = `escalation chain ${chain.name}`;
    for (const p of input.escalation_policies.filter((x) => x.escalation_chain_id === chain.id).sort((a, b) => a.position - b.position)) {
      const notify = (targets: PlannedTarget[]) => steps.push({ targets, waitMinutes: 0 });
      switch (p.type) {
        case 'wait': {
          const minutes = Math.round(((p.duration ?? 60) / 60) * 60) / 60;
          if (steps.length === 0) steps.push({ targets: [], waitMinutes: minutes });
          else steps[steps.length - 1].waitMinutes = Math.min(24 * 60, steps[steps.length - 1].waitMinutes + minutes);
          break;
        }
        case 'notify_persons':
        case 'notify_person_next_each_time': {
          const ids = (p.type === 'notify_persons' ? p.persons_to_notify : p.persons_to_notify_next_each_time) ?? [];
          if (p.type === 'notify_person_next_each_time') warnings.push(`${where}, step ${p.position + 1}: "next person each time" pages all of them in Vigil`);
          ids.forEach(mention);
          notify(ids.map((id) => ({ type: 'person', externalId: id })));
          break;
        }
        case 'notify_on_call_from_schedule': {
          const id = p.notify_on_call_from_schedule;
          if (id && scheduleIds.has(id)) notify([{ type: 'schedule', externalId: id }]);
          else warnings.push(`${where}, step ${p.position + 1}: schedule ${id ?? '?'} is not a schedule of this import; left out`);
          break;
        }
        case 'repeat_escalation':
          // Grafana OnCall repeats a chain up to five times, from its start.
          repeat = { times: 5, fromStep: 1 };
          break;
        default:
          warnings.push(`${where}, step ${p.position + 1}: ${p.type} has no Vigil counterpart; left out`);
      }
      if (p.type === 'repeat_escalation') break;
    }
    if (steps.length === 0) {
      warnings.push(`${where}: no step Vigil can run; left out`);
      continue;
    }
    policies.push({ externalId: chain.id, name: chain.name, description: null, steps, repeat });
  }

  return { source: 'grafana-oncall', people: [...people.values()], schedules, policies, warnings };
}
