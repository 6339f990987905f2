import { AudienceKey, MessagePurpose } from '@vigil/contracts';
import { snapshot } from '../test-fixtures';
import { escapePlain, escapeSlack } from '../channels/escaping';
import { defaultTemplate } from './default-templates';
import { checkTemplate, renderTemplate, TemplateError } from './template-engine';
import { buildTemplateView, VIEW_FIELDS } from './template-view';

const organisation = { name: 'Example Corp', contact: 'security@example.com', dpoContact: null };
const view = buildTemplateView(snapshot, { organisation, audience: 'ir_team', purpose: 'initial_notice', note: 'Backups are intact.' });

describe(checkTemplate.name, () => {
  it('accepts the allow-listed fields, conditions, loops and the safe filters', () => {
    expect(
      checkTemplate(
        '{{ incident.title | upcase | truncate: 20 }} {% if incident.severity == "SEV1" %}now{% endif %}' +
          '{% for item in obligation.checklist %}{{ forloop.index }} {{ item.label }}: {{ item.value | default: "?" }}{% endfor %}',
      ),
    ).toEqual([]);
  });

  it.each([
    ['an unknown field', '{{ incident.secret }}', 'incident.secret is not a field templates can use'],
    ['the raw entity', '{{ incident }}', 'incident is not a field'],
    ['a prototype property', '{{ incident.title.constructor }}', 'incident.title.constructor is not a field'],
    ['__proto__', '{{ incident.__proto__ }}', 'is not a field'],
    ['an unknown root', '{{ process.env.DATABASE_URL }}', 'process.env.DATABASE_URL is not a field'],
    ['a computed name', '{{ incident[message.note] }}', 'only plain field names'],
    ['an index', '{{ obligation.checklist[0].label }}', 'only plain field names'],
    ['a filter outside the safe list', '{{ incident.title | raw }}', 'the filter raw is not allowed'],
    ['another unsafe filter', '{{ incident.title | json }}', 'the filter json is not allowed'],
    ['include', '{% include "/etc/passwd" %}', 'the tag {% include %} is not allowed'],
    ['render', '{% render "x" %}', 'the tag {% render %} is not allowed'],
    ['assign', '{% assign x = incident.title %}{{ x }}', 'the tag {% assign %} is not allowed'],
    ['a loop over something else', '{% for c in incident.title %}{{ c }}{% endfor %}', 'may only loop over a list'],
    ['a loop variable hiding the view', '{% for incident in obligation.checklist %}{% endfor %}', 'hides a name of the view'],
    ['a field the list items do not have', '{% for item in obligation.checklist %}{{ item.secret }}{% endfor %}', 'item.secret is not a field'],
    ['an unknown forloop field', '{% for item in obligation.checklist %}{{ forloop.parentloop }}{% endfor %}', 'forloop has'],
    ['broken syntax', '{{ incident.title ', 'not closed'],
  ])('refuses %s', (_what, source, detail) => {
    const issues = checkTemplate(source);
    expect(issues.length).toBeGreaterThan(0);
    expect(issues.map((i) => i.detail).join('\n')).toContain(detail);
  });

  it('says where the unknown field is', () => {
    expect(checkTemplate('line one\nand {{ incident.nope }}')).toEqual([expect.objectContaining({ line: 2, column: 8 })]);
  });
});

describe(renderTemplate.name, () => {
  it('escapes values for the channel but leaves the template text alone', async () => {
    const out = await renderTemplate('<!here> {{ incident.title }}', view, escapeSlack);
    expect(out.startsWith('<!here> ')).toBe(true);
    expect(out).toContain('&lt;!channel&gt;');
    expect(out).toContain('https[:]//evil[.]example/x');
  });

  it('refuses to render a template that fails its check (a stored one edited behind its back)', async () => {
    await expect(renderTemplate('{{ incident.title.constructor.name }}', view, escapePlain)).rejects.toBeInstanceOf(TemplateError);
  });

  it('refuses a template longer than the parse limit', async () => {
    const source = '{{ incident.title | append: incident.title | append: incident.title }}'.repeat(3000);
    expect(source.length).toBeGreaterThan(100_000);
    await expect(renderTemplate(source, view, escapePlain)).rejects.toThrow(/parse length limit exceeded/);
  });

  it('stops a short template whose loops would render without end, within its limits', async () => {
    const checklist = Array.from({ length: 60 }, (_, i) => ({ key: `k${i}`, label: `item ${i}`, value: 'x'.repeat(50), required: true }));
    const big = { ...view, obligation: { ...view.obligation, checklist } };
    const loop = (v: string, inner: string) => `{% for ${v} in obligation.checklist %}${inner}{% endfor %}`;
    const source = loop('a', loop('b', loop('c', loop('d', '{{ a.value }}{{ incident.title }}'))));
    expect(checkTemplate(source)).toEqual([]);
    const started = Date.now();
    await expect(renderTemplate(source, big, escapePlain)).rejects.toThrow(/limit exceeded/);
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('renders null values as empty and lets default fill them', async () => {
    expect(await renderTemplate('[{{ incident.containedAt }}|{{ incident.containedAt | default: "not yet" }}]', view, escapePlain)).toBe('[|not yet]');
  });
});

describe('the view', () => {
  const paths = (value: unknown, prefix = ''): string[] =>
    Object.entries(value as Record<string, unknown>).flatMap(([key, v]) =>
      Array.isArray(v) ? [`${prefix}${key}`] : v && typeof v === 'object' ? paths(v, `${prefix}${key}.`) : [`${prefix}${key}`],
    );

  it('holds exactly the allow-listed fields', () => {
    const listed = Object.keys(VIEW_FIELDS).filter((p) => !p.includes('[]'));
    expect(paths(view).sort()).toEqual(listed.sort());
  });
});

describe('default templates', () => {
  it.each(AudienceKey.options.flatMap((a) => MessagePurpose.options.map((p) => [a, p] as const)))('%s / %s passes its own check and renders', async (audience, purpose) => {
    const template = defaultTemplate(audience, purpose);
    expect(checkTemplate(template.subject)).toEqual([]);
    expect(checkTemplate(template.body)).toEqual([]);
    const text = await renderTemplate(template.body, buildTemplateView(snapshot, { organisation, audience, purpose }), escapePlain);
    expect(text.length).toBeGreaterThan(20);
  });

  it('never puts the alert title in front of an outside audience', () => {
    for (const audience of ['customers', 'media', 'partners', 'employees'] as const) {
      for (const purpose of ['initial_notice', 'status_update', 'resolution'] as const) {
        const t = defaultTemplate(audience, purpose);
        expect(t.subject + t.body).not.toContain('incident.title');
      }
    }
  });
});
