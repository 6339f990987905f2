import { Body, Controller, HttpCode, Post, Req } from '@nestjs/common';
import { ApiBody, ApiConsumes, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { AssetImportResult } from '@vigil/contracts';
import { ApiJsonResponse, ApiProblems, Permit, Problem } from '@vigil/platform';
import type { FastifyRequest } from 'fastify';
import { DataSource } from 'typeorm';
import { toAssetRecord, type AssetRecord } from '../asset-rows';
import { ASSET_CSV_COLUMNS, MAX_IMPORT_ROWS, parseAssetsCsv } from './parse-assets-csv';

const EXAMPLE = [
  'identifier,name,hostnames,ips,owner,business_service,recovery_time_objective_minutes,criticality,data_classification',
  'CMDB-00417,Payments API web server,web-01.prod.example.com;web-01,10.0.4.21,payments-team@example.com,Card payments,240,critical,restricted',
  'CMDB-00418,"Build server, shared",build-01,10.0.9.3 10.0.9.4,,Engineering,,medium,internal',
].join('\n');

const isCsv = (contentType: string | undefined) => (contentType ?? '').split(';')[0].trim().toLowerCase() === 'text/csv';

@ApiTags('assets')
@Controller('v1')
export class ImportAssetsController {
  constructor(private readonly dataSource: DataSource) {}

  @Post('assets::import')
  @Permit('assets.write')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Import assets from a CSV export of an inventory or CMDB; each row is registered or replaced by its identifier',
    description:
      `A header row names the columns, in any order and case: ${ASSET_CSV_COLUMNS.join(', ')}. ` +
      'identifier, name, criticality and data_classification are required. hostnames and ips hold several values separated by `;` or spaces. ' +
      `At most ${MAX_IMPORT_ROWS} rows. A bad row is reported in \`failed\` with its line and columns and does not stop the others; ` +
      'the good rows are imported together or not at all.',
    operationId: 'importAssets',
  })
  @ApiConsumes('text/csv')
  @ApiBody({ required: true, description: 'The assets, one per row, after a header row', schema: { type: 'string', example: EXAMPLE } })
  @ApiJsonResponse(200, AssetImportResult, 'How many assets were created and updated, and the rows that were not imported')
  @ApiProblems(400, 413, 422, 503)
  // Not ApiProblems(415): its description says the body must be JSON, which is not so here.
  @ApiResponse({
    status: 415,
    description: 'The body is not text/csv.',
    content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/ProblemDetails' } } },
  })
  async import(@Req() request: FastifyRequest, @Body() body: unknown) {
    // The JSON parser of the platform still takes application/json here: refuse it by name.
    if (!isCsv(request.headers['content-type'])) {
      throw new Problem(415, 'Unsupported media type', 'Send the assets as text/csv, with a header row.');
    }
    const parsed = parseAssetsCsv(typeof body === 'string' ? body : ''); // Fastify leaves an empty body undefined
    // The body is text, as documented; what it says is the register's business: 422 (see Problem.unprocessable).
    if (!parsed.ok) throw new Problem(422, 'Unprocessable content', parsed.detail, parsed.extra);
    const { created, updated } = await this.upsert(parsed.rows.map((r) => toAssetRecord(r.asset)));
    return { created, updated, failed: parsed.failed };
  }

  /**
   * One statement for the whole file, so it is one transaction. The parser has refused repeated
   * identifiers, which ON CONFLICT DO UPDATE could not apply twice in one statement; rows go in
   * identifier order so that two imports touching the same assets lock them in the same order.
   */
  private async upsert(records: AssetRecord[]): Promise<{ created: number; updated: number }> {
    if (records.length === 0) return { created: 0, updated: 0 };
    const rows: Array<{ inserted: boolean }> = await this.dataSource.transaction((tx) => tx.query(
      `INSERT INTO triage.assets AS a (id, identifier, name, hostnames, ips, owner, business_service, recovery_time_objective_minutes, criticality, data_classification)
       SELECT gen_random_uuid(), r.identifier, r.name,
              ARRAY(SELECT jsonb_array_elements_text(r.hostnames)), ARRAY(SELECT jsonb_array_elements_text(r.ips)),
              r.owner, r."businessService", r."recoveryTimeObjectiveMinutes", r.criticality, r."dataClassification"
         FROM jsonb_to_recordset($1::jsonb) AS r(identifier text, name text, hostnames jsonb, ips jsonb, owner text,
                                                  "businessService" text, "recoveryTimeObjectiveMinutes" int, criticality text, "dataClassification" text)
        ORDER BY lower(r.identifier)
       ON CONFLICT ((lower(identifier))) DO UPDATE
          SET identifier = EXCLUDED.identifier, name = EXCLUDED.name, hostnames = EXCLUDED.hostnames, ips = EXCLUDED.ips,
              owner = EXCLUDED.owner, business_service = EXCLUDED.business_service,
              recovery_time_objective_minutes = EXCLUDED.recovery_time_objective_minutes, criticality = EXCLUDED.criticality,
              data_classification = EXCLUDED.data_classification, updated_at = now()
       RETURNING (xmax = 0) AS inserted`,
      [JSON.stringify(records)],
    ));
    const created = rows.filter((r) => r.inserted).length;
    return { created, updated: rows.length - created };
  }
}
