import { createEvent, type EventData, type EventDefinition } from '@vigil/contracts';
import { enqueueEvent } from '@vigil/messaging';
import type { EntityManager } from 'typeorm';

/** Records a comms event in the caller's transaction, keyed by its incident. */
export async function emit<E extends EventDefinition>(manager: EntityManager, definition: E, incidentId: string, data: EventData<E>, time?: Date): Promise<void> {
  const event = createEvent(definition, { source: '/vigil/comms', subject: incidentId, data, time });
  await enqueueEvent(manager, 'comms', event, { topic: definition.topic, key: incidentId });
}
