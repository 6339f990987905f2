// @nestjs/common 12 ships only as ES modules, which the unit project does not transform (see
// problem.spec.ts): its decorators are stand-ins here, the code under test is plain functions.
jest.mock('@nestjs/common', () => ({
  Injectable: () => () => undefined,
  Catch: () => () => undefined,
  HttpException: class HttpException extends Error {},
}));

import type { OpenAPIObject } from '@nestjs/swagger';
import { BEYOND_SCHEMA } from '@vigil/contracts';
import { z } from 'zod';
import { Problem } from './problem';
import { AllowedMethods, routePatternRegex } from './routing';
import { completeContract, openApiPath, queryParameters, UUID_SCHEMA } from './contract';
import { toJsonSchema } from './json-schema';
import { enumList, LowercaseUuidParams, lowercaseUuids, ZodPipe } from './zod';

describe('the OpenAPI document completed from the routes', () => {
  it('writes Fastify route patterns as OpenAPI paths, `::` being a literal colon', () => {
    expect(openApiPath('v1/incidents/:incidentId/alerts')).toBe('/v1/incidents/{incidentId}/alerts');
    expect(openApiPath('v1/assets::import')).toBe('/v1/assets:import');
    expect(openApiPath('/v1/audit/triage//records/')).toBe('/v1/audit/triage/records');
  });

  it('documents a zod query parameter by parameter, with what zod accepts', () => {
    const parameters = queryParameters(
      z.strictObject({ limit: z.coerce.number().int().min(1).max(200).default(50), q: z.string().trim().min(1).max(10).describe('free text').optional(), id: z.uuid() }),
    );
    expect(parameters).toEqual([
      { name: 'limit', in: 'query', required: false, schema: { type: 'integer', minimum: 1, maximum: 200, default: 50 } },
      { name: 'q', in: 'query', required: false, description: 'free text', schema: { type: 'string', minLength: 1, maxLength: 10, pattern: expect.stringMatching(/^\[\^/) } },
      { name: 'id', in: 'query', required: true, schema: expect.objectContaining({ type: 'string', format: 'uuid' }) },
    ]);
  });

  it('types UUID path parameters, replaces hand-written query parameters and adds the platform problems', () => {
    const document = {
      openapi: '3.0.0',
      info: { title: 't', version: '1' },
      paths: {
        '/v1/things/{thingId}': {
          get: {
            parameters: [
              { name: 'thingId', in: 'path', required: true, schema: { type: 'string' } },
              { name: 'limit', in: 'query', required: false, description: 'page size', schema: { type: 'number' } },
              { name: 'stale', in: 'query', required: false, schema: { type: 'string' } },
            ],
            responses: { '200': { description: 'ok' }, '400': { description: 'PagerDuty shape', content: { 'application/json': { schema: {} } } } },
            security: [{ bearer: [] }],
          },
        },
      },
    } as unknown as OpenAPIObject;
    const routes = [{ method: 'get', path: '/v1/things/{thingId}', uuidParams: ['thingId'], query: z.strictObject({ limit: z.coerce.number().int().max(5).optional() }) }];
    const completed = completeContract(document, routes, () => ({})) as any;
    const op = completed.paths['/v1/things/{thingId}'].get;
    expect(op.parameters).toEqual([
      { name: 'thingId', in: 'path', required: true, schema: UUID_SCHEMA },
      { name: 'limit', in: 'query', required: false, description: 'page size', schema: { type: 'integer', minimum: Number.MIN_SAFE_INTEGER, maximum: 5 } },
    ]);
    expect(Object.keys(op.responses).sort()).toEqual(['200', '400', '401', '403', '431', '503']);
    // A refusal in another API's shape may still come from the platform as a problem.
    expect(Object.keys(op.responses['400'].content).sort()).toEqual(['application/json', 'application/problem+json']);
    expect(op.responses['503'].headers['Retry-After']).toBeDefined();
  });

  it('documents the 204 of a route that sets it and documents no success', () => {
    const document = { openapi: '3.0.0', info: { title: 't', version: '1' }, paths: { '/v1/things/{thingId}': { delete: { responses: { '404': { description: 'no' } } } } } } as unknown as OpenAPIObject;
    const completed = completeContract(document, [{ method: 'delete', path: '/v1/things/{thingId}', uuidParams: [], status: 204 }], () => ({})) as any;
    expect(completed.paths['/v1/things/{thingId}'].delete.responses['204']).toEqual({ description: 'Done; no content.' });
  });

  it('documents a path parameter validated by a zod schema by that schema', () => {
    const document = {
      openapi: '3.0.0',
      info: { title: 't', version: '1' },
      paths: { '/v1/things/{version}': { get: { parameters: [{ name: 'version', in: 'path', required: true, schema: { type: 'string' } }], responses: { '200': { description: 'ok' } } } } },
    } as unknown as OpenAPIObject;
    const version = z.string().regex(/^[1-9][0-9]*$/);
    const completed = completeContract(document, [{ method: 'get', path: '/v1/things/{version}', uuidParams: [], params: { version } }], (schema) => toJsonSchema(schema, 'input')) as any;
    expect(completed.paths['/v1/things/{version}'].get.parameters[0].schema).toMatchObject({ type: 'string', pattern: '^[1-9][0-9]*$' });
  });

  it('refuses a /v1 route the document leaves out (the Ingress and the contract check would miss it)', () => {
    const document = { openapi: '3.0.0', info: { title: 't', version: '1' }, paths: {} } as unknown as OpenAPIObject;
    expect(() => completeContract(document, [{ method: 'post', path: '/v1/hidden', uuidParams: [] }], () => ({}))).toThrow('POST /v1/hidden is not in the OpenAPI document');
    expect(() => completeContract(document, [{ method: 'get', path: '/health/ready', uuidParams: [] }], () => ({}))).not.toThrow();
  });

  it('documents a comma-separated enum list by a pattern that takes exactly what the list takes', () => {
    const Colour = z.enum(['red', 'dark.blue']);
    const list = enumList(Colour);
    const pattern = new RegExp((toJsonSchema(list, 'input') as { pattern: string }).pattern);
    for (const value of ['red', ' red , dark.blue ', ',red,,', 'red,red', 'x', '', ',', 'darkXblue', 'red,green', Array(21).fill('red').join(',')]) {
      expect([value, pattern.test(value)]).toEqual([value, list.safeParse(value).success]);
    }
    expect(list.parse(' red , dark.blue ')).toEqual(['red', 'dark.blue']);
  });

  it('says in JSON Schema that a trimmed string needs a character other than white space, and leaves email to its pattern', () => {
    const schema = toJsonSchema(z.object({ title: z.string().trim().min(1), mail: z.email() }), 'input') as any;
    const notBlank = new RegExp(schema.properties.title.pattern);
    expect(['a', '  b ', '\u00a0x'].every((v) => notBlank.test(v))).toBe(true);
    expect([' ', '\t\n', '\ufeff', '\u3000'].some((v) => notBlank.test(v))).toBe(false);
    expect(schema.properties.mail.format).toBeUndefined();
    expect(schema.properties.mail.pattern).toBeDefined();
  });
});

describe('400 or 422 from a zod schema', () => {
  const Body = z.strictObject({ start: z.int(), end: z.int() }).refine((b) => b.start < b.end, { message: 'end must be after start', path: ['end'], ...BEYOND_SCHEMA });
  const status = (value: unknown) => {
    try {
      new ZodPipe(Body).transform(value);
      return 200;
    } catch (error) {
      return (error as Problem).status;
    }
  };

  it('answers 422 when only rules beyond the schema are broken, 400 when the schema is', () => {
    expect(status({ start: 1, end: 2 })).toBe(200);
    expect(status({ start: 2, end: 1 })).toBe(422);
    expect(status({ start: 2, end: 1, extra: true })).toBe(400);
    expect(status({ start: 'x', end: 1 })).toBe(400);
  });
});

describe('UUIDs in one spelling', () => {
  it('lower-cases the strings a schema declares as UUIDs, and nothing else', () => {
    const Body = z.strictObject({ target: z.uuid(), ids: z.array(z.uuid()), note: z.string(), nested: z.object({ id: z.uuid().optional() }).meta({ id: 'Nested' }) });
    const upper = 'A1B2C3D4-E5F6-4A7B-8C9D-0E1F2A3B4C5D';
    const value = { target: upper, ids: [upper], note: upper, nested: { id: upper } };
    const result = lowercaseUuids(value, toJsonSchema(Body, 'input')) as typeof value;
    expect(result).toEqual({ target: upper.toLowerCase(), ids: [upper.toLowerCase()], note: upper, nested: { id: upper.toLowerCase() } });
    expect(new ZodPipe(Body).transform(value)).toEqual(result);
  });

  it('lower-cases UUID path parameters', () => {
    const pipe = new LowercaseUuidParams();
    expect(pipe.transform('A1B2C3D4-E5F6-4A7B-8C9D-0E1F2A3B4C5D', { type: 'param' })).toBe('a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d');
    expect(pipe.transform('Group_Key', { type: 'param' })).toBe('Group_Key');
    expect(pipe.transform('A1B2C3D4-E5F6-4A7B-8C9D-0E1F2A3B4C5D', { type: 'body' })).toBe('A1B2C3D4-E5F6-4A7B-8C9D-0E1F2A3B4C5D');
  });
});

describe('405 for a known path asked with another method', () => {
  const allowed = new AllowedMethods();
  allowed.add('/v1/integrations', ['GET', 'POST']);
  allowed.add('/v1/integrations/:integrationId', 'DELETE');
  allowed.add('/v1/integrations/splunk', 'POST');
  allowed.add('/v1/assets::import', 'POST');
  allowed.add('/docs/*', 'GET');

  it('names the methods of the most specific matching routes (static before parameters)', () => {
    expect(allowed.of('/v1/integrations')).toEqual(['GET', 'HEAD', 'POST']);
    expect(allowed.of('/v1/integrations/5a0c2bbe-4c1a-4e0e-9f7e-0d2a57b3c111')).toEqual(['DELETE']);
    expect(allowed.of('/v1/integrations/splunk')).toEqual(['POST']);
    expect(allowed.of('/v1/assets:import')).toEqual(['POST']);
    expect(allowed.of('/docs/static/index.html')).toEqual(['GET', 'HEAD']);
    expect(allowed.of('/v1/nothing')).toEqual([]);
  });

  it('reads route patterns as Fastify does', () => {
    expect(routePatternRegex('/v1/incidents/:incidentId/tasks').test('/v1/incidents/abc/tasks')).toBe(true);
    expect(routePatternRegex('/v1/incidents/:incidentId/tasks').test('/v1/incidents/a/b/tasks')).toBe(false);
    expect(routePatternRegex('/v1/alerts::batch').test('/v1/alerts:batch')).toBe(true);
  });
});

