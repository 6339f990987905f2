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
} as const;

export type TopicName = (typeof Topics)[keyof typeof Topics];

/** Messages that keep failing after bounded retries are parked here with the error. */
export function deadLetterTopicOf(topic: string): string {
  return `${topic}.dlq`;
}

export const allTopics: readonly TopicName[] = Object.values(Topics);
