import { Module, type DynamicModule } from '@nestjs/common';
import { IncidentMergedV1, IncidentOpenedV1, Topics } from '@vigil/contracts';
import { eventConsumerProvider, withIncidentAccess } from '@vigil/platform';
import { DEFAULT_PLAYBOOK } from './playbooks/default-playbook';
import { CreateTasksFromPlaybookHandler } from './playbooks/create-tasks-from-playbook/create-tasks-from-playbook.handler';
import { CancelTasksOfMergedIncidentsHandler } from './tasks/cancel-tasks-of-merged-incidents/cancel-tasks-of-merged-incidents.handler';
import { IncidentTasksController } from './tasks/incident-tasks.controller';

@Module({})
export class TaskingModule {
  static register(platform: DynamicModule): DynamicModule {
    return {
      module: TaskingModule,
      imports: [platform],
      controllers: [IncidentTasksController],
      providers: [
        { provide: CreateTasksFromPlaybookHandler, useValue: new CreateTasksFromPlaybookHandler(DEFAULT_PLAYBOOK) },
        CancelTasksOfMergedIncidentsHandler,
        eventConsumerProvider({
          topics: [Topics.incidents],
          inject: [CreateTasksFromPlaybookHandler, CancelTasksOfMergedIncidentsHandler],
          handlers: (createTasks: CreateTasksFromPlaybookHandler, cancelTasks: CancelTasksOfMergedIncidentsHandler) =>
            withIncidentAccess('tasking', {
              [IncidentOpenedV1.type]: (event, manager) => createTasks.handle(event, manager),
              [IncidentMergedV1.type]: (event, manager) => cancelTasks.handle(event, manager),
            }),
        }),
      ],
    };
  }
}
