import { Module, type DynamicModule } from '@nestjs/common';
import { IncidentOpenedV1, Topics } from '@vigil/contracts';
import { eventConsumerProvider } from '@vigil/platform';
import { DEFAULT_PLAYBOOK } from './playbooks/default-playbook';
import { CreateTasksFromPlaybookHandler } from './playbooks/create-tasks-from-playbook/create-tasks-from-playbook.handler';
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
        eventConsumerProvider({
          topics: [Topics.incidents],
          inject: [CreateTasksFromPlaybookHandler],
          handlers: (createTasks: CreateTasksFromPlaybookHandler) => ({
            [IncidentOpenedV1.type]: (event, manager) => createTasks.handle(event, manager),
          }),
        }),
      ],
    };
  }
}
