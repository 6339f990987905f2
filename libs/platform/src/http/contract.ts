import type { OpenAPIObject } from '@nestjs/swagger';
import { z } from 'zod';
import { toJsonSchema } from './json-schema';

/**
 * The OpenAPI document completed from what the routes really do, so that no hand-written decorator
 * can drift from validation: path parameters checked by ParseUUIDPipe are documented as UUIDs,
 * queries validated by a ZodPipe are documented parameter by parameter from that very schema, and
 * every operation lists the problems the platform itself can answer with (bad request, token,
 * permission, body size and type, dependency down).
 */

type JsonSchema = Record<string, unknown>;
type Operation = {
  parameters?: Array<{ name: string; in: string; required?: boolean; description?: string; schema?: JsonSchema }>;
  requestBody?: { required?: boolean; content?: Record<string, { schema?: JsonSchema }> };
  responses?: Record<string, { description?: string; content?: Record<string, { schema?: JsonSchema }>; headers?: Record<string, unknown> }>;
  security?: Array<Record<string, string[]>>;
};

/** ParseUUIDPipe's own pattern (any version 1–8, RFC variant, nil and max), as JSON Schema. */
export const UUID_SCHEMA: JsonSchema = (() => {
  const { $schema: _ignored, ...schema } = z.toJSONSchema(z.uuid(), { target: 'draft-2020-12' }) as JsonSchema;
  return schema;
})();

export interface RouteContract {
  method: string;
  /** The OpenAPI path (`/v1/incidents/{incidentId}`). */
  path: string;
  uuidParams: string[];
  /** Path parameters validated by a ZodPipe, by name. */
  params?: Record<string, z.ZodType>;
  query?: z.ZodType;
  body?: z.ZodType;
  /** The status set by `@HttpCode`, if any. */
  status?: number;
}

/** Fastify's pattern of a route (`/v1/incidents/:incidentId`, `/v1/assets::import`) as an OpenAPI path. */
export function openApiPath(pattern: string): string {
  const joined = `/${pattern}`.replace(/\/+/g, '/').replace(/(.)\/$/, '$1');
  // `::` is a literal colon: set aside while the parameters are rewritten.
  return joined.split('::').map((part) => part.replace(/:(\w+)/g, '{$1}')).join(':');
}

function inputSchema(schema: z.ZodType): JsonSchema {
  const { $schema: _ignored, ...json } = toJsonSchema(schema, 'input');
  return json;
}

/** The query parameters a zod object schema accepts, each with the JSON Schema of its values. */
export function queryParameters(schema: z.ZodType): Array<{ name: string; in: 'query'; required: boolean; description?: string; schema: JsonSchema }> {
  const json = inputSchema(schema) as { properties?: Record<string, JsonSchema>; required?: string[] };
  const required = new Set(json.required ?? []);
  return Object.entries(json.properties ?? {}).map(([name, property]) => {
    const { description, ...rest } = property as JsonSchema & { description?: string };
    return { name, in: 'query' as const, required: required.has(name), ...(description ? { description } : {}), schema: rest };
  });
}

const PROBLEM_REF = { $ref: '#/components/schemas/ProblemDetails' };

/** What the platform answers on any route, whatever the handler does (see bootstrap, guard, filter). */
const GENERIC: Record<string, { description: string; when: (op: Operation) => boolean; headers?: Record<string, unknown> }> = {
  // Any URL can be malformed (a NUL, a query this route does not take).
  '400': { description: 'The request is invalid; `errors` names each bad field.', when: () => true },
  '401': {
    description: 'No valid credentials: the `WWW-Authenticate` header and `detail` say why.',
    when: (op) => Boolean(op.security?.length),
    headers: { 'WWW-Authenticate': { schema: { type: 'string' }, description: 'the Bearer challenge (RFC 6750)' } },
  },
  '403': { description: 'The caller may not do this; `detail` says why.', when: (op) => Boolean(op.security?.length) },
  '413': { description: 'The body is larger than this service accepts.', when: (op) => Boolean(op.requestBody) },
  // Node's HTTP parser takes at most 16 KiB of request line and headers (a very long query, say).
  '431': { description: 'The request line and headers are larger than this service takes.', when: () => true },
  // See Problem.unprocessable: what a schema cannot say (existence, now, opaque cursors).
  '422': {
    description:
      'The request matches its schema but cannot be applied as it stands: it names something that does not exist, a time on the wrong side of now, or a cursor this API did not issue; `errors` names each field.',
    when: (op) => Boolean(op.requestBody || op.parameters?.some((p) => p.in === 'query' && p.name === 'cursor')),
  },
  '415': { description: 'The body is not JSON (`application/json`).', when: (op) => Boolean(op.requestBody) },
  '503': {
    description: 'A dependency (database, identity provider) is unavailable; retry after the Retry-After delay.',
    when: (op) => Boolean(op.security?.length),
    headers: { 'Retry-After': { schema: { type: 'integer', minimum: 0 }, description: 'seconds to wait before retrying' } },
  },
};

