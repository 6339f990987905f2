import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put, Query, Req, Res } from '@nestjs/common';
import { ApiBody, ApiConsumes, ApiOperation, ApiProduces, ApiQuery, ApiResponse, ApiTags } from '@nestjs/swagger';
import { PlaybookDefinition, PlaybookList, PlaybookVersionList, PlaybookView } from '@vigil/contracts';
import { ApiJsonResponse, ApiProblems, Caller, Permit, Problem, ZodPipe, type Principal } from '@vigil/platform';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { DataSource } from 'typeorm';
import { z } from 'zod';
import { checkPlaybook, formatPlaybook, parsePlaybook, type Parsed } from '../library/playbook-rules';
import { latestPlaybooks, playbookVersion, playbookVersions, publishPlaybook, toPlaybookView } from '../library/playbook-store';
import { YAML_TYPES } from './yaml-body';

const KEY = /^[a-z0-9][a-z0-9-]{0,62}$/;
/** Versions are PostgreSQL integers. */
const MAX_VERSION = 2_147_483_647;
const ExportQuery = z.strictObject({
  format: z.enum(['yaml', 'json']).default('yaml'),
  version: z.coerce.number().int().positive().max(MAX_VERSION).optional(),
});

/**
 * A body that breaks the definition's schema is a 400; a well-formed one that breaks its rules (a
 * cycle, a step that does not exist) is a 422. An imported file is a string to the API, so whatever
 * is wrong inside it is a 422.
 */
const invalid = (parsed: Extract<Parsed, { ok: false }>, imported = false) =>
  new Problem(imported || parsed.broke === 'rules' ? 422 : 400, 'Invalid playbook', parsed.detail, { errors: parsed.errors });


/**
 * Playbooks: stored and versioned. Creating one publishes version 1; changing it publishes the next
 * version (published versions never change); incidents keep the version they started with.
 */
@ApiTags('playbooks')
@Controller('v1/playbooks')
export class PlaybooksController {
  constructor(private readonly dataSource: DataSource) {}

  private keyOr404(key: string): string {
    if (!KEY.test(key)) throw Problem.notFound(`Playbook ${key}`);
    return key;
  }

  @Get()
  @Permit('playbooks.read')
  @ApiOperation({ summary: 'Every playbook at its newest version (retired ones flagged)', operationId: 'listPlaybooks' })
  @ApiJsonResponse(200, PlaybookList, 'The playbooks, by key')
  @ApiProblems(503)
  async list() {
    return { items: (await latestPlaybooks(this.dataSource.manager, true)).map(toPlaybookView) };
  }

  @Post()
  @Permit('playbooks.write')
  @ApiOperation({
    summary: 'Create a playbook (publishes version 1)',
    description:
      'A body that breaks the schema is a 400; one that breaks the rules is a 422 naming each problem with a JSON pointer: unknown roles, duplicate step keys, a dependsOn or gate on a missing step, ' +
      'and cycles through dependsOn and gates (naming the steps of the cycle). A key that exists is a 409 (publish a new version with PUT).',
    operationId: 'createPlaybook',
  })
  @ApiBody({ required: true, schema: { $ref: '#/components/schemas/PlaybookDefinition' } })
  @ApiJsonResponse(201, PlaybookView, 'The playbook, version 1')
  @ApiProblems(400, 409, 422, 503)
  async create(@Body() body: unknown, @Caller() caller: Principal) {
    const parsed = checkPlaybook(body);
    if (!parsed.ok) throw invalid(parsed);
    const row = await this.dataSource.transaction((manager) => publishPlaybook(manager, parsed.playbook, caller.subject, 'create'));
    return toPlaybookView(row);
  }

