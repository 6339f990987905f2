import { Admin, ConfigResourceTypes, IncrementalAlterConfigOperationTypes, Producer, stringSerializers } from '@platformatic/kafka';
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
  /** How long dead letters are kept (`retention.ms` of every `.dlq` topic); default DLQ_RETENTION_MS. */
  deadLetterRetentionMs?: number;
}

/**
 * Dead letters are kept 30 days by default: long enough to notice, fix the cause and redrive
 * (`npm run dlq`) after a long weekend or a holiday, and explicit rather than whatever the broker's
 * default happens to be (7 days out of the box).
 */
export const DLQ_RETENTION_MS = 30 * 24 * 60 * 60 * 1000;

const isDeadLetterTopic = (topic: string) => topic.endsWith('.dlq');

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
 * Creates the given topics (topics are never auto-created). Idempotent: existing topics keep their
 * partitions and settings, except that every dead-letter topic gets its retention set (again), so
 * that an upgrade gives topics created before it the same explicit retention. Returns the topics
 * that were created.
 */
export async function provisionTopics(admin: Admin, topics: string[], settings: TopicSettings): Promise<string[]> {
  const existing = new Set(await admin.listTopics());
  const missing = topics.filter((t) => !existing.has(t));
  const retentionMs = String(settings.deadLetterRetentionMs ?? DLQ_RETENTION_MS);
  const common = [{ name: 'min.insync.replicas', value: String(settings.minInsyncReplicas) }];
  for (const [group, configs] of [
    [missing.filter((t) => !isDeadLetterTopic(t)), common],
    [missing.filter(isDeadLetterTopic), [...common, { name: 'retention.ms', value: retentionMs }]],
  ] as const) {
    if (group.length === 0) continue;
    await admin.createTopics({ topics: [...group], partitions: settings.partitions, replicas: settings.replicationFactor, configs: [...configs] });
  }
  const deadLetterTopics = topics.filter((t) => existing.has(t) && isDeadLetterTopic(t));
  if (deadLetterTopics.length) {
    await admin.incrementalAlterConfigs({
      resources: deadLetterTopics.map((topic) => ({
        resourceType: ConfigResourceTypes.TOPIC,
        resourceName: topic,
        configs: [{ name: 'retention.ms', configOperation: IncrementalAlterConfigOperationTypes.SET, value: retentionMs }],
      })),
    });
  }
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
