import type { AudienceKey, MessagePurpose, SaveTemplate, TemplateView } from '@vigil/contracts';
import { Problem, type FieldError } from '@vigil/platform';
import type { EntityManager } from 'typeorm';
import { defaultTemplate } from './default-templates';
import { checkTemplate } from './template-engine';

type Query = Pick<EntityManager, 'query'>;

interface TemplateRow {
  audience: AudienceKey;
  purpose: MessagePurpose;
  subject: string;
  body: string;
  version: number;
  updated_at: Date;
  updated_by: string;
}

/** The template in force: the one saved for this audience and purpose, else the shipped default. */
export async function effectiveTemplate(manager: Query, audience: AudienceKey, purpose: MessagePurpose): Promise<TemplateView> {
  return (await effectiveTemplates(manager, [[audience, purpose]])).get(`${audience}:${purpose}`)!;
}

/** The templates in force for several audience-purpose pairs, in one statement, keyed `audience:purpose`. */
export async function effectiveTemplates(manager: Query, pairs: ReadonlyArray<readonly [AudienceKey, MessagePurpose]>): Promise<Map<string, TemplateView>> {
  const found = new Map<string, TemplateView>();
  if (pairs.length === 0) return found;
  const rows = (await manager.query(`SELECT t.* FROM comms.templates t JOIN unnest($1::text[], $2::text[]) AS k(audience, purpose) USING (audience, purpose)`, [
    pairs.map(([a]) => a),
    pairs.map(([, p]) => p),
  ])) as TemplateRow[];
  for (const row of rows) found.set(`${row.audience}:${row.purpose}`, toView(row));
  for (const [audience, purpose] of pairs) {
    if (found.has(`${audience}:${purpose}`)) continue;
    const d = defaultTemplate(audience, purpose);
    found.set(`${audience}:${purpose}`, { audience, purpose, subject: d.subject, body: d.body, source: 'default', version: 0, updatedAt: null, updatedBy: null });
  }
  return found;
}

export async function savedTemplates(manager: Query): Promise<TemplateView[]> {
  const rows: TemplateRow[] = await manager.query(`SELECT * FROM comms.templates`);
  return rows.map(toView);
}

function toView(row: TemplateRow): TemplateView {
  return {
    audience: row.audience,
    purpose: row.purpose,
    subject: row.subject,
    body: row.body,
    source: 'custom',
    version: row.version,
    updatedAt: row.updated_at.toISOString(),
    updatedBy: row.updated_by,
  };
}

/** 400 naming each problem of the template's subject and body, with line and column. */
export function assertTemplateUsable(template: Partial<SaveTemplate>, base = ''): void {
  const errors: FieldError[] = [];
  for (const field of ['subject', 'body'] as const) {
    const source = template[field];
    if (source === undefined) continue;
    for (const issue of checkTemplate(source)) {
      errors.push({ pointer: `${base}/${field}`, detail: issue.line ? `line ${issue.line}, column ${issue.column}: ${issue.detail}` : issue.detail });
    }
  }
  if (errors.length) throw Problem.unprocessable(errors, 'The template uses something templates may not use.');
}