  @Post('import')
  @HttpCode(200)
  @Permit('playbooks.write')
  @ApiOperation({
    summary: 'Import a playbook from YAML or JSON (as exported): a new key is created, an existing one gets its next version',
    description: 'Send the file as application/yaml (or text/yaml) or application/json. Validated as on create; whatever is wrong in the file is a 422 naming it.',
    operationId: 'importPlaybook',
  })
  @ApiConsumes('application/yaml', 'application/json')
  @ApiBody({ required: true, description: 'The playbook file', schema: { type: 'string' } })
  @ApiJsonResponse(200, PlaybookView, 'The playbook at its newly published version')
  @ApiProblems(422, 503)
  @ApiResponse({ status: 415, description: 'The body is neither YAML nor JSON.', content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/ProblemDetails' } } } })
  async import(@Req() request: FastifyRequest, @Body() body: unknown, @Caller() caller: Principal) {
    const type = (request.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
    let parsed: Parsed;
    if (YAML_TYPES.includes(type)) parsed = parsePlaybook(typeof body === 'string' ? body : '', 'yaml');
    else if (type === 'application/json') parsed = checkPlaybook(body);
    else throw new Problem(415, 'Unsupported media type', 'Send the playbook as application/yaml or application/json.');
    if (!parsed.ok) throw invalid(parsed, true);
    const row = await this.dataSource.transaction((manager) => publishPlaybook(manager, parsed.playbook, caller.subject, 'upsert'));
    return toPlaybookView(row);
  }

  @Get(':key')
  @Permit('playbooks.read')
  @ApiOperation({ summary: 'A playbook at its newest version', operationId: 'getPlaybook' })
  @ApiJsonResponse(200, PlaybookView, 'The playbook')
  @ApiProblems(404, 503)
  async get(@Param('key') key: string) {
    const row = await playbookVersion(this.dataSource.manager, this.keyOr404(key));
    if (!row) throw Problem.notFound(`Playbook ${key}`);
    return toPlaybookView(row);
  }

  @Put(':key')
  @Permit('playbooks.write')
  @ApiOperation({
    summary: 'Publish the next version of a playbook',
    description: 'The body is the whole playbook (its key must be the one in the path). Incidents that follow an older version keep it until an IR manager moves them.',
    operationId: 'publishPlaybookVersion',
  })
  @ApiBody({ required: true, schema: { $ref: '#/components/schemas/PlaybookDefinition' } })
  @ApiJsonResponse(200, PlaybookView, 'The playbook at its new version')
  @ApiProblems(400, 404, 422, 503)
  async update(@Param('key') key: string, @Body() body: unknown, @Caller() caller: Principal) {
    this.keyOr404(key);
    const parsed = checkPlaybook(body);
    if (!parsed.ok) throw invalid(parsed);
    if (parsed.playbook.key !== key) throw Problem.validation([{ pointer: '/key', detail: `must be ${key}, the playbook in the path` }]);
    const row = await this.dataSource.transaction((manager) => publishPlaybook(manager, parsed.playbook, caller.subject, 'update'));
    return toPlaybookView(row);
  }

  @Delete(':key')
  @HttpCode(204)
  @Permit('playbooks.write')
  @ApiOperation({
    summary: 'Retire a playbook: it is no longer chosen for new incidents',
    description: 'Its versions stay (incidents that follow it keep it); publishing a new version brings it back. The default playbook cannot be retired (409).',
    operationId: 'retirePlaybook',
  })
  @ApiResponse({ status: 204, description: 'Retired' })
  @ApiProblems(404, 409, 503)
  async retire(@Param('key') key: string) {
    this.keyOr404(key);
    await this.dataSource.transaction(async (manager) => {
      const row = await playbookVersion(manager, key);
      if (!row) throw Problem.notFound(`Playbook ${key}`);
      if (row.definition.default) throw new Problem(409, 'Default playbook', `${key} is the default playbook: make another playbook the default before retiring it.`);
      await manager.query(`UPDATE tasking.playbooks SET retired = true WHERE key = $1`, [key]);
    });
  }

  @Get(':key/versions')
  @Permit('playbooks.read')
  @ApiOperation({ summary: 'The published versions of a playbook, oldest first', operationId: 'listPlaybookVersions' })
  @ApiJsonResponse(200, PlaybookVersionList, 'The versions')
  @ApiProblems(404, 503)
  async versions(@Param('key') key: string) {
    const rows = await playbookVersions(this.dataSource.manager, this.keyOr404(key));
    if (!rows.length) throw Problem.notFound(`Playbook ${key}`);
    return { items: rows.map((r) => ({ version: r.version, publishedAt: r.published_at.toISOString(), publishedBy: r.published_by, steps: r.definition.steps.length })) };
  }

  @Get(':key/versions/:version')
  @Permit('playbooks.read')
  @ApiOperation({ summary: 'One published version of a playbook', operationId: 'getPlaybookVersion' })
  @ApiJsonResponse(200, PlaybookView, 'The version')
  @ApiProblems(404, 503)
  async version(@Param('key') key: string, @Param('version') version: string) {
    const n = Number(version);
    const row = Number.isInteger(n) && n > 0 && n <= MAX_VERSION ? await playbookVersion(this.dataSource.manager, this.keyOr404(key), n) : null;
    if (!row) throw Problem.notFound(`Version ${version} of playbook ${key}`);
    return toPlaybookView(row);
  }

  @Get(':key/export')
  @Permit('playbooks.read')
  @ApiOperation({ summary: 'A playbook as a file to keep in git (YAML by default, or JSON), as import takes it back', operationId: 'exportPlaybook' })
  @ApiQuery({ name: 'format', required: false, enum: ['yaml', 'json'] })
  @ApiQuery({ name: 'version', required: false, type: Number, description: 'the newest when absent' })
  @ApiProduces('application/yaml', 'application/json')
  @ApiResponse({ status: 200, description: 'The playbook definition' })
  @ApiProblems(400, 404, 503)
  async export(@Param('key') key: string, @Query(new ZodPipe(ExportQuery, 'query')) query: z.infer<typeof ExportQuery>, @Res({ passthrough: true }) reply: FastifyReply) {
    const row = await playbookVersion(this.dataSource.manager, this.keyOr404(key), query.version);
    if (!row) throw Problem.notFound(query.version ? `Version ${query.version} of playbook ${key}` : `Playbook ${key}`);
    const definition = PlaybookDefinition.parse(row.definition);
    void reply
      .header('content-type', query.format === 'json' ? 'application/json; charset=utf-8' : 'application/yaml; charset=utf-8')
      .header('content-disposition', `attachment; filename="${key}.${query.format}"`);
    return formatPlaybook(definition, query.format);
  }
}
