/**
 * Topic names carry their contract version: a breaking change is a new topic, never an edit.
 * One topic per aggregate; alerts are keyed by dedup key, everything else by incident id,
 * so that per-incident order holds within a partition.
 */
export const Topics = {
  alerts: 'vigil.alerts.v1',
  incidents: 'vigil.incidents.v1',
  tasks: 'vigil.tasks.v1',
  comms: 'vigil.comms.v1',
  reviews: 'vigil.reviews.v1',
  /**
   * Escalations and the pages they request (tasking → comms, reporting), keyed by incident id.
   * Their own topic rather than vigil.tasks.v1: a page carries a person's contact details
   * (personal data), so this topic can have tighter ACLs and a shorter retention than tasks, and
   * the consumers of tasks need not read pages.
   */
  escalations: 'vigil.escalations.v1',
} as const;

export type TopicName = (typeof Topics)[keyof typeof Topics];

/** Messages that keep failing after bounded retries are parked here with the error. */
export function deadLetterTopicOf(topic: string): string {
  return `${topic}.dlq`;
}

export const allTopics: readonly TopicName[] = Object.values(Topics);
