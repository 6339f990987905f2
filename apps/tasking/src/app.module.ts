import { Module, type DynamicModule } from '@nestjs/common';
import { IncidentMergedV1, IncidentOpenedV1, ReviewActionItemAddedV1, Topics } from '@vigil/contracts';
import { eventConsumerProvider, withIncidentAccess } from '@vigil/platform';
import { DEFAULT_PLAYBOOK } from './playbooks/default-playbook';
import { CreateTasksFromPlaybookHandler } from './playbooks/create-tasks-from-playbook/create-tasks-from-playbook.handler';
import { CreateTasksFromActionItemsHandler } from './review-actions/create-tasks-from-action-items/create-tasks-from-action-items.handler';
import { CancelTasksOfMergedIncidentsHandler } from './tasks/cancel-tasks-of-merged-incidents/cancel-tasks-of-merged-incidents.handler';
import { CompleteTaskController } from './tasks/complete-task/complete-task.controller';
import { IncidentTasksController } from './tasks/incident-tasks.controller';

@Module({})
export class TaskingModule {
  static register(platform: DynamicModule): DynamicModule {
    return {
      module: TaskingModule,
      imports: [platform],
      controllers: [IncidentTasksController, CompleteTaskController],
      providers: [
        { provide: CreateTasksFromPlaybookHandler, useValue: new CreateTasksFromPlaybookHandler(DEFAULT_PLAYBOOK) },
        CancelTasksOfMergedIncidentsHandler,
        CreateTasksFromActionItemsHandler,
        eventConsumerProvider({
          topics: [Topics.incidents, Topics.reviews],
          inject: [CreateTasksFromPlaybookHandler, CancelTasksOfMergedIncidentsHandler, CreateTasksFromActionItemsHandler],
          handlers: (createTasks: CreateTasksFromPlaybookHandler, cancelTasks: CancelTasksOfMergedIncidentsHandler, actionItemTasks: CreateTasksFromActionItemsHandler) =>
            withIncidentAccess('tasking', {
              [IncidentOpenedV1.type]: (event, manager) => createTasks.handle(event, manager),
              [IncidentMergedV1.type]: (event, manager) => cancelTasks.handle(event, manager),
              [ReviewActionItemAddedV1.type]: (event, manager) => actionItemTasks.handle(event, manager),
            }),
        }),
      ],
    };
  }
}
