import { BaseConfig, type ServiceDefinition, auditTrailMigration, incidentAccessMigration } from '@vigil/platform';
import { TaskingModule } from './app.module';
import { Initial1764000000000 } from './persistence/migrations/1764000000000-initial';
import { LeanOutbox1764200000000 } from './persistence/migrations/1764200000000-lean-outbox';
import { MergedIncidents1764500000000 } from './persistence/migrations/1764500000000-merged-incidents';
import { JsonOutbox1764600000000 } from './persistence/migrations/1764600000000-json-outbox';
import { ActionItemTasks1765000000000 } from './persistence/migrations/1765000000000-action-item-tasks';
import { Task } from './persistence/task.entity';

export const service: ServiceDefinition<BaseConfig> = {
  info: {
    name: 'tasking',
    title: 'Vigil tasking',
    description: 'Creates response tasks from playbooks for each incident, per phase and role.',
    version: '0.1.0',
  },
  config: BaseConfig,
  entities: [Task],
  migrations: [Initial1764000000000, LeanOutbox1764200000000, MergedIncidents1764500000000, JsonOutbox1764600000000, auditTrailMigration('tasking'), incidentAccessMigration('tasking'), ActionItemTasks1765000000000],
  module: (platform) => TaskingModule.register(platform),
};
