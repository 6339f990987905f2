import { z } from 'zod';
import type { TopicName } from '../topics';

/**
 * One event contract: its CloudEvents type, the topic it travels on and the schema of its data.
 * The schema is the single source of the TypeScript type, the runtime validation and the JSON Schema.
 */
export interface EventDefinition<TType extends string = string, TSchema extends z.ZodType = z.ZodType> {
  readonly type: TType;
  readonly topic: TopicName;
  readonly schema: TSchema;
}

export type EventData<E extends EventDefinition> = z.infer<E['schema']>;

export function defineEvent<TType extends string, TSchema extends z.ZodType>(
  type: TType,
  topic: TopicName,
  schema: TSchema,
): EventDefinition<TType, TSchema> {
  if (!/^vigil\.[a-z-]+\.[a-z-]+\.v\d+$/.test(type)) {
    throw new Error(`event type ${type} does not follow vigil.<aggregate>.<what-happened>.v<N>`);
  }
  return { type, topic, schema };
}
