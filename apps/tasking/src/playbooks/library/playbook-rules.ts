import {
  PlaybookDefinition,
  ResponderRole,
  zodIssuesToFieldErrors,
  type AssetCriticality,
  type FieldError,
  type IncidentCategory,
  type IncidentSeverity,
  type PlaybookPhase,
  type PlaybookStep,
} from '@vigil/contracts';
import { parse, stringify } from 'yaml';

/** NIST SP 800-61 order of the phases a step can belong to. */
export const PHASE_ORDER: readonly PlaybookPhase[] = ['triaged', 'contained', 'eradicated', 'recovered', 'post_incident'];

export type PlaybookFormat = 'yaml' | 'json';

/**
 * A refusal says whether the file broke the definition's schema (`schema`: a 400 where the schema is
 * the request's) or is well formed and breaks what the schema cannot say (`rules`: a 422).
 */
export type Parsed = { ok: true; playbook: PlaybookDefinition } | { ok: false; broke: 'schema' | 'rules'; detail: string; errors: FieldError[] };

/**
 * What the schema cannot say, each naming the step and field: duplicate step keys, unknown roles,
 * a dependency or gate on a step the playbook does not have (or on the step itself), and cycles
 * through dependsOn and gates (named in order, e.g. "a → b → a").
 */
export function playbookProblems(p: PlaybookDefinition): FieldError[] {
  const errors: FieldError[] = [];
  const index = new Map<string, number>();
  p.steps.forEach((step, i) => {
    if (index.has(step.key)) errors.push({ pointer: `/steps/${i}/key`, detail: `duplicate step key ${step.key} (also step ${index.get(step.key)})` });
    else index.set(step.key, i);
  });
  const roles = ResponderRole.options as readonly string[];
  p.steps.forEach((step, i) => {
    if (!roles.includes(step.role)) errors.push({ pointer: `/steps/${i}/role`, detail: `unknown role ${step.role}; one of ${roles.join(', ')}` });
    for (const field of ['dependsOn', 'gates'] as const) {
      step[field].forEach((ref, j) => {
        if (ref === step.key) errors.push({ pointer: `/steps/${i}/${field}/${j}`, detail: `step ${step.key} cannot wait for itself` });
        else if (!index.has(ref)) errors.push({ pointer: `/steps/${i}/${field}/${j}`, detail: `step ${step.key} ${field === 'gates' ? 'is gated on' : 'depends on'} ${ref}, which is not a step of this playbook` });
      });
    }
  });
  const cycle = findCycle(p.steps);
  if (cycle) errors.push({ pointer: `/steps/${index.get(cycle[0])}/dependsOn`, detail: `dependency cycle: ${cycle.join(' → ')}` });
  return errors;
}

/** The first cycle through dependsOn and gates, as the keys along it (first key repeated at the end). */
export function findCycle(steps: readonly Pick<PlaybookStep, 'key' | 'dependsOn' | 'gates'>[]): string[] | null {
  // A duplicated key (reported on its own) keeps the first step's edges.
  const edges = new Map<string, string[]>();
  for (const s of steps) if (!edges.has(s.key)) edges.set(s.key, [...new Set([...s.dependsOn, ...s.gates])].filter((k) => k !== s.key));
  const state = new Map<string, 'visiting' | 'done'>();
  const path: string[] = [];
  const visit = (key: string): string[] | null => {
    if (state.get(key) === 'done' || !edges.has(key)) return null;
    if (state.get(key) === 'visiting') return [...path.slice(path.indexOf(key)), key];
    state.set(key, 'visiting');
    path.push(key);
    for (const next of edges.get(key)!) {
      const found = visit(next);
      if (found) return found;
    }
    path.pop();
    state.set(key, 'done');
    return null;
  };
  for (const s of steps) {
    const found = visit(s.key);
    if (found) return found;
  }
  return null;
}

/** Validates a playbook given as a value (the API's JSON body, or a parsed file). */
export function checkPlaybook(raw: unknown): Parsed {
  const parsed = PlaybookDefinition.safeParse(raw);
  if (!parsed.success) return { ok: false, broke: 'schema', detail: 'The playbook is not valid.', errors: zodIssuesToFieldErrors(parsed.error) };
  const errors = playbookProblems(parsed.data);
  if (errors.length) return { ok: false, broke: 'rules', detail: `The playbook is not valid: ${errors.map((e) => `${e.pointer} ${e.detail}`).join('; ')}`, errors };
  return { ok: true, playbook: parsed.data };
}

