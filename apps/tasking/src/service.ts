import { inboxPruningMigration } from '@vigil/messaging';
import { auditTrailMigration, incidentAccessMigration, type ServiceDefinition } from '@vigil/platform';
import { TaskingModule } from './app.module';
import { TaskingConfig } from './config';
import { Initial1764000000000 } from './persistence/migrations/1764000000000-initial';
import { LeanOutbox1764200000000 } from './persistence/migrations/1764200000000-lean-outbox';
import { MergedIncidents1764500000000 } from './persistence/migrations/1764500000000-merged-incidents';
import { JsonOutbox1764600000000 } from './persistence/migrations/1764600000000-json-outbox';
import { ActionItemTasks1765000000000 } from './persistence/migrations/1765000000000-action-item-tasks';
import { OnCall1765100000000 } from './persistence/migrations/1765100000000-oncall';
import { Task } from './persistence/task.entity';

export const service: ServiceDefinition<TaskingConfig> = {
  info: {
    name: 'tasking',
    title: 'Vigil tasking',
    description: 'Creates response tasks from playbooks for each incident; keeps the response team, its on-call schedules and escalation policies, and escalates until someone acknowledges.',
    version: '0.1.0',
  },
  config: TaskingConfig,
  entities: [Task],
  migrations: [
    Initial1764000000000,
    LeanOutbox1764200000000,
    MergedIncidents1764500000000,
    JsonOutbox1764600000000,
    auditTrailMigration('tasking'),
    incidentAccessMigration('tasking'),
    inboxPruningMigration('tasking'),
    ActionItemTasks1765000000000,
    OnCall1765100000000,
  ],
  module: (platform) => TaskingModule.register(platform),
};
