import { Injectable, type OnModuleInit } from '@nestjs/common';
import { LOGGER } from '@vigil/platform';
import { Inject } from '@nestjs/common';
import type { Logger } from 'pino';
import { DataSource } from 'typeorm';
import { seedShippedPlaybooks } from './playbook-store';
import { loadShippedPlaybooks } from './shipped-playbooks';

/**
 * Loads the shipped playbooks at start, before the consumer reads its first incident (module init
 * runs before application bootstrap, where the consumer starts): a new key becomes version 1.
 */
@Injectable()
export class SeedPlaybooks implements OnModuleInit {
  constructor(
    private readonly dataSource: DataSource,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async onModuleInit(): Promise<void> {
    const playbooks = loadShippedPlaybooks();
    const seeded = await this.dataSource.transaction((manager) => seedShippedPlaybooks(manager, playbooks));
    if (seeded.length) this.logger.info({ playbooks: seeded }, 'shipped playbooks loaded');
  }
}
