import type { RequestTemplate } from '@vigil/contracts';

/*
 * Fills a request template with plain `{{ name }}` placeholders: no code, no filters, no loops;
 * an unknown name is an error (strict), never an empty string. Values never become syntax: the
 * body is built as a JSON value and serialised (JSON-escaped), path values are percent-encoded,
 * header values refuse line breaks.
 */

export type TemplateValue = string | number | boolean | null;

export class TemplateError extends Error {
  constructor(
    readonly pointer: string,
    message: string,
  ) {
    super(message);
  }
}

const PLACEHOLDER = /\{\{\s*([A-Za-z][A-Za-z0-9_]*(?:\.[A-Za-z][A-Za-z0-9_]*)*)\s*\}\}/g;
const WHOLE = /^\{\{\s*([A-Za-z][A-Za-z0-9_]*(?:\.[A-Za-z][A-Za-z0-9_]*)*)\s*\}\}$/;

/** Headers the guard sets itself; a template may not. */
const RESERVED_HEADERS = new Set(['host', 'content-length', 'transfer-encoding', 'connection', 'vigil-signature']);

export interface RenderedRequest {
  method: RequestTemplate['method'];
  url: string;
  headers: Record<string, string>;
  body: string | null;
}

function lookup(values: Record<string, TemplateValue>, name: string, pointer: string): TemplateValue {
  if (!Object.hasOwn(values, name)) throw new TemplateError(pointer, `unknown placeholder {{ ${name} }}`);
  return values[name];
}

function fillText(text: string, values: Record<string, TemplateValue>, pointer: string, encode: (v: string) => string = (v) => v): string {
  return text.replace(PLACEHOLDER, (_, name: string) => encode(String(lookup(values, name, pointer) ?? '')));
}

function fillJson(node: unknown, values: Record<string, TemplateValue>, pointer: string): unknown {
  if (typeof node === 'string') {
    const whole = WHOLE.exec(node);
    return whole ? lookup(values, whole[1], pointer) : fillText(node, values, pointer);
  }
  if (Array.isArray(node)) return node.map((n, i) => fillJson(n, values, `${pointer}/${i}`));
  if (node && typeof node === 'object') return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, fillJson(v, values, `${pointer}/${k}`)]));
  return node;
}

/** The names a template uses (to check them when a connector is saved). */
export function placeholdersOf(template: RequestTemplate): string[] {
  const text = JSON.stringify(template);
  return [...text.matchAll(PLACEHOLDER)].map((m) => m[1]);
}

/** Header names a template may not set. */
export function reservedHeadersOf(template: RequestTemplate): string[] {
  return Object.keys(template.headers ?? {}).filter((h) => RESERVED_HEADERS.has(h.toLowerCase()));
}

/** The exact request: method, URL under the base URL, headers and the body bytes. */
export function renderRequest(template: RequestTemplate, baseUrl: string, values: Record<string, TemplateValue>): RenderedRequest {
  const path = fillText(template.path, values, '/path', encodeURIComponent);
  const base = new URL(baseUrl);
  const url = new URL(base.href.replace(/\/$/, '') + path);
  if (url.origin !== base.origin) throw new TemplateError('/path', 'the path leaves the connector\'s base URL');
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(template.headers ?? {})) {
    if (RESERVED_HEADERS.has(name.toLowerCase())) throw new TemplateError(`/headers/${name}`, `the header ${name} is set by Vigil`);
    const filled = fillText(value, values, `/headers/${name}`);
    if (/[\r\n]/.test(filled)) throw new TemplateError(`/headers/${name}`, 'a header value cannot contain a line break');
    headers[name.toLowerCase()] = filled;
  }
  let body: string | null = null;
  if (template.body !== undefined) {
    body = JSON.stringify(fillJson(template.body, values, '/body'));
    headers['content-type'] ??= 'application/json';
  }
  return { method: template.method, url: url.toString(), headers, body };
}
