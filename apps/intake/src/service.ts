import { BaseConfig, type ServiceDefinition } from '@vigil/platform';
import { IntakeModule } from './app.module';
import { AlertRecord } from './persistence/alert.entity';
import { Initial1764000000000 } from './persistence/migrations/1764000000000-initial';

export const service: ServiceDefinition<BaseConfig> = {
  info: {
    name: 'intake',
    title: 'Vigil intake',
    description: 'Takes alerts in from detection tools and hands them to triage over Kafka.',
    version: '0.1.0',
  },
  config: BaseConfig,
  entities: [AlertRecord],
  migrations: [Initial1764000000000],
  module: (platform) => IntakeModule.register(platform),
};
