import { Body, Controller, HttpCode, Param, ParseUUIDPipe, Post, Put } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { AssetView, RegisterAsset } from '@vigil/contracts';
import { ApiJsonBody, ApiJsonResponse, ApiProblems, Permit, Problem, ZodPipe } from '@vigil/platform';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { ASSET_COLUMNS, assetIdOf, isIdentifierTaken, toAssetRecord, toAssetView, type AssetRow } from '../asset-rows';

function identifierTaken(identifier: string, assetId: string | undefined): Problem {
  return new Problem(
    409,
    'Conflict',
    assetId
      ? `The identifier "${identifier}" is already registered to asset ${assetId} (identifiers are unique regardless of case).`
      : `The identifier "${identifier}" is already registered (identifiers are unique regardless of case).`,
    { identifier, ...(assetId ? { assetId } : {}) },
  );
}

@ApiTags('assets')
@Controller('v1/assets')
export class RegisterAssetController {
  constructor(private readonly dataSource: DataSource) {}

  @Post()
  @Permit('assets.write')
  @HttpCode(201)
  @ApiOperation({
    summary: 'Register an asset with its criticality and data classification',
    description: 'Hostnames are stored lower-cased without a trailing dot, IP addresses in canonical form; alerts naming either are matched to the asset.',
    operationId: 'registerAsset',
  })
  @ApiJsonBody(RegisterAsset)
  @ApiJsonResponse(201, AssetView, 'The registered asset')
  @ApiProblems(400, 409, 415, 503)
  async register(@Body(new ZodPipe(RegisterAsset)) body: RegisterAsset) {
    const a = toAssetRecord(body);
    // DO NOTHING rather than a pre-check: two registrations racing for one identifier get one 409.
    // Writes go through a transaction so that the change's audit record commits with it.
    const [row]: AssetRow[] = await this.dataSource.transaction((tx) => tx.query(
      `INSERT INTO triage.assets (id, identifier, name, hostnames, ips, owner, business_service, criticality, data_classification, recovery_time_objective_minutes)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
       ON CONFLICT ((lower(identifier))) DO NOTHING
       RETURNING ${ASSET_COLUMNS}`,
      [randomUUID(), a.identifier, a.name, a.hostnames, a.ips, a.owner, a.businessService, a.criticality, a.dataClassification, a.recoveryTimeObjectiveMinutes],
    ));
    if (!row) throw identifierTaken(a.identifier, await assetIdOf(this.dataSource, a.identifier));
    return toAssetView(row);
  }

  @Put(':assetId')
  @Permit('assets.write')
  @ApiOperation({ summary: 'Replace an asset: fields left out are cleared', operationId: 'replaceAsset' })
  @ApiJsonBody(RegisterAsset)
  @ApiJsonResponse(200, AssetView, 'The asset as it now is')
  @ApiProblems(400, 404, 409, 415, 503)
  async replace(@Param('assetId', new ParseUUIDPipe()) assetId: string, @Body(new ZodPipe(RegisterAsset)) body: RegisterAsset) {
    const a = toAssetRecord(body);
    let rows: AssetRow[];
    try {
      // In a CTE so that the driver answers with the rows, not [rows, count] as for a bare UPDATE.
      rows = await this.dataSource.transaction((tx) => tx.query(
        `WITH replaced AS (
           UPDATE triage.assets
              SET identifier = $2, name = $3, hostnames = $4, ips = $5, owner = $6, business_service = $7,
                  criticality = $8, data_classification = $9, recovery_time_objective_minutes = $10, updated_at = now()
            WHERE id = $1
        RETURNING ${ASSET_COLUMNS})
         SELECT * FROM replaced`,
        [assetId, a.identifier, a.name, a.hostnames, a.ips, a.owner, a.businessService, a.criticality, a.dataClassification, a.recoveryTimeObjectiveMinutes],
      ));
    } catch (error) {
      if (!isIdentifierTaken(error)) throw error;
      throw identifierTaken(a.identifier, await assetIdOf(this.dataSource, a.identifier, assetId));
    }
    if (!rows[0]) throw Problem.notFound(`Asset ${assetId}`);
    return toAssetView(rows[0]);
  }
}
