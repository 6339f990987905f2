import { Liquid, type Template } from 'liquidjs';
import { VIEW_FIELDS, VIEW_ROOTS, type TemplateView } from './template-view';

/**
 * Templates are LiquidJS in strict mode: logic-less (conditions and loops over the view, nothing
 * that evaluates code), checked before they are saved and again before one is first rendered. Anything
 * that could reach beyond the view is gone from the engine itself: only the filters and tags
 * below exist in it, so a template naming another one does not even parse.
 */
export const ALLOWED_FILTERS = [
  'upcase',
  'downcase',
  'capitalize',
  'truncate',
  'truncatewords',
  'default',
  'date',
  'strip',
  'size',
  'join',
  'first',
  'last',
  'append',
  'prepend',
  'replace',
  'remove',
  'plus',
  'minus',
  'round',
] as const;
export const ALLOWED_TAGS = ['if', 'unless', 'case', 'for', 'break', 'continue', 'comment', 'raw', '#'] as const;
const FORLOOP_FIELDS = new Set(['index', 'index0', 'rindex', 'rindex0', 'first', 'last', 'length']);

/** Parse size (characters), render time (ms) and memory (LiquidJS' own accounting) per template. */
export const TEMPLATE_LIMITS = { parseLimit: 100_000, renderLimitMs: 500, memoryLimit: 2_000_000 } as const;

export interface TemplateIssue {
  line: number | null;
  column: number | null;
  detail: string;
}

/** A template that fails its check, or fails while rendering (a limit, a value it cannot read). */
export class TemplateError extends Error {
  constructor(readonly issues: TemplateIssue[]) {
    super(issues.map((i) => (i.line ? `line ${i.line}, column ${i.column}: ${i.detail}` : i.detail)).join('; '));
  }
}

type Escape = (value: string) => string;
/**
 * One engine per escaping, with the templates it has parsed after they passed their check: a
 * run's notices render the same few templates many times (at most CHECKED_PER_ENGINE kept, the
 * oldest dropped first).
 */
const engines = new Map<Escape | undefined, { liquid: Liquid; checked: Map<string, Template[]> }>();
const CHECKED_PER_ENGINE = 64;

function engine(escape?: Escape): Liquid {
  return engineOf(escape).liquid;
}

function engineOf(escape?: Escape): { liquid: Liquid; checked: Map<string, Template[]> } {
  const known = engines.get(escape);
  if (known) return known;
  const liquid = new Liquid({
    strictVariables: true,
    strictFilters: true,
    ownPropertyOnly: true,
    jsTruthy: false,
    lenientIf: false,
    dynamicPartials: false,
    cache: false,
    timezoneOffset: 0,
    parseLimit: TEMPLATE_LIMITS.parseLimit,
    renderLimit: TEMPLATE_LIMITS.renderLimitMs,
    memoryLimit: TEMPLATE_LIMITS.memoryLimit,
    outputEscape: escape ? (value: unknown) => escape(value === null || value === undefined ? '' : String(value)) : undefined,
  });
  const filters = liquid.filters as Record<string, unknown>;
  for (const name of Object.keys(filters)) if (!(ALLOWED_FILTERS as readonly string[]).includes(name)) delete filters[name];
  const tags = liquid.tags as Record<string, unknown>;
  for (const name of Object.keys(tags)) if (!(ALLOWED_TAGS as readonly string[]).includes(name)) delete tags[name];
  const created = { liquid, checked: new Map<string, Template[]>() };
  engines.set(escape, created);
  return created;
}

const position = (message: string) => {
  const m = /line:(\d+), col:(\d+)/.exec(message);
  return m ? { line: Number(m[1]), column: Number(m[2]) } : { line: null, column: null };
};

function parseIssue(error: Error): TemplateIssue {
  const { line, column } = position(error.message);
  const tag = /tag "([^"]+)" not found/.exec(error.message);
  if (tag) return { line, column, detail: `the tag {% ${tag[1]} %} is not allowed (allowed: ${ALLOWED_TAGS.filter((t) => t !== '#').join(', ')})` };
  const filter = /undefined filter: ([\w-]+)/.exec(error.message);
  if (filter) return { line, column, detail: `the filter ${filter[1]} is not allowed (allowed: ${ALLOWED_FILTERS.join(', ')})` };
  return { line, column, detail: error.message.replace(/, line:\d+, col:\d+/, '').replace(/\s+/g, ' ').slice(0, 300) };
}

interface Node {
  name?: string;
  collection?: { props?: Array<{ content?: unknown; constructor: { name: string } }> };
  variable?: string;
  templates?: Node[];
  elseTemplates?: Node[];
  branches?: Array<{ templates?: Node[] }>;
}