/** Parses YAML or JSON text (YAML 1.2 is a superset of JSON, but a JSON file gets JSON's errors). */
export function parsePlaybook(text: string, format: PlaybookFormat): Parsed {
  let raw: unknown;
  try {
    raw = format === 'json' ? JSON.parse(text) : parse(text, { prettyErrors: true, maxAliasCount: 100 });
  } catch (error) {
    return { ok: false, broke: 'schema', detail: `Not ${format === 'json' ? 'JSON' : 'YAML'}: ${(error as Error).message}`, errors: [{ pointer: '', detail: `is not ${format === 'json' ? 'JSON' : 'YAML'}` }] };
  }
  return checkPlaybook(raw);
}

/** The file form: the definition's own field order, defaults written out (what you export is what you import). */
export function formatPlaybook(p: PlaybookDefinition, format: PlaybookFormat): string {
  return format === 'json' ? `${JSON.stringify(p, null, 2)}\n` : stringify(p, { lineWidth: 0 });
}

/** What playbook selection looks at. */
export interface PlaybookSubject {
  category: IncidentCategory;
  severity: IncidentSeverity;
  assetCriticality: AssetCriticality | null;
  exercise: boolean;
}

/** How many conditions a playbook sets, or null when one of them does not hold for the incident. */
export function matchScore(p: PlaybookDefinition, s: PlaybookSubject): number | null {
  const c = p.conditions;
  let score = 0;
  if (c.categories) {
    if (!c.categories.includes(s.category)) return null;
    score++;
  }
  if (c.severities) {
    if (!c.severities.includes(s.severity)) return null;
    score++;
  }
  if (c.assetCriticalities) {
    if (!s.assetCriticality || !c.assetCriticalities.includes(s.assetCriticality)) return null;
    score++;
  }
  if (c.exercise !== undefined) {
    if (c.exercise !== s.exercise) return null;
    score++;
  }
  return score;
}

/**
 * The playbook for an incident: of the playbooks whose conditions all hold, the one that sets the
 * most conditions (the most specific), then the highest priority, then the first key; a default
 * playbook with no matching conditions is only the fallback. Null when none matches and there is no default.
 */
export function choosePlaybook<P extends PlaybookDefinition>(playbooks: readonly P[], s: PlaybookSubject): P | null {
  const ranked = playbooks
    .filter((p) => !p.default)
    .map((p) => ({ p, score: matchScore(p, s) }))
    .filter((r): r is { p: P; score: number } => r.score !== null && r.score > 0)
    .sort((a, b) => b.score - a.score || b.p.priority - a.p.priority || a.p.key.localeCompare(b.p.key));
  if (ranked.length) return ranked[0].p;
  return playbooks.find((p) => p.default) ?? null;
}

/** What moving an incident from one version to another does to its steps. */
export function diffSteps(from: readonly string[], to: readonly string[]): { added: string[]; dropped: string[]; kept: string[] } {
  return { added: to.filter((k) => !from.includes(k)), dropped: from.filter((k) => !to.includes(k)), kept: to.filter((k) => from.includes(k)) };
}

/**
 * A step's SLA in minutes for a severity; a recovery step follows the recovery time objective of
 * the incident's business service when one is set (the smallest of its assets).
 */
export function slaMinutes(step: Pick<PlaybookStep, 'phase' | 'sla'>, severity: IncidentSeverity, rtoMinutes: number | null): number {
  if (step.phase === 'recovered' && rtoMinutes !== null) return rtoMinutes;
  return step.sla[severity];
}

/**
 * Why a task cannot start yet: open dependencies (not done or skipped), gates not done, and the
 * incident not yet in the task's phase ("phase:<phase>"). Empty when it can start.
 */
export function blockers(
  task: { phase: string; dependsOn: readonly string[]; gates: readonly string[] },
  stepStatus: ReadonlyMap<string, string>,
  incidentPhase: string | null,
): string[] {
  const open: string[] = [];
  for (const key of task.dependsOn) {
    const status = stepStatus.get(key);
    if (status !== undefined && status !== 'done' && status !== 'skipped' && status !== 'cancelled') open.push(key);
  }
  for (const key of task.gates) {
    const status = stepStatus.get(key);
    if (status !== undefined && status !== 'done' && !open.includes(key)) open.push(key);
  }
  if (incidentPhase && !phaseReached(incidentPhase, task.phase)) open.push(`phase:${task.phase}`);
  return open;
}

/**
 * Whether the incident has reached a step's phase: triage-phase steps open at once (an incident is
 * declared into analysis), later ones when the incident enters their phase or any later one.
 */
export function phaseReached(incidentPhase: string, stepPhase: string): boolean {
  const order = ['detected', ...PHASE_ORDER, 'closed'];
  const at = order.indexOf(incidentPhase);
  const needed = order.indexOf(stepPhase);
  if (needed <= order.indexOf('triaged')) return true;
  if (at < 0) return false; // false_positive, merged: nothing more to start
  return at >= needed;
}
