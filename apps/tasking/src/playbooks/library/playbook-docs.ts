import type { PlaybookDefinition } from '@vigil/contracts';

/** Where docs/playbooks.md holds the generated list of shipped playbooks. */
export const SHIPPED_BEGIN = '<!-- shipped-playbooks:begin (generated from apps/tasking/playbooks by a unit test; do not edit by hand) -->';
export const SHIPPED_END = '<!-- shipped-playbooks:end -->';

const duration = (minutes: number) =>
  minutes % 1440 === 0 ? `${minutes / 1440} d` : minutes % 60 === 0 ? `${minutes / 60} h` : `${minutes} min`;

function conditions(p: PlaybookDefinition): string {
  if (p.default) return 'the default: incidents no other playbook matches';
  const c = p.conditions;
  const parts = [
    c.categories && `category ${c.categories.join(' or ')}`,
    c.severities && `severity ${c.severities.join(' or ')}`,
    c.assetCriticalities && `asset criticality ${c.assetCriticalities.join(' or ')}`,
    c.exercise !== undefined && (c.exercise ? 'exercises only' : 'real incidents only'),
  ].filter(Boolean);
  return parts.length ? parts.join(', ') : 'any incident';
}

/** The shipped playbooks as Markdown: one table of steps each, in file order. */
export function renderShippedPlaybooks(playbooks: readonly PlaybookDefinition[]): string {
  const sections = playbooks.map((p) => {
    const rows = p.steps.map((s) => {
      const waits = [...s.dependsOn, ...s.gates.map((g) => `${g} (gate)`)].join(', ') || '—';
      const sla = (['SEV1', 'SEV2', 'SEV3', 'SEV4'] as const).map((sev) => duration(s.sla[sev])).join(' / ');
      const action = s.action ? ` — action \`${s.action.kind}\` via \`${s.action.connector}\`` : '';
      return `| \`${s.key}\` | ${s.phase} | ${s.title}${action} | ${s.role} | ${s.mandatory ? 'yes' : ''} | ${sla} | ${waits} |`;
    });
    return [
      `### ${p.name} (\`${p.key}\`)`,
      '',
      `${p.description} Chosen for ${conditions(p)}. Recovery watch: ${p.recoveryWatchDays === null ? 'none' : `${p.recoveryWatchDays} days`}.`,
      '',
      '| step | phase | title | role | mandatory | SLA SEV1 / SEV2 / SEV3 / SEV4 | waits for |',
      '|---|---|---|---|:-:|---|---|',
      ...rows,
    ].join('\n');
  });
  return [SHIPPED_BEGIN, '', sections.join('\n\n'), '', SHIPPED_END].join('\n');
}
