import { Body, Controller, Delete, Get, HttpCode, Param, Put } from '@nestjs/common';
import { ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { AudienceKey, MessagePurpose, SaveTemplate, TemplateList, TemplateView, TemplateVocabulary } from '@vigil/contracts';
import { ApiJsonBody, ApiJsonResponse, ApiProblems, Caller, Permit, ZodPipe, type Principal } from '@vigil/platform';
import { DataSource } from 'typeorm';
import { ALLOWED_FILTERS, ALLOWED_TAGS, TEMPLATE_LIMITS } from '../template-engine';
import { assertTemplateUsable, effectiveTemplate } from '../template-store';
import { VIEW_FIELDS } from '../template-view';

/**
 * One template per audience and purpose, in strict LiquidJS over an allow-listed view of the
 * incident. A template is checked when it is saved: an unknown field, a filter or tag outside the
 * safe list, anything that would reach beyond the view, is a 400 naming line and column.
 */
@ApiTags('templates')
@Controller('v1/templates')
export class TemplatesController {
  constructor(private readonly dataSource: DataSource) {}

  @Get()
  @Permit('templates.read')
  @ApiOperation({ summary: 'The template in force for every audience and purpose (saved or shipped default)', operationId: 'listTemplates' })
  @ApiJsonResponse(200, TemplateList, 'The templates')
  @ApiProblems(503)
  async list() {
    const items: TemplateView[] = [];
    for (const audience of AudienceKey.options) for (const purpose of MessagePurpose.options) items.push(await effectiveTemplate(this.dataSource, audience, purpose));
    return { items };
  }

  @Get('variables')
  @Permit('templates.read')
  @ApiOperation({ summary: 'What templates may use: fields of the view, filters, tags and limits', operationId: 'getTemplateVocabulary' })
  @ApiJsonResponse(200, TemplateVocabulary, 'The vocabulary')
  vocabulary() {
    return {
      variables: Object.entries(VIEW_FIELDS).map(([path, [type, description]]) => ({ path, type, description })),
      filters: [...ALLOWED_FILTERS],
      tags: ALLOWED_TAGS.filter((t) => t !== '#'),
      limits: { parseLimit: TEMPLATE_LIMITS.parseLimit, renderLimitMs: TEMPLATE_LIMITS.renderLimitMs, memoryLimit: TEMPLATE_LIMITS.memoryLimit },
    };
  }

  @Get(':audience/:purpose')
  @Permit('templates.read')
  @ApiParam({ name: 'audience', enum: AudienceKey.options })
  @ApiParam({ name: 'purpose', enum: MessagePurpose.options })
  @ApiOperation({ summary: 'The template in force for an audience and purpose', operationId: 'getTemplate' })
  @ApiJsonResponse(200, TemplateView, 'The template')
  @ApiProblems(400, 503)
  async get(@Param('audience', new ZodPipe(AudienceKey, 'parameter')) audience: AudienceKey, @Param('purpose', new ZodPipe(MessagePurpose, 'parameter')) purpose: MessagePurpose) {
    return effectiveTemplate(this.dataSource, audience, purpose);
  }

  @Put(':audience/:purpose')
  @Permit('templates.write')
  @ApiParam({ name: 'audience', enum: AudienceKey.options })
  @ApiParam({ name: 'purpose', enum: MessagePurpose.options })
  @ApiOperation({
    summary: 'Save a template (checked first: unknown fields, unsafe filters or tags are a 400)',
    description: 'Fields, filters and tags templates may use: GET /v1/templates/variables. Try it against a live incident with POST /v1/templates/preview.',
    operationId: 'saveTemplate',
  })
  @ApiJsonBody(SaveTemplate)
  @ApiJsonResponse(200, TemplateView, 'The saved template')
  @ApiProblems(400, 503)
  async save(
    @Param('audience', new ZodPipe(AudienceKey, 'parameter')) audience: AudienceKey,
    @Param('purpose', new ZodPipe(MessagePurpose, 'parameter')) purpose: MessagePurpose,
    @Body(new ZodPipe(SaveTemplate)) body: SaveTemplate,
    @Caller() caller: Principal,
  ) {
    assertTemplateUsable(body);
    await this.dataSource.transaction((manager) =>
      manager.query(
        `INSERT INTO comms.templates (audience, purpose, subject, body, version, updated_at, updated_by) VALUES ($1, $2, $3, $4, 1, now(), $5)
         ON CONFLICT (audience, purpose) DO UPDATE SET subject = EXCLUDED.subject, body = EXCLUDED.body, version = comms.templates.version + 1,
           updated_at = now(), updated_by = EXCLUDED.updated_by`,
        [audience, purpose, body.subject, body.body, caller.subject],
      ),
    );
    return effectiveTemplate(this.dataSource, audience, purpose);
  }

  @Delete(':audience/:purpose')
  @Permit('templates.write')
  @HttpCode(204)
  @ApiParam({ name: 'audience', enum: AudienceKey.options })
  @ApiParam({ name: 'purpose', enum: MessagePurpose.options })
  @ApiOperation({ summary: 'Go back to the shipped default template', operationId: 'resetTemplate' })
  @ApiProblems(400, 503)
  async reset(@Param('audience', new ZodPipe(AudienceKey, 'parameter')) audience: AudienceKey, @Param('purpose', new ZodPipe(MessagePurpose, 'parameter')) purpose: MessagePurpose) {
    await this.dataSource.transaction((manager) => manager.query(`DELETE FROM comms.templates WHERE audience = $1 AND purpose = $2`, [audience, purpose]));
  }
}
