// What the HTTP layer checks before any route runs: the methods a path allows.

/** A Fastify route pattern (`/v1/incidents/:incidentId`, `/v1/assets::import`, `/docs/*`) as a regular expression. */
export function routePatternRegex(url: string): RegExp {
  let out = '';
  for (let i = 0; i < url.length; i++) {
    const c = url[i];
    if (c === ':' && url[i + 1] === ':') {
      out += ':';
      i++;
    } else if (c === ':') {
      const name = /^:\w+(\([^)]*\))?/.exec(url.slice(i))?.[0] ?? ':';
      i += name.length - 1;
      out += '[^/]+';
    } else if (c === '*') {
      out += '.*';
    } else {
      out += c.replace(/[.+?^${}()|[\]\\]/g, '\\$&');
    }
  }
  return new RegExp(`^${out}$`);
}

/**
 * The methods each known path answers, so that another method on it is a 405 naming them (RFC 9110
 * §15.5.6) rather than a 404, a body-parsing error or another route's answer: routes are recorded
 * as they are registered. A path is the most specific patterns that match it (static segments
 * before parameters, as the router prefers them): `/v1/integrations/splunk` is POST only, even
 * though `DELETE /v1/integrations/:integrationId` would match it too.
 */
export class AllowedMethods {
  private readonly routes = new Map<string, { pattern: RegExp; specificity: number; methods: Set<string> }>();

  add(url: string, methods: string | string[]): void {
    const specificity = (url.replace(/::/g, '').match(/:/g)?.length ?? 0) + 100 * (url.match(/\*/g)?.length ?? 0);
    const entry = this.routes.get(url) ?? { pattern: routePatternRegex(url), specificity, methods: new Set<string>() };
    for (const m of [methods].flat()) entry.methods.add(m.toUpperCase());
    if (entry.methods.has('GET')) entry.methods.add('HEAD'); // Fastify answers HEAD for every GET
    this.routes.set(url, entry);
  }

  /** The methods of the most specific patterns matching `path`, sorted; empty for an unknown path. */
  of(path: string): string[] {
    let best = Infinity;
    const methods = new Set<string>();
    for (const { pattern, specificity, methods: m } of this.routes.values()) {
      if (specificity > best || !pattern.test(path)) continue;
      if (specificity < best) methods.clear();
      best = specificity;
      m.forEach((x) => methods.add(x));
    }
    return [...methods].sort();
  }
}
