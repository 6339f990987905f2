import { Body, Controller, Get, HttpCode, Param, ParseUUIDPipe, Post, Query } from '@nestjs/common';
import { ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { CreateSuppressionRule, Reason, SuppressionRulePage, SuppressionRuleView, type SuppressionMatch } from '@vigil/contracts';
import { ApiJsonBody, ApiJsonResponse, ApiProblems, Caller, decodeCursor, pageOf, Permit, type Principal, Problem, ZodPipe } from '@vigil/platform';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { z } from 'zod';

interface RuleRow {
  id: string;
  name: string;
  owner: string;
  reason: string;
  match: SuppressionMatch;
  created_at: Date;
  created_by: string | null;
  expires_at: Date;
  revoked_at: Date | null;
  revoked_by: string | null;
  suppressed_alerts: string;
  suppressed_occurrences: string;
  last_matched_at: Date | null;
}

function toView(r: RuleRow, now = new Date()): SuppressionRuleView {
  return {
    ruleId: r.id,
    name: r.name,
    owner: r.owner,
    reason: r.reason,
    match: r.match,
    createdAt: r.created_at.toISOString(),
    createdBy: r.created_by ?? null,
    expiresAt: r.expires_at.toISOString(),
    revokedAt: r.revoked_at?.toISOString() ?? null,
    revokedBy: r.revoked_by,
    active: !r.revoked_at && r.expires_at > now,
    suppressedAlerts: Number(r.suppressed_alerts),
    suppressedOccurrences: Number(r.suppressed_occurrences),
    lastMatchedAt: r.last_matched_at?.toISOString() ?? null,
  };
}

const ListQuery = z.strictObject({
  active: z.enum(['true', 'false']).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(400).optional(),
});
const Revoke = z.strictObject({ reason: Reason.optional() }).meta({ id: 'RevokeSuppressionRule', examples: [{ reason: 'the scanner was retired' }] });

/**
 * Suppression rules hold back known noise for a bounded time: each has an owner, a reason and an
 * expiry, and counts what it held back, so nothing is silenced forever or without a name on it.
 */
@ApiTags('correlation')
@Controller('v1/suppression-rules')
export class SuppressionRulesController {
  constructor(private readonly dataSource: DataSource) {}

  @Post()
  @Permit('triage-rules.write')
  @ApiOperation({ summary: 'Suppress matching alerts until the rule expires', operationId: 'createSuppressionRule' })
  @ApiJsonBody(CreateSuppressionRule)
  @ApiJsonResponse(201, SuppressionRuleView, 'The rule, in force from now')
  @ApiProblems(400, 503)
  async create(@Body(new ZodPipe(CreateSuppressionRule)) body: CreateSuppressionRule, @Caller() caller: Principal) {
    const now = new Date();
    const expiresAt = body.expiresAt ? new Date(body.expiresAt) : new Date(now.getTime() + body.durationSeconds! * 1000);
    if (expiresAt <= now) throw Problem.unprocessable([{ pointer: '/expiresAt', detail: 'must be in the future' }]);
    if (expiresAt.getTime() - now.getTime() > 366 * 86_400_000) throw Problem.unprocessable([{ pointer: '/expiresAt', detail: 'must be within a year: suppression is never forever' }]);
    const [row]: RuleRow[] = await this.dataSource.transaction((manager) =>
      manager.query(
        `INSERT INTO triage.suppression_rules (id, name, owner, reason, match, created_at, created_by, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING *`,
        [randomUUID(), body.name, body.owner, body.reason, body.match, now, caller.subject, expiresAt],
      ),
    );
    return toView(row);
  }

  @Get()
  @Permit('triage-rules.read')
  @ApiOperation({ summary: 'Suppression rules, newest first', operationId: 'listSuppressionRules' })
  @ApiQuery({ name: 'active', required: false, enum: ['true', 'false'] })
  @ApiQuery({ name: 'limit', required: false, schema: { type: 'integer', minimum: 1, maximum: 200, default: 50 } })
  @ApiQuery({ name: 'cursor', required: false, type: String })
  @ApiJsonResponse(200, SuppressionRulePage, 'A page of rules')
  @ApiProblems(400, 503)
  async list(@Query(new ZodPipe(ListQuery, 'query')) query: z.infer<typeof ListQuery>) {
    const where: string[] = [];
    const params: unknown[] = [];
    const p = (v: unknown) => `$${params.push(v)}`;
    if (query.active === 'true') where.push(`revoked_at IS NULL AND expires_at > now()`);
    if (query.active === 'false') where.push(`(revoked_at IS NOT NULL OR expires_at <= now())`);
    if (query.cursor) {
      const c = decodeCursor(query.cursor, 'suppression-rules');
      where.push(`(created_at, id) < (${p(c.value)}::timestamptz, ${p(c.id)}::uuid)`);
    }
    const rows: RuleRow[] = await this.dataSource.query(
      `SELECT * FROM triage.suppression_rules ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY created_at DESC, id DESC LIMIT ${p(query.limit + 1)}`,
      params,
    );
    const { page, nextCursor } = pageOf(rows, query.limit, (last) => ({ sort: 'suppression-rules', value: last.created_at.toISOString(), id: last.id }));
    return { items: page.map((r) => toView(r)), nextCursor };
  }

  @Get(':ruleId')
  @Permit('triage-rules.read')
  @ApiOperation({ summary: 'One suppression rule and what it held back', operationId: 'getSuppressionRule' })
  @ApiJsonResponse(200, SuppressionRuleView, 'The rule')
  @ApiProblems(400, 404, 503)
  async get(@Param('ruleId', new ParseUUIDPipe()) ruleId: string) {
    const [row]: RuleRow[] = await this.dataSource.query(`SELECT * FROM triage.suppression_rules WHERE id = $1`, [ruleId]);
    if (!row) throw Problem.notFound(`Suppression rule ${ruleId}`);
    return toView(row);
  }

  @Post(':ruleId/revoke')
  @Permit('triage-rules.write')
  @HttpCode(200)
  @ApiOperation({ summary: 'End a suppression rule now (alerts it already held back stay suppressed)', operationId: 'revokeSuppressionRule' })
  @ApiJsonBody(Revoke)
  @ApiJsonResponse(200, SuppressionRuleView, 'The revoked rule')
  @ApiProblems(400, 404, 503)
  async revoke(@Param('ruleId', new ParseUUIDPipe()) ruleId: string, @Body(new ZodPipe(Revoke)) _body: z.infer<typeof Revoke>, @Caller() caller: Principal) {
    const [row]: RuleRow[] = await this.dataSource.transaction((manager) => manager.query(
      `WITH revoked AS (UPDATE triage.suppression_rules SET revoked_at = COALESCE(revoked_at, now()), revoked_by = COALESCE(revoked_by, $2) WHERE id = $1 RETURNING *)
       SELECT * FROM revoked`,
      [ruleId, caller.subject],
    ));
    if (!row) throw Problem.notFound(`Suppression rule ${ruleId}`);
    return toView(row);
  }
}
