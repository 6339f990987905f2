import { Injectable, type ArgumentMetadata, type PipeTransform } from '@nestjs/common';
import { isBeyondSchema } from '@vigil/contracts';
import { z } from 'zod';
import { Problem, zodIssuesToFieldErrors } from './problem';
import { JS_WHITESPACE } from './json-schema';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

type JsonSchema = { [key: string]: unknown };

/**
 * UUIDs are compared as text in places (JavaScript, Map keys, the inbox), so each one is spelled
 * one way from the edge in: lower case. Walks a value along the JSON Schema that validates it and
 * lower-cases the strings declared `format: uuid`; nothing else is touched.
 */
export function lowercaseUuids(value: unknown, schema: JsonSchema, defs: Record<string, JsonSchema> = (schema.$defs as Record<string, JsonSchema>) ?? {}, depth = 0): unknown {
  if (depth > 64 || value === null || value === undefined) return value;
  if (typeof schema.$ref === 'string') {
    const target = defs[schema.$ref.replace(/^#\/\$defs\//, '')];
    if (target) value = lowercaseUuids(value, target, defs, depth + 1);
  }
  for (const branch of [...((schema.anyOf ?? []) as JsonSchema[]), ...((schema.oneOf ?? []) as JsonSchema[]), ...((schema.allOf ?? []) as JsonSchema[])]) {
    value = lowercaseUuids(value, branch, defs, depth + 1);
  }
  if (typeof value === 'string') return schema.format === 'uuid' && UUID.test(value) ? value.toLowerCase() : value;
  if (Array.isArray(value)) {
    const prefix = (schema.prefixItems ?? []) as JsonSchema[];
    const items = schema.items as JsonSchema | undefined;
    return value.map((item, i) => {
      const itemSchema = prefix[i] ?? items;
      return itemSchema && typeof itemSchema === 'object' ? lowercaseUuids(item, itemSchema, defs, depth + 1) : item;
    });
  }
  if (typeof value === 'object') {
    const properties = (schema.properties ?? {}) as Record<string, JsonSchema>;
    const additional = schema.additionalProperties;
    const out: Record<string, unknown> = { ...(value as Record<string, unknown>) };
    for (const [key, item] of Object.entries(out)) {
      const itemSchema = properties[key] ?? (additional && typeof additional === 'object' ? (additional as JsonSchema) : undefined);
      if (itemSchema) out[key] = lowercaseUuids(item, itemSchema, defs, depth + 1);
    }
    return out;
  }
  return value;
}

const inputSchemas = new WeakMap<z.ZodType, JsonSchema>();
function inputSchemaOf(schema: z.ZodType): JsonSchema {
  let json = inputSchemas.get(schema);
  if (!json) {
    try {
      json = z.toJSONSchema(schema, { target: 'draft-2020-12', io: 'input', unrepresentable: 'any' }) as JsonSchema;
    } catch {
      json = {}; // a schema JSON Schema cannot express declares no UUIDs to normalise
    }
    inputSchemas.set(schema, json);
  }
  return json;
}

/** Validates a body, query or parameter against its contract schema; a failure names each bad field. */
@Injectable()
export class ZodPipe<S extends z.ZodType> implements PipeTransform<unknown, z.infer<S>> {
  constructor(
    /** Read by the OpenAPI completion (http/contract.ts), which documents exactly this schema. */
    readonly schema: S,
    private readonly where: 'body' | 'query' | 'parameter' = 'body',
  ) {}

  transform(value: unknown): z.infer<S> {
    if (this.where === 'body' && (value === undefined || value === null)) {
      throw Problem.validation([{ pointer: '', detail: 'a JSON body is required' }]);
    }
    const result = this.schema.safeParse(lowercaseUuids(value, inputSchemaOf(this.schema)));
    if (!result.success) {
      // Only rules JSON Schema cannot state are broken: the request matches its documented schema.
      if (result.error.issues.every((issue) => isBeyondSchema(issue))) {
        throw Problem.unprocessable(zodIssuesToFieldErrors(result.error), `The ${this.where} cannot be applied as it stands.`);
      }
      throw Problem.validation(zodIssuesToFieldErrors(result.error), `The ${this.where} is not valid.`);
    }
    return result.data;
  }
}

/**
 * Global pipe: a path parameter that is a UUID reaches every handler in lower case (see
 * lowercaseUuids), whatever case the client wrote it in.
 */
@Injectable()
export class LowercaseUuidParams implements PipeTransform {
  transform(value: unknown, metadata: ArgumentMetadata): unknown {
    if (metadata.type !== 'param') return value;
    const lower = (v: unknown) => (typeof v === 'string' && UUID.test(v) ? v.toLowerCase() : v);
    if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, lower(v)]));
    return lower(value);
  }
}

/**
 * A query parameter holding a comma-separated list of 1 to 20 values of an enum (`?status=open,late`;
 * white space and empty entries skipped). Its pattern says exactly that, so that the API document
 * does too; the items are still checked one by one, so that an error names the bad one.
 */
export function enumList<T extends z.ZodEnum<Record<string, string>>>(item: T) {
  const ws = `[${JS_WHITESPACE}]*`;
  const value = `(${item.options.map((o) => String(o).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|')})`;
  const pattern = new RegExp(`^${ws}(,${ws})*${value}(${ws}(,${ws})+${value}){0,19}${ws}(,${ws})*$`);
  return z
    .string()
    .meta({ pattern: pattern.source })
    .transform((v) => v.split(',').map((s) => s.trim()).filter(Boolean))
    .pipe(z.array(item).min(1).max(20));
}
