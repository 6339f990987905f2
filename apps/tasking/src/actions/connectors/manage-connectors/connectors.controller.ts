import { Body, Controller, Delete, Get, HttpCode, Param, ParseUUIDPipe, Post, Put } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { ConnectorInput, ConnectorList, ConnectorUpdate, ConnectorView } from '@vigil/contracts';
import { ApiJsonBody, ApiJsonResponse, ApiProblems, auditTouch, Caller, digest, Permit, Problem, ZodPipe, type Principal } from '@vigil/platform';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { connectorErrors, loadConnector, toConnectorView, type ConnectorRow } from '../connector-store';

/**
 * Connectors response actions call: an EDR, a firewall manager, an IdP or any HTTP endpoint,
 * with the key their requests are signed with (write-only: never returned).
 */
@ApiTags('response actions')
@Controller('v1/action-connectors')
export class ConnectorsController {
  constructor(private readonly dataSource: DataSource) {}

  private async conflictOnName(name: string, except: string | null): Promise<void> {
    const taken: unknown[] = await this.dataSource.query(`SELECT 1 FROM tasking.action_connectors WHERE name = $1 AND id IS DISTINCT FROM $2`, [name, except]);
    if (taken.length) throw Problem.validation([{ pointer: '/name', detail: `a connector named ${name} exists` }]);
  }

  @Post()
  @Permit('connectors.write')
  @ApiOperation({ summary: 'Configure a connector (its signing key is stored, never shown)', operationId: 'createActionConnector' })
  @ApiJsonBody(ConnectorInput)
  @ApiJsonResponse(201, ConnectorView, 'The connector')
  @ApiProblems(400, 503)
  async create(@Body(new ZodPipe(ConnectorInput)) body: ConnectorInput, @Caller() caller: Principal) {
    const errors = connectorErrors(body);
    if (errors.length) throw Problem.validation(errors);
    await this.conflictOnName(body.name, null);
    const row = await this.dataSource.transaction(async (m) => {
      const id = randomUUID();
      await m.query(
        `INSERT INTO tasking.action_connectors (id, name, kind, base_url, secret, timeout_ms, retries, allow_private_network, allow_http, templates, created_at, updated_at, updated_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, now(), now(), $11)`,
        [id, body.name, body.kind, body.baseUrl, body.secret, body.timeoutMs, body.retries, body.allowPrivateNetwork, body.allowHttp, JSON.stringify(body.templates), caller.subject],
      );
      const created = (await loadConnector(m, id)) as ConnectorRow;
      auditTouch({ ids: { connectorId: id }, after: toConnectorView(created) }, digest);
      return created;
    });
    return toConnectorView(row);
  }

  @Get()
  @Permit('connectors.read')
  @ApiOperation({ summary: 'Connectors, by name (never their signing keys)', operationId: 'listActionConnectors' })
  @ApiJsonResponse(200, ConnectorList, 'The connectors')
  @ApiProblems(503)
  async list() {
    const rows: ConnectorRow[] = await this.dataSource.query(`SELECT * FROM tasking.action_connectors WHERE archived_at IS NULL ORDER BY name`);
    return { items: rows.map(toConnectorView) };
  }

  @Get(':connectorId')
  @Permit('connectors.read')
  @ApiOperation({ summary: 'One connector and the request templates in force', operationId: 'getActionConnector' })
  @ApiJsonResponse(200, ConnectorView, 'The connector')
  @ApiProblems(400, 404, 503)
  async get(@Param('connectorId', new ParseUUIDPipe()) connectorId: string) {
    const row = await loadConnector(this.dataSource, connectorId);
    if (!row) throw Problem.notFound(`Connector ${connectorId}`);
    return toConnectorView(row);
  }

  @Put(':connectorId')
  @Permit('connectors.write')
  @ApiOperation({ summary: 'Change a connector; a new signing key replaces the old one, none given keeps it. Actions already requested keep the request they showed.', operationId: 'updateActionConnector' })
  @ApiJsonBody(ConnectorUpdate)
  @ApiJsonResponse(200, ConnectorView, 'The connector')
  @ApiProblems(400, 404, 503)
  async update(@Param('connectorId', new ParseUUIDPipe()) connectorId: string, @Body(new ZodPipe(ConnectorUpdate)) body: ConnectorUpdate, @Caller() caller: Principal) {
    const errors = connectorErrors(body);
    if (errors.length) throw Problem.validation(errors);
    await this.conflictOnName(body.name, connectorId);
    const row = await this.dataSource.transaction(async (m) => {
      const before = await loadConnector(m, connectorId, true);
      if (!before) throw Problem.notFound(`Connector ${connectorId}`);
      auditTouch({ ids: { connectorId }, before: toConnectorView(before) }, digest);
      await m.query(
        `UPDATE tasking.action_connectors SET name = $2, kind = $3, base_url = $4, secret = COALESCE($5, secret), timeout_ms = $6, retries = $7,
           allow_private_network = $8, allow_http = $9, templates = $10, updated_at = now(), updated_by = $11 WHERE id = $1`,
        [connectorId, body.name, body.kind, body.baseUrl, body.secret ?? null, body.timeoutMs, body.retries, body.allowPrivateNetwork, body.allowHttp, JSON.stringify(body.templates), caller.subject],
      );
      const after = (await loadConnector(m, connectorId)) as ConnectorRow;
      // The key itself never goes into the audit record: only whether it was rotated.
      auditTouch({ after: { ...toConnectorView(after), secretRotated: body.secret !== undefined } }, digest);
      return after;
    });
    return toConnectorView(row);
  }

  @Delete(':connectorId')
  @Permit('connectors.write')
  @HttpCode(204)
  @ApiOperation({ summary: 'Remove a connector: no new action uses it (its past actions stay on record)', operationId: 'archiveActionConnector' })
  @ApiProblems(400, 404, 503)
  async archive(@Param('connectorId', new ParseUUIDPipe()) connectorId: string) {
    await this.dataSource.transaction(async (m) => {
      const before = await loadConnector(m, connectorId, true);
      if (!before) throw Problem.notFound(`Connector ${connectorId}`);
      auditTouch({ ids: { connectorId }, before: toConnectorView(before) }, digest);
      await m.query(`UPDATE tasking.action_connectors SET archived_at = now() WHERE id = $1`, [connectorId]);
    });
  }
}
