import { Admin, Producer, stringSerializers } from '@platformatic/kafka';
import { allTopics, deadLetterTopicOf } from '@vigil/contracts';

export interface KafkaSettings {
  brokers: string[];
  clientId: string;
  /** TLS to the brokers (system CAs). */
  tls?: boolean;
  sasl?: { mechanism: 'PLAIN' | 'SCRAM-SHA-256' | 'SCRAM-SHA-512'; username: string; password: string };
}

/** Connection options every client of ours shares: TLS and SASL when configured. */
export function connectionOptions(settings: KafkaSettings) {
  return {
    bootstrapBrokers: settings.brokers,
    ...(settings.tls ? { tls: {} } : {}),
    ...(settings.sasl ? { sasl: settings.sasl } : {}),
  };
}

export interface TopicSettings {
  partitions: number;
  replicationFactor: number;
  minInsyncReplicas: number;
}

export type StringProducer = Producer<string, string, string, string>;

/** Idempotent producer with acks=all: together with the outbox, nothing accepted is lost. */
export function createProducer(settings: KafkaSettings): StringProducer {
  return new Producer({
    clientId: settings.clientId,
    ...connectionOptions(settings),
    serializers: stringSerializers,
    idempotent: true,
    acks: -1,
    autocreateTopics: false,
    retries: 5,
    retryDelay: 500,
  });
}

export function createAdmin(settings: KafkaSettings): Admin {
  return new Admin({ clientId: `${settings.clientId}-admin`, ...connectionOptions(settings), retries: 2 });
}

/** Every Vigil topic and its dead-letter topic. */
export function vigilTopics(): string[] {
  return allTopics.flatMap((t) => [t, deadLetterTopicOf(t)]);
}

/**
 * Creates the given topics (topics are never auto-created). Idempotent: existing topics are left
 * as they are. Returns the topics that were created.
 */
export async function provisionTopics(admin: Admin, topics: string[], settings: TopicSettings): Promise<string[]> {
  const existing = new Set(await admin.listTopics());
  const missing = topics.filter((t) => !existing.has(t));
  if (missing.length === 0) return [];
  await admin.createTopics({
    topics: missing,
    partitions: settings.partitions,
    replicas: settings.replicationFactor,
    configs: [{ name: 'min.insync.replicas', value: String(settings.minInsyncReplicas) }],
  });
  return missing;
}

/** A cheap broker round trip for readiness checks. */
export async function pingKafka(admin: Admin, timeoutMs = 2000): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      admin.metadata({ topics: [], forceUpdate: true }),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`Kafka did not answer within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
