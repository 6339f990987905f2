// @nestjs/common 12 ships only as ES modules, which the unit project does not transform: this
// stand-in reproduces the public surface problem.ts relies on (HttpException#getStatus/#getResponse
// and the `{ statusCode, message, error }` body of the built-in exceptions).
jest.mock('@nestjs/common', () => {
  class HttpException extends Error {
    constructor(
      private readonly response: string | Record<string, unknown>,
      private readonly status: number,
    ) {
      super(typeof response === 'string' ? response : String(response.message));
      this.name = new.target.name;
    }
    getStatus() {
      return this.status;
    }
    getResponse() {
      return this.response;
    }
  }
  const builtIn = (status: number, error: string) =>
    class extends HttpException {
      constructor(message: string | string[] = error) {
        super({ message, error, statusCode: status }, status);
      }
    };
  return {
    HttpException,
    NotFoundException: builtIn(404, 'Not Found'),
    BadRequestException: builtIn(400, 'Bad Request'),
    HttpStatus: { TOO_MANY_REQUESTS: 429 },
    Catch: () => () => undefined,
  };
});

import { BadRequestException, HttpException, HttpStatus, NotFoundException } from '@nestjs/common';
import { CanonicalAlert } from '@vigil/contracts';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { Socket } from 'node:net';
import { Problem, sendClientErrorProblem, sendProblem, toProblem, zodIssuesToFieldErrors } from './problem';

const errorOf = (schema: z.ZodType, input: unknown): z.ZodError => {
  const result = schema.safeParse(input);
  if (result.success) throw new Error('expected the input to be invalid');
  return result.error;
};

const alert = { title: 'Port scan', source: 'ids:suricata', severity: 'low' };

describe(zodIssuesToFieldErrors.name, () => {
  it('points into nested arrays and objects', () => {
    const errors = zodIssuesToFieldErrors(errorOf(CanonicalAlert, { ...alert, assets: [{ hostname: 'web-01' }, { ip: '10.0.0.300' }] }));
    expect(errors).toEqual([{ pointer: '/assets/1/ip', detail: expect.any(String) }]);
  });

  it('points at /assets/0/ip for a bad first asset IP', () => {
    expect(zodIssuesToFieldErrors(errorOf(CanonicalAlert, { ...alert, assets: [{ ip: 'nope' }] })).map((e) => e.pointer)).toEqual(['/assets/0/ip']);
  });

  it('reports each unknown key at its own pointer', () => {
    const errors = zodIssuesToFieldErrors(errorOf(CanonicalAlert, { ...alert, colour: 'red', flavour: 'mint' }));
    expect(errors).toEqual([
      { pointer: '/colour', detail: 'is not a known field' },
      { pointer: '/flavour', detail: 'is not a known field' },
    ]);
  });

  it('reports an unknown key inside a nested object below that object', () => {
    const errors = zodIssuesToFieldErrors(errorOf(CanonicalAlert, { ...alert, assets: [{ hostname: 'web-01', rack: 'b4' }] }));
    expect(errors).toEqual([{ pointer: '/assets/0/rack', detail: 'is not a known field' }]);
  });

  it('reports one error per bad field', () => {
    const errors = zodIssuesToFieldErrors(errorOf(CanonicalAlert, { source: '', severity: 'sev1' }));
    expect(errors.map((e) => e.pointer).sort()).toEqual(['/severity', '/source', '/title']);
    for (const error of errors) expect(error.detail.length).toBeGreaterThan(0);
  });

  it.each([
    ['a/b', '/labels/a~1b'],
    ['a~b', '/labels/a~0b'],
    ['~/', '/labels/~0~1'],
    ['~1', '/labels/~01'],
  ])('escapes the key %p as %p (RFC 6901)', (key, pointer) => {
    const errors = zodIssuesToFieldErrors(errorOf(CanonicalAlert, { ...alert, labels: { [key]: 42 } }));
    expect(errors.map((e) => e.pointer)).toEqual([pointer]);
  });

  it('escapes unknown keys too', () => {
    const errors = zodIssuesToFieldErrors(errorOf(z.strictObject({}), { 'x/y~z': 1 }));
    expect(errors).toEqual([{ pointer: '/x~1y~0z', detail: 'is not a known field' }]);
  });

  it('points at the whole document with the empty pointer', () => {
    expect(zodIssuesToFieldErrors(errorOf(CanonicalAlert, 'a string'))).toEqual([{ pointer: '', detail: expect.any(String) }]);
  });
});

