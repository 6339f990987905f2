import type { Scenario, ScenarioInject } from '@vigil/contracts';

export interface ScheduledInject {
  key: string;
  module: string;
  kind: ScenarioInject['kind'];
  ordinal: number;
  dueAt: Date;
}

/** Every inject of a scenario on the exercise's timeline: T (the start) + its minutes. */
export function scheduleInjects(scenario: Scenario, startedAt: Date): ScheduledInject[] {
  let ordinal = 0;
  return scenario.modules.flatMap((m) =>
    m.injects.map((i) => ({ key: i.key, module: m.key, kind: i.kind, ordinal: ordinal++, dueAt: new Date(startedAt.getTime() + i.atMinutes * 60_000) })),
  );
}

/** The injects due at `now` that are still waiting, in timeline order. */
export function dueInjects<T extends { dueAt: Date; ordinal: number; status: string }>(injects: T[], now: Date): T[] {
  return injects.filter((i) => i.status === 'pending' && i.dueAt.getTime() <= now.getTime()).sort((a, b) => a.dueAt.getTime() - b.dueAt.getTime() || a.ordinal - b.ordinal);
}

export function findInject(scenario: Scenario, key: string): { module: string; inject: ScenarioInject } | undefined {
  for (const m of scenario.modules) {
    const inject = m.injects.find((i) => i.key === key);
    if (inject) return { module: m.key, inject };
  }
  return undefined;
}

/**
 * What an inject posts to intake. Alerts go in the canonical format, reports in the report format,
 * both marked as an exercise; each dedup key is the exercise's own, so two runs never meet, and once
 * the exercise incident exists later alerts name it, so the whole run is one incident.
 */
export function injectRequest(
  inject: ScenarioInject,
  ctx: { exerciseId: string; incidentId: string | null; now: Date },
): { path: '/v1/alerts' | '/v1/reports'; body: Record<string, unknown> } | undefined {
  if (inject.kind === 'alert') {
    const { occurredMinutesBefore, labels, ...alert } = inject.alert;
    return {
      path: '/v1/alerts',
      body: {
        ...alert,
        exercise: true,
        dedupKey: `exercise:${ctx.exerciseId}:${inject.key}`,
        occurredAt: new Date(ctx.now.getTime() - (occurredMinutesBefore ?? 0) * 60_000).toISOString(),
        labels: { ...labels, vigil_exercise: ctx.exerciseId, vigil_inject: inject.key, ...(ctx.incidentId ? { vigil_incident: ctx.incidentId } : {}) },
      },
    };
  }
  if (inject.kind === 'report') {
    return { path: '/v1/reports', body: { ...inject.report, seenAt: ctx.now.toISOString(), exercise: true } };
  }
  return undefined; // a message: for the participants, shown with the exercise
}
