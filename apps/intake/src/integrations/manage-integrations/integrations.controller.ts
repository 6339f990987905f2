import { Body, Controller, Delete, Get, HttpCode, Param, ParseUUIDPipe, Post } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiJsonBody, ApiJsonResponse, ApiProblems, Permit, ZodPipe } from '@vigil/platform';
import { CreateIntegration, IntegrationCreated, IntegrationList, IntegrationView } from '../integration-kinds';
import { IntegrationRegistry, sharedNamespaceName, type Integration } from '../integration-registry';

const view = (i: Integration) => ({
  integrationId: i.id,
  name: i.name,
  kind: i.kind,
  keyPrefix: i.keyPrefix,
  rateLimitPerSecond: i.rateLimitPerSecond,
  dedupNamespace: sharedNamespaceName(i.dedupNamespace),
  allowIncidentReference: i.allowIncidentReference,
  createdAt: i.createdAt.toISOString(),
  revokedAt: i.revokedAt ? i.revokedAt.toISOString() : null,
});

@ApiTags('integrations')
@Controller('v1/integrations')
export class IntegrationsController {
  constructor(private readonly registry: IntegrationRegistry) {}

  @Post()
  @Permit('integrations.write')
  @HttpCode(201)
  @ApiOperation({ summary: 'Create an integration and its API key (the key is shown once)', operationId: 'createIntegration' })
  @ApiJsonBody(CreateIntegration)
  @ApiJsonResponse(201, IntegrationCreated, 'The integration and its key')
  @ApiProblems(400, 503)
  async create(@Body(new ZodPipe(CreateIntegration)) body: CreateIntegration) {
    const { integration, apiKey } = await this.registry.create(body);
    return { ...view(integration), apiKey };
  }

  @Get()
  @Permit('integrations.read')
  @ApiOperation({ summary: 'List integrations (never their keys)', operationId: 'listIntegrations' })
  @ApiJsonResponse(200, IntegrationList, 'The integrations')
  @ApiProblems(503)
  async list() {
    return { items: (await this.registry.list()).map(view) };
  }

  @Delete(':integrationId')
  @Permit('integrations.write')
  @ApiOperation({ summary: 'Revoke an integration: its key stops working (on every replica within 5 s)', operationId: 'revokeIntegration' })
  @ApiJsonResponse(200, IntegrationView, 'The revoked integration')
  @ApiProblems(400, 404, 503)
  async revoke(@Param('integrationId', new ParseUUIDPipe()) id: string) {
    return view(await this.registry.revoke(id));
  }
}
