import type { Admin } from '@platformatic/kafka';
import { createAdmin, createProducer, OutboxRelay, pingKafka, provisionTopics, vigilTopics, type KafkaSettings, type StringProducer } from '@vigil/messaging';
import type { Logger } from 'pino';
import type { DataSource } from 'typeorm';
import type { BaseConfig } from './config';
import { DependencyMonitor } from './dependencies';
import { runMigrationsExclusively } from './persistence';
import { inboxPruneTarget, RetentionJob, type PruneTarget } from './retention';

/** Kafka connection settings from the validated configuration: brokers, client id, TLS, SASL. */
export function kafkaSettingsOf(
  config: Pick<BaseConfig, 'KAFKA_BROKERS' | 'KAFKA_CLIENT_ID' | 'KAFKA_TLS' | 'KAFKA_SASL_MECHANISM' | 'KAFKA_SASL_USERNAME' | 'KAFKA_SASL_PASSWORD'>,
  defaultClientId: string,
): KafkaSettings {
  return {
    brokers: config.KAFKA_BROKERS,
    clientId: config.KAFKA_CLIENT_ID ?? defaultClientId,
    tls: config.KAFKA_TLS,
    sasl: config.KAFKA_SASL_MECHANISM
      ? {
          mechanism: config.KAFKA_SASL_MECHANISM.toUpperCase() as 'PLAIN' | 'SCRAM-SHA-256' | 'SCRAM-SHA-512',
          username: config.KAFKA_SASL_USERNAME!,
          password: config.KAFKA_SASL_PASSWORD!,
        }
      : undefined,
  };
}

/** `promise`, or a rejection once `ms` have passed (what it was doing goes on, unheeded). */
function withinMs<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * What every service holds at run time: its DataSource, a Kafka producer and admin client, the
 * outbox relay, the retention job and the dependency monitor. Created once at boot; closed in
 * order at shutdown.
 */
export class ServiceRuntime {
  readonly kafka: KafkaSettings;
  readonly producer: StringProducer;
  readonly admin: Admin;
  readonly relay: OutboxRelay;
  readonly retention: RetentionJob;
  readonly dependencies: DependencyMonitor;

  constructor(
    readonly service: string,
    readonly config: BaseConfig,
    readonly dataSource: DataSource,
    readonly logger: Logger,
    /** Tables to prune beside the inbox (ServiceDefinition.retention). */
    retention: PruneTarget[] = [],
  ) {
    this.kafka = kafkaSettingsOf(config, `vigil-${service}`);
    this.producer = createProducer(this.kafka);
    this.admin = createAdmin(this.kafka);
    this.relay = new OutboxRelay({
      dataSource,
      databaseUrl: config.DATABASE_URL,
      schema: service,
      producer: this.producer,
      logger: logger.child({ component: 'outbox-relay' }),
    });
    this.retention = new RetentionJob({
      dataSource,
      schema: service,
      targets: [inboxPruneTarget(service, config.PRUNE_AFTER_HOURS * 3_600_000), ...retention],
      intervalMs: config.PRUNE_INTERVAL_SECONDS * 1000,
      batchSize: config.PRUNE_BATCH_SIZE,
      logger: logger.child({ component: 'retention' }),
    });
    this.dependencies = new DependencyMonitor({
      database: () => withinMs(this.dataSource.query('SELECT 1'), 2000),
      // Well within a readiness probe's timeout, with the database asked at the same time.
      kafka: () => pingKafka(this.admin, 1000),
    });
  }

  /** Background work that starts once the application has booted. */
  start(): void {
    this.relay.start();
    this.retention.start();
    this.dependencies.start();
  }

  /** Connects to the database (waiting for it a while), then runs migrations and creates topics if configured. */
  async prepare(): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.dataSource.initialize();
        break;
      } catch (error) {
        if (attempt >= 30) throw error;
        this.logger.warn({ err: error, attempt }, 'database not reachable yet, retrying');
        await new Promise((r) => setTimeout(r, 1000));
      }
    }
    if (this.config.MIGRATIONS_RUN) {
      const ran = await runMigrationsExclusively(this.dataSource, this.service);
      this.logger.info({ migrations: ran }, `migrations: ${ran.length} applied`);
    }
    if (this.config.KAFKA_TOPICS_CREATE) {
      const created = await provisionTopics(this.admin, vigilTopics(), {
        partitions: this.config.KAFKA_TOPIC_PARTITIONS,
        replicationFactor: this.config.KAFKA_REPLICATION_FACTOR,
        minInsyncReplicas: this.config.KAFKA_MIN_INSYNC_REPLICAS,
        deadLetterRetentionMs: this.config.KAFKA_DLQ_RETENTION_MS,
      });
      if (created.length) this.logger.info({ topics: created }, 'topics created');
    }
  }

  async close(): Promise<void> {
    this.dependencies.stop();
    await this.retention.stop();
    await this.relay.stop();
    await this.producer.close().catch(() => undefined);
    await this.admin.close().catch(() => undefined);
    if (this.dataSource.isInitialized) await this.dataSource.destroy();
  }
}
