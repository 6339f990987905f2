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
import { Playbooks1765300000000 } from './persistence/migrations/1765300000000-playbooks';
import { ResponseActions1765400000000 } from './persistence/migrations/1765400000000-response-actions';
import { ActionDecisions1765600000000 } from './persistence/migrations/1765600000000-action-decisions';
import { registerYamlBodyParser } from './playbooks/manage-playbooks/yaml-body';
import { Task } from './persistence/task.entity';

export const service: ServiceDefinition<TaskingConfig> = {
  info: {
    name: 'tasking',
    title: 'Vigil tasking',
    description: 'Keeps versioned response playbooks and creates each incident\'s tasks from its playbook, with dependencies and SLAs; keeps the response team, its on-call schedules and escalation policies, and escalates until someone acknowledges; runs response actions through connectors behind approvals.',
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
    Playbooks1765300000000,
    ResponseActions1765400000000,
    ActionDecisions1765600000000,
  ],
  module: (platform) => TaskingModule.register(platform),
  // Playbook import takes YAML; every other route takes JSON only.
  configure: async (app) => registerYamlBodyParser(app),
};
