import { Controller, Get, Param, ParseUUIDPipe, Query } from '@nestjs/common';
import { ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { AssetCriticality, AssetPage, AssetView } from '@vigil/contracts';
import { ApiJsonResponse, ApiProblems, decodeCursor, pageOf, Permit, Problem, ZodPipe } from '@vigil/platform';
import { DataSource } from 'typeorm';
import { z } from 'zod';
import { ASSET_COLUMNS, toAssetView, type AssetRow } from '../asset-rows';
import { normaliseHostname, normaliseIp } from '../normalise';

const ListQuery = z.strictObject({
  criticality: AssetCriticality.optional(),
  q: z.string().trim().min(1).max(253).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(200).optional(),
});

// created_at keeps microseconds (rows imported in one statement share now()); a cursor rounded to
// JavaScript's milliseconds would skip rows, so the cursor carries PostgreSQL's own value.
const CURSOR_AT = `to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

const escapeLike = (s: string) => s.replace(/[\\%_]/g, '\\$&');

@ApiTags('assets')
@Controller('v1/assets')
export class ListAssetsController {
  constructor(private readonly dataSource: DataSource) {}

  @Get()
  @Permit('assets.read')
  @ApiOperation({ summary: 'List registered assets, newest first, by cursor', operationId: 'listAssets' })
  @ApiQuery({ name: 'criticality', required: false, enum: AssetCriticality.options })
  @ApiQuery({ name: 'q', required: false, type: String, description: 'part of the identifier, name, a hostname or an IP address, regardless of case' })
  @ApiQuery({ name: 'limit', required: false, schema: { type: 'integer', minimum: 1, maximum: 200, default: 50 } })
  @ApiQuery({ name: 'cursor', required: false, type: String })
  @ApiJsonResponse(200, AssetPage, 'A page of assets')
  @ApiProblems(400, 503)
  async list(@Query(new ZodPipe(ListQuery, 'query')) query: z.infer<typeof ListQuery>) {
    const params: unknown[] = [];
    const param = (value: unknown) => `$${params.push(value)}`;
    const where: string[] = [];
    if (query.criticality) where.push(`criticality = ${param(query.criticality)}`);
    if (query.q) {
      const like = param(`%${escapeLike(query.q)}%`);
      const matches = [
        `identifier ILIKE ${like}`,
        `name ILIKE ${like}`,
        `EXISTS (SELECT 1 FROM unnest(hostnames) AS h WHERE h ILIKE ${like})`,
        `EXISTS (SELECT 1 FROM unnest(ips) AS ip WHERE ip ILIKE ${like})`,
      ];
      // Other spellings of a stored host or address (`WEB-01.`, `2001:DB8:0::1`) find it too.
      const hostname = normaliseHostname(query.q);
      if (hostname) matches.push(`hostnames @> ARRAY[${param(hostname)}]::text[]`);
      const ip = normaliseIp(query.q);
      if (ip) matches.push(`ips @> ARRAY[${param(ip)}]::text[]`);
      where.push(`(${matches.join(' OR ')})`);
    }
    if (query.cursor) {
      const c = decodeCursor(query.cursor, 'assets');
      where.push(`(created_at, id) < (${param(c.value)}::timestamptz, ${param(c.id)}::uuid)`);
    }
    const rows: Array<AssetRow & { cursor_at: string }> = await this.dataSource.query(
      `SELECT ${ASSET_COLUMNS}, ${CURSOR_AT} AS cursor_at
         FROM triage.assets
        ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
        ORDER BY created_at DESC, id DESC
        LIMIT ${param(query.limit + 1)}`,
      params,
    );
    const { page, nextCursor } = pageOf(rows, query.limit, (last) => ({ sort: 'assets', value: last.cursor_at, id: last.id }));
    return { items: page.map(toAssetView), nextCursor };
  }

  @Get(':assetId')
  @Permit('assets.read')
  @ApiOperation({ summary: 'One registered asset', operationId: 'getAsset' })
  @ApiJsonResponse(200, AssetView, 'The asset')
  @ApiProblems(400, 404, 503)
  async get(@Param('assetId', new ParseUUIDPipe()) assetId: string) {
    const [row]: AssetRow[] = await this.dataSource.query(`SELECT ${ASSET_COLUMNS} FROM triage.assets WHERE id = $1`, [assetId]);
    if (!row) throw Problem.notFound(`Asset ${assetId}`);
    return toAssetView(row);
  }
}
