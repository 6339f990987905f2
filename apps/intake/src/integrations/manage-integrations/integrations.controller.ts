import { Body, Controller, Delete, Get, Headers, HttpCode, Inject, Param, ParseUUIDPipe, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiJsonBody, ApiJsonResponse, ApiProblems, CONFIG, Problem, ZodPipe } from '@vigil/platform';
import { timingSafeEqual } from 'node:crypto';
import type { IntakeConfig } from '../../config';
import { CreateIntegration, IntegrationCreated, IntegrationList, IntegrationView } from '../integration-kinds';
import { IntegrationRegistry, type Integration } from '../integration-registry';

const view = (i: Integration) => ({
  integrationId: i.id,
  name: i.name,
  kind: i.kind,
  keyPrefix: i.keyPrefix,
  rateLimitPerSecond: i.rateLimitPerSecond,
  createdAt: i.createdAt.toISOString(),
  revokedAt: i.revokedAt ? i.revokedAt.toISOString() : null,
});

@ApiTags('integrations')
@ApiBearerAuth()
@Controller('v1/integrations')
export class IntegrationsController {
  constructor(
    private readonly registry: IntegrationRegistry,
    @Inject(CONFIG) private readonly config: IntakeConfig,
  ) {}

  private authorize(authorization: string | undefined) {
    const token = /^Bearer (.+)$/i.exec(authorization ?? '')?.[1] ?? '';
    const expected = Buffer.from(this.config.INTAKE_ADMIN_TOKEN);
    const given = Buffer.from(token);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      throw new Problem(401, 'Unauthorized', 'Managing integrations needs the admin token as `Authorization: Bearer <token>`.', {}, { 'www-authenticate': 'Bearer' });
    }
  }

  @Post()
  @HttpCode(201)
  @ApiOperation({ summary: 'Create an integration and its API key (the key is shown once)', operationId: 'createIntegration' })
  @ApiJsonBody(CreateIntegration)
  @ApiJsonResponse(201, IntegrationCreated, 'The integration and its key')
  @ApiProblems(400, 401, 503)
  async create(@Headers('authorization') authorization: string | undefined, @Body(new ZodPipe(CreateIntegration)) body: CreateIntegration) {
    this.authorize(authorization);
    const { integration, apiKey } = await this.registry.create(body);
    return { ...view(integration), apiKey };
  }

  @Get()
  @ApiOperation({ summary: 'List integrations (never their keys)', operationId: 'listIntegrations' })
  @ApiJsonResponse(200, IntegrationList, 'The integrations')
  @ApiProblems(401, 503)
  async list(@Headers('authorization') authorization: string | undefined) {
    this.authorize(authorization);
    return { items: (await this.registry.list()).map(view) };
  }

  @Delete(':integrationId')
  @ApiOperation({ summary: 'Revoke an integration: its key stops working (on every replica within 5 s)', operationId: 'revokeIntegration' })
  @ApiJsonResponse(200, IntegrationView, 'The revoked integration')
  @ApiProblems(400, 401, 404, 503)
  async revoke(@Headers('authorization') authorization: string | undefined, @Param('integrationId', new ParseUUIDPipe()) id: string) {
    this.authorize(authorization);
    return view(await this.registry.revoke(id));
  }
}
