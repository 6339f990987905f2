import type { CorrelationRuleView, ObservableType } from '@vigil/contracts';
import type { EntityManager } from 'typeorm';
import type { CorrelationRule } from '../correlation-keys';

interface RuleRow {
  kind: CorrelationRule['kind'];
  enabled: boolean;
  window_seconds: number | null;
  observable_types: ObservableType[];
  updated_by: string | null;
  updated_at: Date;
}

/** The rules' fixed order (most specific first), as a sort expression. */
export const RULE_ORDER = `array_position(ARRAY['reference','group_key','asset_category','observable'], kind)`;

export function toRuleView(r: RuleRow): CorrelationRuleView {
  return {
    kind: r.kind,
    enabled: r.enabled,
    windowSeconds: r.window_seconds,
    observableTypes: r.observable_types,
    updatedBy: r.updated_by,
    updatedAt: r.updated_at.toISOString(),
  };
}

/** Read per alert (four rows): a rule changed through the API applies to the very next alert. */
export async function loadCorrelationRules(manager: Pick<EntityManager, 'query'>): Promise<CorrelationRule[]> {
  const rows = await listRuleRows(manager);
  return rows.map((r) => ({ kind: r.kind, enabled: r.enabled, windowSeconds: r.window_seconds, observableTypes: r.observable_types }));
}

export async function listRuleRows(manager: Pick<EntityManager, 'query'>): Promise<RuleRow[]> {
  return manager.query(`SELECT * FROM triage.correlation_rules ORDER BY ${RULE_ORDER}`);
}
