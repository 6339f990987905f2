import { isExternalAudience, type AudienceKey, type AudienceRule, type AudienceView, type StatusCadence } from '@vigil/contracts';
import type { EntityManager } from 'typeorm';

type Query = Pick<EntityManager, 'query'>;

export interface AudienceRow {
  audience: AudienceKey;
  channels: string[];
  recipients: string[];
  rule: AudienceRule;
  auto_notify: Array<'initial_notice' | 'resolution'>;
  requires_approval: boolean;
  status_cadence: StatusCadence;
  cadence_grace_seconds: number;
  updated_at: Date;
  updated_by: string | null;
}

export const AUDIENCE_DESCRIPTIONS: Record<AudienceKey, string> = {
  ir_team: 'the incident response team',
  management: 'executives and managers who decide on business impact',
  legal: 'legal counsel and the data protection officer',
  employees: 'everyone in the organisation',
  customers: 'customers, and data subjects whose personal data is affected',
  regulators: 'supervisory and competent authorities',
  law_enforcement: 'police and other law-enforcement agencies',
  media: 'the press',
  partners: 'suppliers, service providers and other partners',
};

export function toAudienceView(row: AudienceRow): AudienceView {
  return {
    audience: row.audience,
    scope: isExternalAudience(row.audience) ? 'external' : 'internal',
    description: AUDIENCE_DESCRIPTIONS[row.audience],
    channels: row.channels,
    recipients: row.recipients,
    rule: row.rule,
    autoNotify: row.auto_notify,
    requiresApproval: row.requires_approval || isExternalAudience(row.audience),
    statusCadence: row.status_cadence,
    cadenceGraceSeconds: row.cadence_grace_seconds,
    updatedAt: row.updated_at.toISOString(),
    updatedBy: row.updated_by,
  };
}

export async function allAudiences(manager: Query): Promise<AudienceRow[]> {
  return manager.query(`SELECT * FROM comms.audiences ORDER BY array_position($1::text[], audience)`, [Object.keys(AUDIENCE_DESCRIPTIONS)]);
}

export async function audienceOf(manager: Query, audience: AudienceKey): Promise<AudienceRow> {
  const [row] = (await manager.query(`SELECT * FROM comms.audiences WHERE audience = $1`, [audience])) as AudienceRow[];
  if (!row) throw new Error(`audience ${audience} is missing from comms.audiences`);
  return row;
}

/** Outside audiences always need an approval, whatever is stored. */
export function needsApproval(row: AudienceRow): boolean {
  return row.requires_approval || isExternalAudience(row.audience);
}
