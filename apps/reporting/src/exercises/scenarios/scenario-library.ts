import { Scenario, zodIssuesToFieldErrors } from '@vigil/contracts';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';

/** The scenario library: YAML files kept with the code (apps/reporting/scenarios, copied into dist by the build). */
export const SCENARIO_DIR = join(__dirname, '..', '..', '..', 'scenarios');

export class ScenarioError extends Error {}

/**
 * What the schema cannot say: keys unique across modules, every expected action's capability
 * declared, every capability exercised by at least one expected action.
 */
export function scenarioProblems(s: Scenario): string[] {
  const problems: string[] = [];
  const dupes = (keys: string[]) => keys.filter((k, i) => keys.indexOf(k) !== i);
  for (const k of dupes(s.modules.map((m) => m.key))) problems.push(`module key ${k} is used twice`);
  for (const k of dupes(s.modules.flatMap((m) => m.injects.map((i) => i.key)))) problems.push(`inject key ${k} is used twice`);
  for (const k of dupes(s.expectedActions.map((a) => a.key))) problems.push(`expected action key ${k} is used twice`);
  for (const k of dupes(s.capabilities.map((c) => c.key))) problems.push(`capability key ${k} is used twice`);
  const capabilities = new Set(s.capabilities.map((c) => c.key));
  for (const a of s.expectedActions) if (!capabilities.has(a.capability)) problems.push(`expected action ${a.key} names the capability ${a.capability}, which the scenario does not declare`);
  for (const c of s.capabilities) if (!s.expectedActions.some((a) => a.capability === c.key)) problems.push(`capability ${c.key} has no expected action to observe it by`);
  return problems;
}

/** Parses and validates one scenario; the error names the file and every problem in it. */
export function parseScenario(text: string, name: string): Scenario {
  let raw: unknown;
  try {
    raw = parse(text, { prettyErrors: true });
  } catch (error) {
    throw new ScenarioError(`${name}: not YAML: ${(error as Error).message}`);
  }
  const parsed = Scenario.safeParse(raw);
  if (!parsed.success) {
    throw new ScenarioError(`${name}: ${zodIssuesToFieldErrors(parsed.error).map((e) => `${e.pointer || '/'} ${e.detail}`).join('; ')}`);
  }
  const problems = scenarioProblems(parsed.data);
  if (problems.length) throw new ScenarioError(`${name}: ${problems.join('; ')}`);
  return parsed.data;
}

/** Every scenario of a directory, by key. A broken file stops the service at start, naming the problem. */
export function loadScenarios(dir = SCENARIO_DIR): Map<string, Scenario> {
  const library = new Map<string, Scenario>();
  for (const file of readdirSync(dir).filter((f) => /\.ya?ml$/.test(f)).sort()) {
    const scenario = parseScenario(readFileSync(join(dir, file), 'utf8'), file);
    if (library.has(scenario.key)) throw new ScenarioError(`${file}: the key ${scenario.key} is taken by another scenario`);
    library.set(scenario.key, scenario);
  }
  return library;
}

export function injectCount(s: Scenario): number {
  return s.modules.reduce((n, m) => n + m.injects.length, 0);
}