/**
 * Completes `document` in place from the application's routes; returns it. `bodySchema` gives the
 * documented schema of a body or a path parameter (a reference to its component).
 */
export function completeContract(document: OpenAPIObject, routes: RouteContract[], bodySchema: (schema: z.ZodType) => JsonSchema): OpenAPIObject {
  const paths = document.paths as Record<string, Record<string, Operation>>;
  for (const route of routes) {
    const operation = paths[route.path]?.[route.method];
    // A public route the document leaves out would be unreachable through the Ingress (its table is
    // made from the documents) and untested by the contract check: refused outright.
    if (!operation && route.path.startsWith('/v1/') && ['get', 'put', 'post', 'delete', 'patch'].includes(route.method)) {
      throw new Error(`${route.method.toUpperCase()} ${route.path} is not in the OpenAPI document: every /v1 route must be documented`);
    }
    if (!operation) continue;
    for (const name of route.uuidParams) {
      const parameter = operation.parameters?.find((p) => p.in === 'path' && p.name === name);
      if (parameter) parameter.schema = { ...UUID_SCHEMA };
    }
    for (const [name, schema] of Object.entries(route.params ?? {})) {
      const parameter = operation.parameters?.find((p) => p.in === 'path' && p.name === name);
      if (parameter) parameter.schema = bodySchema(schema);
    }
    if (route.query) {
      const given = new Map((operation.parameters ?? []).filter((p) => p.in === 'query').map((p) => [p.name, p]));
      const documented = queryParameters(route.query).map((p) => {
        const description = p.description ?? given.get(p.name)?.description;
        return { ...p, ...(description ? { description } : {}) };
      });
      operation.parameters = [...(operation.parameters ?? []).filter((p) => p.in !== 'query'), ...documented];
    }
    // A route that answers 204 (`@HttpCode(204)`) and documents no success says so.
    const responses = (operation.responses ??= {});
    if (route.status === 204 && !Object.keys(responses).some((status) => status.startsWith('2'))) {
      responses['204'] = { description: 'Done; no content.' };
    }
    if (route.body) {
      const content = operation.requestBody?.content ?? {};
      operation.requestBody = { ...operation.requestBody, required: true, content: { ...content, 'application/json': { ...content['application/json'], schema: bodySchema(route.body) } } };
    }
  }
  for (const operations of Object.values(paths)) {
    for (const operation of Object.values(operations)) {
      if (!operation || typeof operation !== 'object' || !('responses' in operation)) continue;
      const responses = (operation.responses ??= {});
      for (const [status, generic] of Object.entries(GENERIC)) {
        if (!generic.when(operation)) continue;
        responses[status] ??= { description: generic.description };
        if (generic.headers) responses[status].headers = { ...generic.headers, ...responses[status].headers };
      }
      // Any refusal may come from the platform (parser, guard, filter) as a problem, whatever
      // shape the route's own refusals take (PagerDuty's, for one).
      for (const [status, response] of Object.entries(responses)) {
        if (!/^[45]\d\d$/.test(status)) continue;
        response.content = { ...response.content, 'application/problem+json': { schema: PROBLEM_REF } };
      }
    }
  }
  return document;
}
