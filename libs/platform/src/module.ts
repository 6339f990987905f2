import {
  Controller,
  Get,
  Injectable,
  Module,
  type BeforeApplicationShutdown,
  type DynamicModule,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
  type Provider,
} from '@nestjs/common';
import { APP_GUARD, APP_INTERCEPTOR } from '@nestjs/core';
import { ApiExcludeController } from '@nestjs/swagger';
import { EventConsumer, type ConsumerHandlers } from '@vigil/messaging';
import type { Logger } from 'pino';
import { DataSource } from 'typeorm';
import type { BaseConfig } from './config';
import { auditController } from './audit/audit.controller';
import { AuditInterceptor } from './audit/audit.interceptor';
import { AuditTrail } from './audit/audit-trail';
import { AccessGuard } from './auth/access.guard';
import { Public } from './auth/decorators';
import { TokenVerifier } from './auth/token-verifier';
import { Problem } from './http/problem';
import type { PruneTarget } from './retention';
import { ServiceRuntime } from './runtime';

export const CONFIG = Symbol('vigil.config');
export const LOGGER = Symbol('vigil.logger');

@ApiExcludeController()
@Public('health')
@Controller('health')
class HealthController {
  constructor(private readonly runtime: ServiceRuntime) {}

  /** The process is up; says nothing of its dependencies (a failing dependency must not restart pods). */
  @Get('live')
  live() {
    return { status: 'ok', service: this.runtime.service };
  }

  /**
   * Ready to take traffic: the service can serve when its database answers. Kafka is reported but
   * does not decide: every service's writes wait in its outbox while Kafka is away, and its
   * consumer catches up when it is back, so taking pods out of the load balancer would only turn
   * a delay into an outage. Only states, never a check's error text.
   */
  @Get('ready')
  async ready() {
    const checks = await this.runtime.dependencies.check();
    if (checks.database !== 'ok') throw new Problem(503, 'Service unavailable', 'Not ready: the database does not answer.', { checks }, { 'retry-after': '5' });
    return { status: checks.kafka === 'ok' ? 'ok' : 'degraded', service: this.runtime.service, checks };
  }
}

@Injectable()
class RuntimeLifecycle implements OnApplicationBootstrap, OnApplicationShutdown {
  constructor(private readonly runtime: ServiceRuntime) {}
  onApplicationBootstrap() {
    this.runtime.start();
  }
  async onApplicationShutdown() {
    await this.runtime.close();
  }
}

export interface PlatformOptions {
  service: string;
  config: BaseConfig;
  logger: Logger;
  dataSource: DataSource;
  /** Tables to prune beside the inbox. */
  retention?: PruneTarget[];
}

/** Shared runtime for a service: config, logger, DataSource, Kafka, outbox relay, health routes. */
@Module({})
export class PlatformModule {
  static forRoot(options: PlatformOptions): DynamicModule {
    const runtimeProvider: Provider = {
      provide: ServiceRuntime,
      useFactory: async () => {
        const runtime = new ServiceRuntime(options.service, options.config, options.dataSource, options.logger, options.retention);
        await runtime.prepare();
        return runtime;
      },
    };
    return {
      module: PlatformModule,
      global: true,
      controllers: [HealthController, auditController(options.service)],
      providers: [
        { provide: CONFIG, useValue: options.config },
        { provide: LOGGER, useValue: options.logger },
        runtimeProvider,
        { provide: DataSource, useFactory: (r: ServiceRuntime) => r.dataSource, inject: [ServiceRuntime] },
        RuntimeLifecycle,
        { provide: TokenVerifier, useValue: new TokenVerifier(options.config) },
        {
          provide: AuditTrail,
          inject: [ServiceRuntime],
          useFactory: (r: ServiceRuntime) => {
            const trail = new AuditTrail(r.dataSource, options.service, options.logger.child({ component: 'audit' }));
            trail.attach();
            return trail;
          },
        },
        { provide: APP_GUARD, useClass: AccessGuard },
        { provide: APP_INTERCEPTOR, useClass: AuditInterceptor },
      ],
      exports: [CONFIG, LOGGER, ServiceRuntime, DataSource, TokenVerifier, AuditTrail],
    };
  }
}

class ConsumerHost implements OnApplicationBootstrap, BeforeApplicationShutdown {
  constructor(readonly consumer: EventConsumer) {}
  async onApplicationBootstrap() {
    await this.consumer.start();
  }
  /** Before the database closes: finish the message in hand and commit its offset. */
  async beforeApplicationShutdown() {
    await this.consumer.stop();
  }
}

export const EVENT_CONSUMER = Symbol('vigil.event-consumer');

/**
 * Registers the service's Kafka consumer: handlers (registrations made with `on`/`onRun`, or the
 * older record by event type), built from injected providers. Started after the application
 * boots, stopped before the runtime closes. The group is `vigil-<service>` unless
 * `CONSUMER_GROUP_ID` (or `groupId`) says otherwise; the inbox is always the service's own
 * (`vigil-<service>`), so a replay into a fresh group applies nothing twice.
 */
export function eventConsumerProvider(options: {
  topics: string[];
  inject: (Function | symbol)[];
  handlers: (...deps: never[]) => ConsumerHandlers;
  /** A group id of its own, over `CONSUMER_GROUP_ID` (tests, replays). */
  groupId?: string;
}): Provider {
  return {
    provide: EVENT_CONSUMER,
    inject: [ServiceRuntime, ...(options.inject as never[])],
    useFactory: (runtime: ServiceRuntime, ...deps: never[]) =>
      new ConsumerHost(
        new EventConsumer({
          kafka: runtime.kafka,
          groupId: options.groupId ?? runtime.config.CONSUMER_GROUP_ID ?? `vigil-${runtime.service}`,
          inboxConsumer: `vigil-${runtime.service}`,
          topics: options.topics,
          handlers: options.handlers(...deps),
          dataSource: runtime.dataSource,
          schema: runtime.service,
          producer: runtime.producer,
          logger: runtime.logger.child({ component: 'consumer' }),
          concurrency: runtime.config.CONSUMER_CONCURRENCY,
          maxRunSize: runtime.config.CONSUMER_RUN_SIZE,
        }),
      ),
  };
}
