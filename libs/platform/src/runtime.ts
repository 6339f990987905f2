import type { Admin } from '@platformatic/kafka';
import { createAdmin, createProducer, OutboxRelay, provisionTopics, vigilTopics, type KafkaSettings, type StringProducer } from '@vigil/messaging';
import type { Logger } from 'pino';
import type { DataSource } from 'typeorm';
import type { BaseConfig } from './config';
import { runMigrationsExclusively } from './persistence';

/**
 * What every service holds at run time: its DataSource, a Kafka producer and admin client, and
 * the outbox relay. Created once at boot; closed in order at shutdown.
 */
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

export class ServiceRuntime {
  readonly kafka: KafkaSettings;
  readonly producer: StringProducer;
  readonly admin: Admin;
  readonly relay: OutboxRelay;

  constructor(
    readonly service: string,
    readonly config: BaseConfig,
    readonly dataSource: DataSource,
    readonly logger: Logger,
    /** false: readiness reports Kafka but does not fail on it (a service whose outbox buffers). */
    readonly kafkaRequiredForReadiness = true,
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
    await this.relay.stop();
    await this.producer.close().catch(() => undefined);
    await this.admin.close().catch(() => undefined);
    if (this.dataSource.isInitialized) await this.dataSource.destroy();
  }
}
