import type { NestFastifyApplication } from '@nestjs/platform-fastify';

/** The routes that take a text/csv body, as Fastify knows them (`::` is an escaped colon). */
const CSV_ROUTES = new Set(['/v1/assets::import']);

/**
 * The platform accepts JSON bodies only; this adds text/csv, handed to the route as a string. Every
 * other route still answers 415 to it, as it would without this parser.
 */
export function registerCsvBodyParser(app: NestFastifyApplication): void {
  app
    .getHttpAdapter()
    .getInstance()
    .addContentTypeParser('text/csv', { parseAs: 'string' }, (request, body, done) => {
      // routeOptions.url is unset for an unknown route, which must stay a 404.
      const route = request.routeOptions.url;
      if (route !== undefined && !CSV_ROUTES.has(route)) {
        done(Object.assign(new Error('Unsupported Media Type'), { statusCode: 415, code: 'FST_ERR_CTP_INVALID_MEDIA_TYPE' }), undefined);
        return;
      }
      done(null, body);
    });
}
