import { applyDecorators, ParseUUIDPipe, RequestMethod, type INestApplication } from '@nestjs/common';
import { HTTP_CODE_METADATA, METHOD_METADATA, PATH_METADATA, ROUTE_ARGS_METADATA } from '@nestjs/common/constants';
import { RouteParamtypes } from '@nestjs/common/enums/route-paramtypes.enum';
import { ModulesContainer } from '@nestjs/core';
import { ApiBody, ApiHeader, ApiResponse, DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import { ProblemDetails } from '@vigil/contracts';
import { z } from 'zod';
import { completeContract, openApiPath, type RouteContract } from './contract';
import { toJsonSchema } from './json-schema';
import { ZodPipe } from './zod';

/**
 * Bridges contract schemas (zod) into the OpenAPI document, so the schema that validates a
 * request is also the one documented: decorators reference components by id, and the document
 * is completed with the JSON Schema generated from zod (draft 2020-12, as OpenAPI 3.1 uses).
 */
const registry = new Map<string, { schema: z.ZodType; io: 'input' | 'output' }>();

function ref(schema: z.ZodType, io: 'input' | 'output'): Record<string, unknown> {
  const id = (z.globalRegistry.get(schema) as { id?: string } | undefined)?.id;
  if (!id) {
    const { $schema: _ignored, ...inline } = toJsonSchema(schema, io);
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

/** A JSON response; `alternatives` documents other media types the same route may answer with. */
export const ApiJsonResponse = (status: number, schema: z.ZodType, description: string, alternatives: Record<string, { schema: Record<string, unknown> }> = {}) =>
  ApiResponse({ status, description, content: { 'application/json': { schema: ref(schema, 'output') as never }, ...(alternatives as Record<string, never>) } });

const PROBLEM_DESCRIPTIONS: Record<number, string> = {
  400: 'The request is invalid; `errors` names each bad field.',
  404: 'No such resource.',
  409: 'The request conflicts with the current state.',
  422: 'The request matches its schema but cannot be applied as it stands (it names something that does not exist, a time on the wrong side of now, a cursor this API did not issue); `errors` names each field.',
  401: 'No valid access token: the `WWW-Authenticate` header and `detail` say why (missing, expired, wrong issuer or audience, bad signature).',
  403: 'The caller\'s roles do not grant this; `detail` names the permission and the roles that have it.',
  412: 'The resource changed since it was read (If-Match does not match its version); read it again.',
  428: 'The change needs an If-Match header carrying the version (ETag) it was based on.',
  413: 'The body is larger than allowed.',
  415: 'The body is not application/json.',
  503: 'A dependency is unavailable; retry after the Retry-After delay.',
};

/**
 * The If-Match header of a change made under optimistic concurrency (ADR 0007), documented by
 * exactly what is accepted: `*`, or one or more strong tags of digits (`"3"`, `"3", "4"`).
 */
export const ApiIfMatch = (description: string) =>
  ApiHeader({
    name: 'If-Match',
    required: true,
    description,
    schema: { type: 'string', pattern: '^[\\t\\v\\f \\u00a0]*(\\*|"?[0-9]{1,9}"?[\\t\\v\\f \\u00a0]*(,[\\t\\v\\f \\u00a0]*"?[0-9]{1,9}"?[\\t\\v\\f \\u00a0]*)*)[\\t\\v\\f \\u00a0]*$', example: '"3"' },
  });

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

/** Every route of the application with what its pipes validate, read from Nest's route metadata. */
export function routeContracts(app: INestApplication): RouteContract[] {
  const routes: RouteContract[] = [];
  for (const module of app.get(ModulesContainer).values()) {
    for (const wrapper of module.controllers.values()) {
      const controller = wrapper.metatype as (new (...args: never[]) => unknown) | undefined;
      if (!controller?.prototype) continue;
      const prefixes = [Reflect.getMetadata(PATH_METADATA, controller) ?? ''].flat() as string[];
      for (const name of Object.getOwnPropertyNames(controller.prototype)) {
        const handler = Object.getOwnPropertyDescriptor(controller.prototype, name)?.value as unknown;
        if (typeof handler !== 'function' || name === 'constructor') continue;
        const paths = Reflect.getMetadata(PATH_METADATA, handler) as string | string[] | undefined;
        const method = Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod | undefined;
        if (paths === undefined || method === undefined) continue;
        const args = (Reflect.getMetadata(ROUTE_ARGS_METADATA, controller, name) ?? {}) as Record<string, { data?: unknown; pipes?: unknown[] }>;
        const uuidParams: string[] = [];
        const params: Record<string, z.ZodType> = {};
        let query: z.ZodType | undefined;
        let body: z.ZodType | undefined;
        for (const [key, arg] of Object.entries(args)) {
          const type = Number(key.split(':')[0]);
          const pipes = arg.pipes ?? [];
          const zod = pipes.find((p): p is ZodPipe<z.ZodType> => p instanceof ZodPipe);
          if (type === RouteParamtypes.PARAM && typeof arg.data === 'string' && pipes.some((p) => p instanceof ParseUUIDPipe)) uuidParams.push(arg.data);
          if (type === RouteParamtypes.PARAM && typeof arg.data === 'string' && zod) params[arg.data] = zod.schema;
          if (type === RouteParamtypes.QUERY && arg.data === undefined && zod) query = zod.schema;
          if (type === RouteParamtypes.BODY && arg.data === undefined && zod) body = zod.schema;
        }
        for (const prefix of prefixes) {
          for (const path of [paths].flat()) {
            routes.push({ method: RequestMethod[method].toLowerCase(), path: openApiPath(`${prefix}/${path}`), uuidParams, params, query, body, status: Reflect.getMetadata(HTTP_CODE_METADATA, handler) as number | undefined });
          }
        }
      }
    }
  }
  return routes;
}

/** Builds the document, upgrades it to OpenAPI 3.1 and serves it at /openapi.json and /docs. */
export function setupOpenApi(app: INestApplication, info: { title: string; description: string; version: string }): OpenAPIObject {
  const complete = buildOpenApiDocument(app, info);
  SwaggerModule.setup('docs', app, complete, { jsonDocumentUrl: 'openapi.json', yamlDocumentUrl: 'openapi.yaml', useGlobalPrefix: false });
  return complete;
}

/**
 * The OpenAPI 3.1 document of an application, as /openapi.json serves it. Needs the application's
 * module graph only (it works on an application created with `preview: true`, which connects to
 * nothing): tools/api-contract/export-openapi.mjs uses it to read the documents offline.
 */
export function buildOpenApiDocument(app: INestApplication, info: { title: string; description: string; version: string }): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle(info.title)
    .setDescription(
      `${info.description}\n\nNo string anywhere in a request (body, path or query, object keys too) may contain the NUL character (U+0000) ` +
        'or a lone UTF-16 surrogate (an unpaired \\uD800–\\uDFFF escape): they cannot be stored, so such a request is refused with 400 naming each field.',
    )
    .setVersion(info.version)
    .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'an OpenID Connect access token from the organisation\'s identity provider' }, 'bearer')
    .addApiKey({ type: 'apiKey', in: 'header', name: 'X-Vigil-Key', description: 'an intake integration\'s API key (also accepted as `Authorization: Bearer <key>`)' }, 'apiKey')
    .build();
  // The document says what the routes do: completed from their validation (see contract.ts).
  ref(ProblemDetails, 'output');
  const document = completeContract(SwaggerModule.createDocument(app, config), routeContracts(app), (schema) => ref(schema, 'input'));
  const schemas: Record<string, unknown> = { ...(document.components?.schemas ?? {}) };
  for (const [id, { schema, io }] of registry) {
    const json = toJsonSchema(schema, io) as { $defs?: Record<string, unknown> };
    for (const [name, def] of Object.entries(json.$defs ?? { [id]: json })) {
      schemas[name] ??= rewriteRefs(def);
    }
  }
  return { ...document, openapi: '3.1.0', components: { ...document.components, schemas } } as OpenAPIObject;
}
