import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { findEventDefinition } from './events/catalog';
import type { EventData, EventDefinition } from './events/define-event';

/**
 * CloudEvents 1.0 in Kafka binary content mode: attributes travel as `ce_*` headers,
 * the record value is the JSON data alone. See docs/adr/0002-cloudevents-envelope.md.
 */
export interface CloudEvent<T = unknown> {
  specversion: '1.0';
  id: string;
  type: string;
  source: string;
  time: string;
  subject: string;
  datacontenttype: 'application/json';
  data: T;
}

export const CloudEventHeaders = {
  specversion: 'ce_specversion',
  id: 'ce_id',
  type: 'ce_type',
  source: 'ce_source',
  time: 'ce_time',
  subject: 'ce_subject',
  contentType: 'content-type',
} as const;

/** Thrown when a message breaks its contract: it will never succeed, so it is not retried. */
export class ContractViolation extends Error {
  override readonly name: string = 'ContractViolation';
  constructor(
    message: string,
    readonly issues: string[] = [],
  ) {
    super(issues.length ? `${message}: ${issues.join('; ')}` : message);
  }
}

/**
 * A well-formed envelope whose type this build's catalog does not know: a newer producer during a
 * rolling upgrade, most likely. Not the message's fault, and nothing this consumer could apply.
 */
export class UnknownEventType extends ContractViolation {
  override readonly name = 'UnknownEventType';
  constructor(readonly type: string) {
    super(`unknown event type ${type}`);
  }
}

export function formatIssues(error: z.ZodError): string[] {
  return error.issues.map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`);
}

/** Builds an event, validating its data on the producing side. */
export function createEvent<E extends EventDefinition>(
  definition: E,
  init: { source: string; subject: string; data: EventData<E>; id?: string; time?: Date },
): CloudEvent<EventData<E>> {
  const parsed = definition.schema.safeParse(init.data);
  if (!parsed.success) {
    throw new ContractViolation(`data of ${definition.type} is invalid`, formatIssues(parsed.error));
  }
  return {
    specversion: '1.0',
    id: init.id ?? randomUUID(),
    type: definition.type,
    source: init.source,
    time: (init.time ?? new Date()).toISOString(),
    subject: init.subject,
    datacontenttype: 'application/json',
    data: parsed.data as EventData<E>,
  };
}

export function toKafkaHeaders(event: CloudEvent): Record<string, string> {
  return {
    [CloudEventHeaders.specversion]: event.specversion,
    [CloudEventHeaders.id]: event.id,
    [CloudEventHeaders.type]: event.type,
    [CloudEventHeaders.source]: event.source,
    [CloudEventHeaders.time]: event.time,
    [CloudEventHeaders.subject]: event.subject,
    [CloudEventHeaders.contentType]: event.datacontenttype,
  };
}

/**
 * Decodes and validates a record on the consuming side. Anything that breaks the contract
 * (missing attribute, bad JSON, data not matching the schema) is a ContractViolation; a type not
 * in the catalog is an UnknownEventType (a ContractViolation too, for callers that do not care).
 */
export function decodeEvent(headers: ReadonlyMap<string, string> | Record<string, string>, value: Buffer | string | null): CloudEvent {
  const get = (name: string): string | undefined =>
    headers instanceof Map ? headers.get(name) : (headers as Record<string, string>)[name];
  const missing = (['specversion', 'id', 'type', 'source', 'time', 'subject'] as const).filter(
    (k) => !get(CloudEventHeaders[k]),
  );
  if (missing.length) {
    throw new ContractViolation('not a CloudEvent', missing.map((k) => `header ${CloudEventHeaders[k]} is missing`));
  }
  if (get(CloudEventHeaders.specversion) !== '1.0') {
    throw new ContractViolation(`unsupported CloudEvents specversion ${get(CloudEventHeaders.specversion)}`);
  }
  const type = get(CloudEventHeaders.type)!;
  const definition = findEventDefinition(type);
  if (!definition) throw new UnknownEventType(type);
  let json: unknown;
  try {
    json = JSON.parse(value === null ? '' : value.toString());
  } catch (error) {
    throw new ContractViolation(`data of ${type} is not JSON`, [(error as Error).message]);
  }
  const parsed = definition.schema.safeParse(json);
  if (!parsed.success) throw new ContractViolation(`data of ${type} is invalid`, formatIssues(parsed.error));
  return {
    specversion: '1.0',
    id: get(CloudEventHeaders.id)!,
    type,
    source: get(CloudEventHeaders.source)!,
    time: get(CloudEventHeaders.time)!,
    subject: get(CloudEventHeaders.subject)!,
    datacontenttype: 'application/json',
    data: parsed.data,
  };
}

/** Narrows a decoded event to one definition. */
export function isEvent<E extends EventDefinition>(event: CloudEvent, definition: E): event is CloudEvent<EventData<E>> {
  return event.type === definition.type;
}
