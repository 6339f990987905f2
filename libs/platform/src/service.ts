import type { DynamicModule } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createLogger } from '@vigil/telemetry';
import type { EntitySchema, MixedList } from 'typeorm';
import type { z } from 'zod';
import { startService, type ServiceInfo } from './bootstrap';
import { BaseConfig, loadConfigOrExit } from './config';
import { PlatformModule } from './module';
import { createServiceDataSource, runMigrationsExclusively } from './persistence';
import type { PruneTarget } from './retention';

const MigrationConfig = BaseConfig.pick({ DATABASE_URL: true, DATABASE_POOL_SIZE: true, LOG_LEVEL: true });

/** Everything that makes one Vigil service: its identity, configuration, tables and Nest module. */
export interface ServiceDefinition<C extends BaseConfig> {
  info: ServiceInfo;
  config: z.ZodType<C>;
  entities: MixedList<Function | string | EntitySchema>;
  migrations: MixedList<Function | string>;
  /** The app module, given the platform module to import and the validated config. */
  module: (platform: DynamicModule, config: C) => DynamicModule;
  /** Tables of this service to prune beside its inbox (e.g. intake's idempotency keys). */
  retention?: (config: C) => PruneTarget[];
  /** Fastify plugins and the like, registered after the app is created and before it listens. */
  configure?: (app: NestFastifyApplication, config: C) => Promise<void>;
}

type DataSourceConfig = Pick<BaseConfig, 'DATABASE_URL' | 'DATABASE_POOL_SIZE'> &
  Partial<Pick<BaseConfig, 'DATABASE_STATEMENT_TIMEOUT_MS' | 'DATABASE_LOCK_TIMEOUT_MS' | 'DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS'>>;

function dataSourceFor<C extends BaseConfig>(definition: ServiceDefinition<C>, config: DataSourceConfig) {
  return createServiceDataSource({
    url: config.DATABASE_URL,
    schema: definition.info.name,
    entities: definition.entities,
    migrations: definition.migrations,
    poolSize: config.DATABASE_POOL_SIZE,
    timeouts:
      config.DATABASE_STATEMENT_TIMEOUT_MS === undefined
        ? undefined
        : {
            statementMs: config.DATABASE_STATEMENT_TIMEOUT_MS,
            lockMs: config.DATABASE_LOCK_TIMEOUT_MS ?? 0,
            idleInTransactionMs: config.DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS ?? 0,
          },
  });
}

/** Entry point of a service process (main.ts). Exits non-zero on a bad config or a failed start. */
export async function runService<C extends BaseConfig>(definition: ServiceDefinition<C>): Promise<void> {
  const config = loadConfigOrExit(definition.info.name, definition.config);
  const logger = createLogger(definition.info.name, config.LOG_LEVEL);
  const dataSource = dataSourceFor(definition, config);
  const platform = PlatformModule.forRoot({
    service: definition.info.name,
    config,
    logger,
    dataSource,
    retention: definition.retention?.(config) ?? [],
  });
  try {
    await startService(definition.info, definition.module(platform, config), config, logger, (app) => definition.configure?.(app, config));
  } catch (error) {
    const e = error as NodeJS.ErrnoException;
    const hint = e.code === 'EADDRINUSE' ? ` — port ${config.PORT} is in use; set PORT to a free one` : '';
    logger.fatal({ err: error }, `vigil-${definition.info.name} failed to start${hint}`);
    process.stderr.write(`vigil-${definition.info.name} failed to start: ${e.message}${hint}\n`);
    process.exit(1);
  }
}

/** Runs a service's pending migrations and exits (the `migrate` Nx target and the Helm hook). */
export async function migrateService<C extends BaseConfig>(definition: ServiceDefinition<C>): Promise<void> {
  // Migrations need the database only: no port or broker has to be configured to run them.
  const config = loadConfigOrExit(definition.info.name, MigrationConfig);
  const logger = createLogger(definition.info.name, config.LOG_LEVEL);
  // Only its settings are used: migrations run on a DataSource of their own, without the session limits.
  const dataSource = dataSourceFor(definition, config);
  try {
    const ran = await runMigrationsExclusively(dataSource, definition.info.name);
    logger.info({ migrations: ran }, `vigil-${definition.info.name}: ${ran.length} migration(s) applied`);
  } catch (error) {
    logger.fatal({ err: error }, `vigil-${definition.info.name}: migrations failed`);
    process.exit(1);
  }
}