describe(toProblem.name, () => {
  const logger = () => ({ warn: jest.fn(), error: jest.fn() });

  it('passes a Problem through unchanged', () => {
    const problem = Problem.notFound('Incident 42');
    expect(toProblem(problem)).toBe(problem);
  });

  it('keeps the status and message of a Nest HttpException', () => {
    const problem = toProblem(new NotFoundException('Incident 42 does not exist.'));
    expect(problem).toBeInstanceOf(Problem);
    expect(problem).toMatchObject({ status: 404, title: 'Not found', detail: 'Incident 42 does not exist.' });
  });

  it('joins the messages of an HttpException that carries several', () => {
    const problem = toProblem(new BadRequestException(['title is empty', 'severity is unknown']));
    expect(problem).toMatchObject({ status: 400, title: 'Invalid request', detail: 'title is empty; severity is unknown' });
  });

  it('keeps a plain-string HttpException response as the detail', () => {
    expect(toProblem(new HttpException('slow down', HttpStatus.TOO_MANY_REQUESTS))).toMatchObject({ status: 429, detail: 'slow down' });
  });

  it.each([
    [415, 'FST_ERR_CTP_INVALID_MEDIA_TYPE', 'Unsupported media type', 'Send the body as application/json.'],
    [413, 'FST_ERR_CTP_BODY_TOO_LARGE', 'Payload too large', 'The request body is larger than this service accepts.'],
    [400, 'FST_ERR_CTP_INVALID_JSON_BODY', 'Invalid request', "Body is not valid JSON but content-type is set to 'application/json'"],
  ])("keeps Fastify's own %s (%s)", (statusCode, code, title, detail) => {
    const error = Object.assign(new Error("Body is not valid JSON but content-type is set to 'application/json'"), { statusCode, code });
    expect(toProblem(error)).toMatchObject({ status: statusCode, title, detail });
  });

  it('answers 503 with Retry-After when a dependency is unreachable, and warns', () => {
    const log = logger();
    const error = Object.assign(new Error('connect ECONNREFUSED 10.0.0.5:5432'), { code: 'ECONNREFUSED' });
    const problem = toProblem(error, log as unknown as Logger);
    expect(problem).toMatchObject({ status: 503, title: 'Service unavailable' });
    expect(problem.headers).toEqual({ 'retry-after': '5' });
    expect(problem.detail).not.toContain('10.0.0.5');
    expect(log.warn).toHaveBeenCalledWith({ err: error }, expect.any(String));
    expect(log.error).not.toHaveBeenCalled();
  });

  it('treats a bare {code: ECONNREFUSED} as an unreachable dependency', () => {
    expect(toProblem({ code: 'ECONNREFUSED' })).toMatchObject({ status: 503, headers: { 'retry-after': '5' } });
  });

  it('answers 500 to anything else, logs it and reveals nothing of it', () => {
    const log = logger();
    const error = new Error('relation "triage.incidents" does not exist at /srv/app/dist/main.js');
    const problem = toProblem(error, log as unknown as Logger);
    expect(problem).toMatchObject({ status: 500, title: 'Internal error' });
    expect(problem.detail).not.toContain('triage.incidents');
    expect(problem.detail).not.toContain(error.message);
    expect(problem.headers).toEqual({});
    expect(log.error).toHaveBeenCalledWith({ err: error }, expect.any(String));
  });

  it.each([
    ['a thrown string', 'secret internals'],
    ['undefined', undefined],
    ['an error claiming a 5xx status', Object.assign(new Error('upstream said no'), { statusCode: 502 })],
  ])('answers 500 to %s', (_, thrown) => {
    expect(toProblem(thrown)).toMatchObject({ status: 500, detail: 'An unexpected error occurred; it has been logged.' });
  });
});

