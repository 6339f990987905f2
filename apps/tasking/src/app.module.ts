import { Module, type DynamicModule } from '@nestjs/common';
import { IncidentMergedV1, IncidentOpenedV1, ReviewActionItemAddedV1, Topics } from '@vigil/contracts';
import type { EventHandler } from '@vigil/messaging';
import { eventConsumerProvider, withIncidentAccess } from '@vigil/platform';
import { EscalationEventsHandler } from './escalation/escalation-events.handler';
import { escalationProviders } from './escalation/escalation.providers';
import { defaultTriggers } from './escalation/triggers/trigger-registry';
import { EscalationsController } from './escalation/escalations/escalations.controller';
import { EscalationPoliciesController } from './escalation/policies/escalation-policies.controller';
import { EscalationRoutingController } from './escalation/routing/escalation-routing.controller';
import { OnCallImportController } from './oncall-import/oncall-import.controller';
import { DEFAULT_PLAYBOOK } from './playbooks/default-playbook';
import { CreateTasksFromPlaybookHandler } from './playbooks/create-tasks-from-playbook/create-tasks-from-playbook.handler';
import { CreateTasksFromActionItemsHandler } from './review-actions/create-tasks-from-action-items/create-tasks-from-action-items.handler';
import { PeopleController } from './roster/people/people.controller';
import { TeamsController } from './roster/teams/teams.controller';
import { CalendarFeedsController } from './schedules/calendar-feeds/calendar-feeds.controller';
import { SchedulesController } from './schedules/manage-schedules/schedules.controller';
import { OverridesController } from './schedules/overrides/overrides.controller';
import { OnCallController } from './schedules/who-is-on-call/on-call.controller';
import { CancelTasksOfMergedIncidentsHandler } from './tasks/cancel-tasks-of-merged-incidents/cancel-tasks-of-merged-incidents.handler';
import { CompleteTaskController } from './tasks/complete-task/complete-task.controller';
import { IncidentTasksController } from './tasks/incident-tasks.controller';

/** Runs each event type's handlers one after the other, in the one transaction of the event. */
function combine(...maps: Array<Record<string, EventHandler>>): Record<string, EventHandler> {
  const types = new Set(maps.flatMap((m) => Object.keys(m)));
  return Object.fromEntries(
    [...types].map((type) => {
      const handlers = maps.map((m) => m[type]).filter((h): h is EventHandler => !!h);
      const combined: EventHandler = async (event, manager, ctx) => {
        for (const handler of handlers) await handler(event, manager, ctx);
      };
      return [type, combined];
    }),
  );
}

/** What starts escalations; a trigger on another topic adds that topic to the consumer. */
const TRIGGERS = defaultTriggers();

@Module({})
export class TaskingModule {
  static register(platform: DynamicModule): DynamicModule {
    return {
      module: TaskingModule,
      imports: [platform],
      controllers: [
        IncidentTasksController,
        CompleteTaskController,
        PeopleController,
        TeamsController,
        SchedulesController,
        OverridesController,
        OnCallController,
        CalendarFeedsController,
        EscalationPoliciesController,
        EscalationRoutingController,
        EscalationsController,
        OnCallImportController,
      ],
      providers: [
        { provide: CreateTasksFromPlaybookHandler, useValue: new CreateTasksFromPlaybookHandler(DEFAULT_PLAYBOOK) },
        CancelTasksOfMergedIncidentsHandler,
        CreateTasksFromActionItemsHandler,
        ...escalationProviders(TRIGGERS),
        eventConsumerProvider({
          topics: [...new Set<string>([Topics.incidents, Topics.reviews, ...TRIGGERS.topics()])],
          inject: [CreateTasksFromPlaybookHandler, CancelTasksOfMergedIncidentsHandler, CreateTasksFromActionItemsHandler, EscalationEventsHandler],
          handlers: (
            createTasks: CreateTasksFromPlaybookHandler,
            cancelTasks: CancelTasksOfMergedIncidentsHandler,
            actionItemTasks: CreateTasksFromActionItemsHandler,
            escalation: EscalationEventsHandler,
          ) =>
            withIncidentAccess(
              'tasking',
              combine(
                {
                  [IncidentOpenedV1.type]: (event, manager) => createTasks.handle(event, manager),
                  [IncidentMergedV1.type]: (event, manager) => cancelTasks.handle(event, manager),
                  [ReviewActionItemAddedV1.type]: (event, manager) => actionItemTasks.handle(event, manager),
                },
                escalation.handlers(),
              ),
            ),
        }),
      ],
    };
  }
}
