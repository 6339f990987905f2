import type { NestFastifyApplication } from '@nestjs/platform-fastify';

/** The routes that take a YAML body, as Fastify knows them. */
const YAML_ROUTES = new Set(['/v1/playbooks/import']);
export const YAML_TYPES = ['application/yaml', 'application/x-yaml', 'text/yaml', 'text/x-yaml'];

/**
 * The platform accepts JSON bodies only; this adds YAML for playbook import, handed to the route as a
 * string. Every other route still answers 415 to it.
 */
export function registerYamlBodyParser(app: NestFastifyApplication): void {
  app
    .getHttpAdapter()
    .getInstance()
    .addContentTypeParser(YAML_TYPES, { parseAs: 'string', bodyLimit: 1024 * 1024 }, (request, body, done) => {
      const route = request.routeOptions.url;
      if (route !== undefined && !YAML_ROUTES.has(route)) {
        done(Object.assign(new Error('Unsupported Media Type'), { statusCode: 415, code: 'FST_ERR_CTP_INVALID_MEDIA_TYPE' }), undefined);
        return;
      }
      done(null, body);
    });
}