describe(sendProblem.name, () => {
  function fakeReply() {
    const sent: { status?: number; headers: Record<string, string>; body?: unknown } = { headers: {} };
    const reply = {
      status: (s: number) => ((sent.status = s), reply),
      headers: (h: Record<string, string>) => (Object.assign(sent.headers, h), reply),
      header: (k: string, v: string) => ((sent.headers[k] = v), reply),
      send: (body: unknown) => ((sent.body = body), reply),
    };
    return { reply: reply as unknown as FastifyReply, sent };
  }
  const request = { url: '/alerts' } as FastifyRequest;

  it('renders an RFC 9457 problem+json body with the field errors', () => {
    const { reply, sent } = fakeReply();
    sendProblem(reply, request, Problem.validation([{ pointer: '/title', detail: 'is required' }]));
    expect(sent.status).toBe(400);
    expect(sent.headers['content-type']).toBe('application/problem+json; charset=utf-8');
    expect(sent.body).toEqual({
      type: 'https://vigil.dev/problems/invalid-request',
      title: 'Invalid request',
      status: 400,
      detail: 'The request is not valid.',
      instance: '/alerts',
      errors: [{ pointer: '/title', detail: 'is required' }],
    });
  });

  it('sends the headers of the problem, such as Retry-After', () => {
    const { reply, sent } = fakeReply();
    sendProblem(reply, request, toProblem({ code: 'ECONNREFUSED' }));
    expect(sent.status).toBe(503);
    expect(sent.headers['retry-after']).toBe('5');
    expect(sent.body).toMatchObject({ type: 'https://vigil.dev/problems/service-unavailable' });
  });

  it.each([
    [500, 'https://vigil.dev/problems/internal-error'],
    [418, 'https://vigil.dev/problems/error'],
  ])('types a %s without its own slug as %s', (status, type) => {
    const { reply, sent } = fakeReply();
    sendProblem(reply, request, new Problem(status, 'Something'));
    expect(sent.body).toMatchObject({ type, status });
    expect(sent.body).not.toHaveProperty('detail');
  });
});

describe(sendClientErrorProblem.name, () => {
  function fakeSocket() {
    const socket = { writable: true, destroyed: false, written: '', write: (text: string) => ((socket.written += text), true), destroy: () => ((socket.destroyed = true), socket) };
    return socket;
  }

  it('answers headers over the limit with a 431 problem and closes the connection', () => {
    const socket = fakeSocket();
    sendClientErrorProblem(Object.assign(new Error('overflow'), { code: 'HPE_HEADER_OVERFLOW' }), socket as unknown as Socket);
    const [head, body] = socket.written.split('\r\n\r\n');
    expect(head.split('\r\n')[0]).toBe('HTTP/1.1 431 Request Header Fields Too Large');
    expect(head).toContain('Content-Type: application/problem+json; charset=utf-8');
    expect(head).toContain(`Content-Length: ${Buffer.byteLength(body)}`);
    expect(JSON.parse(body)).toMatchObject({ type: 'https://vigil.dev/problems/request-header-fields-too-large', status: 431 });
    expect(socket.destroyed).toBe(true);
  });

  it('answers other parse errors with a 400 problem, and a reset connection with nothing', () => {
    const socket = fakeSocket();
    sendClientErrorProblem(Object.assign(new Error('bad'), { code: 'HPE_INVALID_METHOD' }), socket as unknown as Socket);
    expect(socket.written).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
    const reset = fakeSocket();
    sendClientErrorProblem(Object.assign(new Error('reset'), { code: 'ECONNRESET' }), reset as unknown as Socket);
    expect(reset.written).toBe('');
  });
});