function walk(nodes: readonly Node[], visit: (node: Node) => void): void {
  for (const node of nodes) {
    visit(node);
    if (node.templates) walk(node.templates, visit);
    if (node.elseTemplates) walk(node.elseTemplates, visit);
    for (const branch of node.branches ?? []) walk(branch.templates ?? [], visit);
  }
}

/** A plain dotted path (`obligation.checklist`) of a `for` collection, or null for anything else. */
function collectionPath(node: Node): string | null {
  const props = node.collection?.props;
  if (!props?.length || !props.every((p) => p.constructor.name === 'IdentifierToken' && typeof p.content === 'string')) return null;
  return props.map((p) => p.content as string).join('.');
}

function parse(source: string): { templates: Template[] } | { issue: TemplateIssue } {
  try {
    return { templates: engine().parse(source) };
  } catch (error) {
    return { issue: parseIssue(error as Error) };
  }
}

/** Every reason the template may not be used; empty when it is fine. */
export function checkTemplate(source: string): TemplateIssue[] {
  const parsed = parse(source);
  if ('issue' in parsed) return [parsed.issue];
  const issues: TemplateIssue[] = [];
  const loops = new Map<string, string>();
  walk(parsed.templates as unknown as Node[], (node) => {
    if (node.name !== 'for' || !node.variable) return;
    const path = collectionPath(node);
    if (!path || (VIEW_FIELDS as Record<string, readonly string[]>)[path]?.[0] !== 'list') {
      issues.push({ line: null, column: null, detail: `{% for ${node.variable} in … %} may only loop over a list of the view (${listPaths().join(', ')})` });
      return;
    }
    if (VIEW_ROOTS.has(node.variable) || node.variable === 'forloop') {
      issues.push({ line: null, column: null, detail: `the loop variable ${node.variable} hides a name of the view; choose another` });
    } else if (loops.has(node.variable) && loops.get(node.variable) !== path) {
      issues.push({ line: null, column: null, detail: `the loop variable ${node.variable} is used for two lists; give each loop its own` });
    } else {
      loops.set(node.variable, path);
    }
  });
  const analysis = engine().analyzeSync(parsed.templates, { partials: false });
  for (const refs of Object.values(analysis.variables)) {
    for (const ref of refs) {
      const where = { line: ref.location.row, column: ref.location.col };
      const segments = ref.segments;
      if (!segments.every((s): s is string => typeof s === 'string')) {
        issues.push({ ...where, detail: `${ref.toString()}: only plain field names may be used (no indexes or computed names)` });
        continue;
      }
      const [root, ...rest] = segments;
      if (root === 'forloop') {
        if (rest.length !== 1 || !FORLOOP_FIELDS.has(rest[0])) issues.push({ ...where, detail: `${segments.join('.')}: forloop has ${[...FORLOOP_FIELDS].join(', ')}` });
        continue;
      }
      const path = loops.has(root) ? [`${loops.get(root)}[]`, ...rest].join('.') : segments.join('.');
      if (!Object.hasOwn(VIEW_FIELDS, path)) {
        issues.push({ ...where, detail: `${segments.join('.')} is not a field templates can use (see GET /v1/templates/variables)` });
      }
    }
  }
  return issues;
}

function listPaths(): string[] {
  return Object.entries(VIEW_FIELDS)
    .filter(([, [type]]) => type === 'list')
    .map(([path]) => path);
}

/** The template parsed by the engine of `escape`, checked first (once); a TemplateError when it fails its check. */
function checkedTemplate(source: string, escape: Escape): Template[] {
  const { liquid, checked } = engineOf(escape);
  const hit = checked.get(source);
  if (hit) return hit;
  const issues = checkTemplate(source);
  if (issues.length) throw new TemplateError(issues);
  const templates = liquid.parse(source);
  if (checked.size >= CHECKED_PER_ENGINE) checked.delete(checked.keys().next().value!);
  checked.set(source, templates);
  return templates;
}

/**
 * Renders a checked template over the view; `escape` is applied to every value output (the
 * channel's escaping), never to the template's own text.
 */
export async function renderTemplate(source: string, view: TemplateView, escape: Escape): Promise<string> {
  const liquid = engine(escape);
  const templates = checkedTemplate(source, escape);
  try {
    return String(await liquid.render(templates, view as unknown as object, { strictVariables: true, ownPropertyOnly: true }));
  } catch (error) {
    throw new TemplateError([{ ...position((error as Error).message), detail: (error as Error).message.replace(/\s+/g, ' ').slice(0, 300) }]);
  }
}
