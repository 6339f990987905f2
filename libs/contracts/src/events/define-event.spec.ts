import { z } from 'zod';
import { Topics } from '../topics';
import { defineEvent } from './define-event';

describe(defineEvent.name, () => {
  const schema = z.object({ id: z.string() });

  it.each(['vigil.alert.received.v1', 'vigil.incident.alert-attached.v1', 'vigil.incident.phase-changed.v12'])(
    'accepts the well-named type %s and keeps type, topic and schema',
    (type) => {
      expect(defineEvent(type, Topics.incidents, schema)).toEqual({ type, topic: Topics.incidents, schema });
    },
  );

  it.each([
    ['no vigil prefix', 'acme.alert.received.v1'],
    ['no version', 'vigil.alert.received'],
    ['a version without a number', 'vigil.alert.received.vX'],
    ['a version without v', 'vigil.alert.received.1'],
    ['upper case', 'vigil.Alert.received.v1'],
    ['underscores', 'vigil.alert.was_received.v1'],
    ['a missing aggregate', 'vigil.received.v1'],
    ['an extra segment', 'vigil.alert.received.now.v1'],
    ['digits in the name', 'vigil.alert2.received.v1'],
    ['trailing text', 'vigil.alert.received.v1-beta'],
    ['an empty string', ''],
  ])('rejects a type with %s (%s), naming it', (_, type) => {
    expect(() => defineEvent(type, Topics.alerts, schema)).toThrow(
      `event type ${type} does not follow vigil.<aggregate>.<what-happened>.v<N>`,
    );
  });
});
