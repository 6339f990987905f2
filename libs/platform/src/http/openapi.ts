import { applyDecorators, type INestApplication } from '@nestjs/common';
import { ApiBody, ApiResponse, DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import { ProblemDetails } from '@vigil/contracts';
import { z } from 'zod';

/**
 * Bridges contract schemas (zod) into the OpenAPI document, so the schema that validates a
 * request is also the one documented: decorators reference components by id, and the document
 * is completed with the JSON Schema generated from zod (draft 2020-12, as OpenAPI 3.1 uses).
 */
const registry = new Map<string, { schema: z.ZodType; io: 'input' | 'output' }>();

function ref(schema: z.ZodType, io: 'input' | 'output'): Record<string, unknown> {
  const id = (z.globalRegistry.get(schema) as { id?: string } | undefined)?.id;
  if (!id) {
    const { $schema: _ignored, ...inline } = z.toJSONSchema(schema, { target: 'draft-2020-12', io }) as Record<string, unknown>;
    return rewriteRefs(inline);
  }
  if (!registry.has(id)) registry.set(id, { schema, io });
  return { $ref: `#/components/schemas/${id}` };
}

function rewriteRefs<T>(value: T): T {
  return JSON.parse(JSON.stringify(value).replace(/"#\/\$defs\//g, '"#/components/schemas/')) as T;
}

export const ApiJsonBody = (schema: z.ZodType, description?: string) =>
  ApiBody({ description, required: true, schema: ref(schema, 'input') as never });

export const ApiJsonResponse = (status: number, schema: z.ZodType, description: string) =>
  ApiResponse({ status, description, content: { 'application/json': { schema: ref(schema, 'output') as never } } });

const PROBLEM_DESCRIPTIONS: Record<number, string> = {
  400: 'The request is invalid; `errors` names each bad field.',
  404: 'No such resource.',
  409: 'The request conflicts with the current state.',
  401: 'No valid access token: the `WWW-Authenticate` header and `detail` say why (missing, expired, wrong issuer or audience, bad signature).',
  403: 'The caller\'s roles do not grant this; `detail` names the permission and the roles that have it.',
  412: 'The resource changed since it was read (If-Match does not match its version); read it again.',
  428: 'The change needs an If-Match header carrying the version (ETag) it was based on.',
  413: 'The body is larger than allowed.',
  415: 'The body is not application/json.',
  503: 'A dependency is unavailable; retry after the Retry-After delay.',
};

export const ApiProblems = (...statuses: number[]) =>
  applyDecorators(
    ...statuses.map((status) =>
      ApiResponse({
        status,
        description: PROBLEM_DESCRIPTIONS[status] ?? 'Problem',
        content: { 'application/problem+json': { schema: ref(ProblemDetails, 'output') as never } },
      }),
    ),
  );

/** Builds the document, upgrades it to OpenAPI 3.1 and serves it at /openapi.json and /docs. */
export function setupOpenApi(app: INestApplication, info: { title: string; description: string; version: string }): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle(info.title)
    .setDescription(info.description)
    .setVersion(info.version)
    .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'an OpenID Connect access token from the organisation\'s identity provider' }, 'bearer')
    .addApiKey({ type: 'apiKey', in: 'header', name: 'X-Vigil-Key', description: 'an intake integration\'s API key (also accepted as `Authorization: Bearer <key>`)' }, 'apiKey')
    .build();
  const document = SwaggerModule.createDocument(app, config);
  const schemas: Record<string, unknown> = { ...(document.components?.schemas ?? {}) };
  for (const [id, { schema, io }] of registry) {
    const json = z.toJSONSchema(schema, { target: 'draft-2020-12', io }) as { $defs?: Record<string, unknown> };
    for (const [name, def] of Object.entries(json.$defs ?? { [id]: json })) {
      schemas[name] ??= rewriteRefs(def);
    }
  }
  const complete = { ...document, openapi: '3.1.0', components: { ...document.components, schemas } } as OpenAPIObject;
  SwaggerModule.setup('docs', app, complete, { jsonDocumentUrl: 'openapi.json', yamlDocumentUrl: 'openapi.yaml', useGlobalPrefix: false });
  return complete;
}
