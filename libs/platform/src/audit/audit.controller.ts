import { Controller, Get, Query, Res, type Type } from '@nestjs/common';
import { ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { z } from 'zod';
import { Permit } from '../auth/decorators';
import { ApiJsonResponse, ApiProblems } from '../http/openapi';
import { Problem } from '../http/problem';
import { AuditTrail } from './audit-trail';

const AuditRecord = z
  .object({
    seq: z.int().positive(),
    recordedAt: z.string(),
    prevHash: z.string().nullable(),
    hash: z.string(),
    record: z.record(z.string(), z.unknown()).describe('who, what, when, outcome, request and trace id, source address'),
  })
  .meta({ id: 'AuditRecord' });
const AuditRecordPage = z
  .object({ items: z.array(AuditRecord), nextCursor: z.string().nullable().describe('pass as ?after= for the next page; null at the head') })
  .meta({ id: 'AuditRecordPage' });
const AuditVerification = z
  .object({
    ok: z.boolean(),
    service: z.string(),
    records: z.int().nonnegative().describe('records checked (up to the first mismatch)'),
    headHash: z.string().nullable().describe('the hash of the last good record: keep it elsewhere to detect a truncated tail'),
    firstMismatch: z.object({ seq: z.int(), reason: z.string() }).optional(),
  })
  .meta({ id: 'AuditVerification' });

const EXPORT_PAGE = 1000;

/**
 * The audit trail's routes, under the service's own name (`/v1/audit/triage/records`): every
 * service has a trail, and one base URL (the Ingress) must tell them apart by path.
 */
export function auditController(service: string): Type<unknown> {
  @ApiTags('audit')
  @Controller(`v1/audit/${service}`)
  class AuditController {
    constructor(private readonly audit: AuditTrail) {}

    @Get('records')
    @Permit('audit.read')
    @ApiOperation({
      summary: "This service's audit records in chain order; `format=jsonl` streams them all from `after` as JSON Lines for a SIEM",
      operationId: 'listAuditRecords',
    })
    @ApiQuery({ name: 'after', required: false, schema: { type: 'string', pattern: '^[0-9]{1,15}$' }, description: 'sequence number to start after' })
    @ApiQuery({ name: 'limit', required: false, schema: { type: 'integer', minimum: 1, maximum: 1000 } })
    @ApiQuery({ name: 'format', required: false, schema: { type: 'string', enum: ['json', 'jsonl'] } })
    @ApiJsonResponse(200, AuditRecordPage, 'A page of records (or, with format=jsonl, every record as one JSON object per line)', {
      'application/x-ndjson': { schema: { type: 'string', description: 'with format=jsonl: one AuditRecord per line' } },
    })
    @ApiProblems(400, 503)
    async records(
      @Res({ passthrough: true }) reply: FastifyReply,
      @Query('after') afterText?: string,
      @Query('limit') limitText?: string,
      @Query('format') format?: string,
    ) {
      const errors = [];
      const after = afterText === undefined ? 0 : /^\d{1,15}$/.test(afterText) ? Number(afterText) : NaN;
      if (Number.isNaN(after)) errors.push({ pointer: '/after', detail: 'must be a sequence number' });
      const limit = limitText === undefined ? 100 : /^\d{1,4}$/.test(limitText) ? Number(limitText) : NaN;
      if (Number.isNaN(limit) || limit < 1 || limit > 1000) errors.push({ pointer: '/limit', detail: 'must be an integer from 1 to 1000' });
      if (format !== undefined && format !== 'json' && format !== 'jsonl') errors.push({ pointer: '/format', detail: 'must be json or jsonl' });
      if (errors.length) throw Problem.validation(errors);
      if (format === 'jsonl') {
        const lines: string[] = [];
        for (let from = after; ; ) {
          const page = await this.audit.page(from, EXPORT_PAGE);
          for (const row of page) lines.push(JSON.stringify(row));
          if (page.length < EXPORT_PAGE) break;
          from = page[page.length - 1].seq;
        }
        reply.header('content-type', 'application/x-ndjson; charset=utf-8');
        return lines.length ? `${lines.join('\n')}\n` : '';
      }
      const items = await this.audit.page(after, limit);
      return { items, nextCursor: items.length === limit ? String(items[items.length - 1].seq) : null };
    }

    @Get('verify')
    @Permit('audit.read')
    @ApiOperation({ summary: 'Recompute the hash chain and name the first record that no longer matches', operationId: 'verifyAuditTrail' })
    @ApiJsonResponse(200, AuditVerification, 'The verification')
    @ApiProblems(503)
    verify() {
      return this.audit.verify();
    }
  }
  return AuditController;
}
