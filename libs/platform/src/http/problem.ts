import { ArgumentsHost, Catch, HttpException, type ExceptionFilter } from '@nestjs/common';
import { type FieldError } from '@vigil/contracts';
import { isTransientInfrastructureError } from '@vigil/messaging';
import { redactUrl } from '@vigil/telemetry';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { Logger } from 'pino';


/** An RFC 9457 problem, thrown by handlers and rendered as application/problem+json. */
export class Problem extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    readonly detail?: string,
    readonly extra: Record<string, unknown> & { errors?: FieldError[] } = {},
    readonly headers: Record<string, string> = {},
  ) {
    super(detail ?? title);
  }

  static validation(errors: FieldError[], detail = 'The request is not valid.'): Problem {
    return new Problem(400, 'Invalid request', detail, { errors });
  }

  /**
   * A request that matches its documented schema but cannot be applied as it stands: it names
   * something that does not exist, a time on the wrong side of now, an opaque value (a cursor) this
   * API did not issue. 400 stays for what the schema itself refuses.
   */
  static unprocessable(errors: FieldError[], detail = 'The request cannot be applied as it stands.'): Problem {
    return new Problem(422, 'Unprocessable content', detail, { errors });
  }

  static notFound(what: string): Problem {
    return new Problem(404, 'Not found', `${what} does not exist.`);
  }
}



/**
 * An error answered in another API's own shape, where compatibility requires it (e.g. PagerDuty's
 * `{status: "invalid event", …}`), instead of problem+json.
 */
export class ForeignErrorResponse extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown,
  ) {
    super(`HTTP ${status}`);
  }
}

const TYPE_BASE = 'https://vigil.dev/problems/';
const SLUGS: Record<number, string> = {
  400: 'invalid-request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not-found',
  405: 'method-not-allowed',
  409: 'conflict',
  412: 'precondition-failed',
  413: 'payload-too-large',
  415: 'unsupported-media-type',
  422: 'unprocessable',
  428: 'precondition-required',
  408: 'request-timeout',
  429: 'too-many-requests',
  431: 'request-header-fields-too-large',
  503: 'service-unavailable',
};
const TITLES: Record<number, string> = {
  400: 'Invalid request',
  401: 'Unauthorized',
  403: 'Forbidden',
  409: 'Conflict',
  412: 'Precondition failed',
  422: 'Unprocessable content',
  428: 'Precondition required',
  429: 'Too many requests',
  404: 'Not found',
  405: 'Method not allowed',
  413: 'Payload too large',
  415: 'Unsupported media type',
  408: 'Request timeout',
  431: 'Request header fields too large',
  500: 'Internal error',
  503: 'Service unavailable',
};

/**
 * Fastify's `clientErrorHandler`: a request Node's HTTP parser refuses before any route sees it
 * (request line and headers over the size limit, a malformed request) is answered as a problem like
 * every other refusal, instead of Fastify's own JSON.
 */
export function sendClientErrorProblem(error: Error & { code?: string }, socket: Socket): void {
  // A reset connection has nobody to answer.
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const status = error.code === 'HPE_HEADER_OVERFLOW' ? 431 : error.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
  const details: Record<number, string> = { 408: 'The request did not arrive in time.', 431: 'The request line and headers are larger than this service takes.' };
  const detail = details[status] ?? 'The request is not valid HTTP.';
  const body = JSON.stringify({ type: TYPE_BASE + SLUGS[status], title: TITLES[status], status, detail });
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/problem+json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy(error);
}

export function sendProblem(reply: FastifyReply, request: FastifyRequest, problem: Problem): void {
  reply
    .status(problem.status)
    .headers(problem.headers)
    .header('content-type', 'application/problem+json; charset=utf-8')
    .send({
      type: TYPE_BASE + (SLUGS[problem.status] ?? (problem.status >= 500 ? 'internal-error' : 'error')),
      title: problem.title,
      status: problem.status,
      ...(problem.detail ? { detail: problem.detail } : {}),
      // (the request target, with credentials such as ?api_key= masked: answers get logged too)
      instance: redactUrl(request.url),
      ...problem.extra,
    });
}

/**
 * Turns anything thrown into a problem. Fastify's own 4xx (bad JSON, wrong content type, body too
 * large) keep their status; an unreachable dependency is a 503 with Retry-After; anything else is
 * a logged 500 that reveals nothing internal.
 */
export function toProblem(error: unknown, logger?: Logger): Problem {
  if (error instanceof Problem) return error;
  if (error instanceof HttpException) {
    const status = error.getStatus();
    const response = error.getResponse();
    const message = typeof response === 'string' ? response : ((response as { message?: unknown }).message ?? error.message);
    return new Problem(status, TITLES[status] ?? error.name, Array.isArray(message) ? message.join('; ') : String(message));
  }
  const e = error as { statusCode?: number; code?: string; message?: string };
  if (typeof e?.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
    const detail =
      e.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE'
        ? 'Send the body as application/json.'
        : e.code === 'FST_ERR_CTP_BODY_TOO_LARGE'
          ? 'The request body is larger than this service accepts.'
          : e.message;
    return new Problem(e.statusCode, TITLES[e.statusCode] ?? 'Bad request', detail);
  }
  if (isTransientInfrastructureError(error)) {
    logger?.warn({ err: error }, 'dependency unavailable');
    return new Problem(503, 'Service unavailable', 'A dependency is unavailable; retry later.', {}, { 'retry-after': '5' });
  }
  logger?.error({ err: error }, 'unhandled error');
  return new Problem(500, 'Internal error', 'An unexpected error occurred; it has been logged.');
}

@Catch()
export class ProblemFilter implements ExceptionFilter {
  constructor(private readonly logger: Logger) {}

  catch(error: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    if (error instanceof ForeignErrorResponse) {
      http.getResponse<FastifyReply>().status(error.status).header('content-type', 'application/json; charset=utf-8').send(error.body);
      return;
    }
    sendProblem(http.getResponse<FastifyReply>(), http.getRequest<FastifyRequest>(), toProblem(error, this.logger));
  }
}

// Field errors are part of the problem contract; re-exported for the HTTP layer's callers.
export { zodIssuesToFieldErrors, type FieldError } from '@vigil/contracts';
