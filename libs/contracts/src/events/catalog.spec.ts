import { Topics, allTopics } from '../topics';
import { EventCatalog, eventJsonSchema, findEventDefinition } from './catalog';

const definitions = Object.values(EventCatalog);

describe(eventJsonSchema.name, () => {
  it.each(definitions.map((d) => [d.type, d] as const))('yields a draft 2020-12 JSON Schema of an object for %s', (_, definition) => {
    const schema = eventJsonSchema(definition);
    expect(schema.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
    expect(schema.type).toBe('object');
    expect(Object.keys(schema.properties as object).length).toBeGreaterThan(0);
  });

  it.each(definitions.map((d) => [d.type, d] as const))('lists as required exactly the fields %s cannot do without', (_, definition) => {
    const schema = eventJsonSchema(definition);
    const shape = (definition.schema as unknown as { shape: Record<string, { safeParse(v: unknown): { success: boolean } }> }).shape;
    const required = Object.keys(shape).filter((key) => !shape[key].safeParse(undefined).success);
    expect([...((schema.required as string[] | undefined) ?? [])].sort()).toEqual(required.sort());
  });
});

describe('EventCatalog', () => {
  it.each(Object.entries(EventCatalog))('files %s under its own type', (type, definition) => {
    expect(definition.type).toBe(type);
  });

  it.each(definitions.map((d) => [d.type, d.topic] as const))('routes %s to a known topic (%s)', (_, topic) => {
    expect(allTopics).toContain(topic);
  });

  it('routes each aggregate to its own topic', () => {
    const aggregateOf = (type: string) => type.split('.')[1];
    const expected: Record<string, string> = {
      alert: Topics.alerts,
      incident: Topics.incidents,
      task: Topics.tasks,
      notification: Topics.comms,
      escalation: Topics.escalations,
      message: Topics.comms,
      decision: Topics.comms,
      obligation: Topics.comms,
      'status-update': Topics.comms,
      review: Topics.reviews,
    };
    for (const definition of definitions.filter((d) => aggregateOf(d.type) !== 'page')) expect(definition.topic).toBe(expected[aggregateOf(definition.type)]);
  });

  it('puts a page request on the escalations topic and its outcome on the topic of comms, which delivers it (one producer per topic)', () => {
    const pages = Object.fromEntries(definitions.filter((d) => d.type.startsWith('vigil.page.')).map((d) => [d.type, d.topic]));
    expect(pages).toEqual({
      'vigil.page.requested.v1': Topics.escalations,
      'vigil.page.delivered.v1': Topics.comms,
      'vigil.page.failed.v1': Topics.comms,
    });
  });
});

describe(findEventDefinition.name, () => {
  it.each(Object.keys(EventCatalog))('finds %s', (type) => {
    expect(findEventDefinition(type)).toBe(EventCatalog[type as keyof typeof EventCatalog]);
  });

  it.each(['vigil.alert.received.v2', 'VIGIL.ALERT.RECEIVED.V1', ''])('finds nothing for %p', (type) => {
    expect(findEventDefinition(type)).toBeUndefined();
  });
});
