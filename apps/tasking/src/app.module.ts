import { Module, type DynamicModule } from '@nestjs/common';
import { IncidentEvents, IncidentMergedV1, IncidentOpenedV1, IncidentPhaseChangedV1, ReviewActionItemAddedV1, Topics } from '@vigil/contracts';
import { on, onRun } from '@vigil/messaging';
import { eventConsumerProvider, withIncidentAccess } from '@vigil/platform';
import { actionProviders } from './actions/actions.providers';
import { ApprovalPoliciesController } from './actions/approval-policies/manage-approval-policies/approval-policies.controller';
import { ApproveActionController } from './actions/approve-action/approve-action.controller';
import { RejectActionController } from './actions/reject-action/reject-action.controller';
import { BreakGlassController } from './actions/break-glass/break-glass.controller';
import { ConnectorsController } from './actions/connectors/manage-connectors/connectors.controller';
import { ActionsController } from './actions/request-action/actions.controller';
import { UndoActionController } from './actions/undo-action/undo-action.controller';
import { EscalationEventsHandler } from './escalation/escalation-events.handler';
import { escalationProviders } from './escalation/escalation.providers';
import { defaultTriggers } from './escalation/triggers/trigger-registry';
import { EscalationsController } from './escalation/escalations/escalations.controller';
import { EscalationPoliciesController } from './escalation/policies/escalation-policies.controller';
import { EscalationRoutingController } from './escalation/routing/escalation-routing.controller';
import { OnCallImportController } from './oncall-import/oncall-import.controller';
import { CreateTasksFromPlaybookHandler } from './playbooks/create-tasks-from-playbook/create-tasks-from-playbook.handler';
import { FollowRecoveryTimeObjectiveHandler } from './playbooks/follow-recovery-time-objective/follow-recovery-time-objective.handler';
import { SeedPlaybooks } from './playbooks/library/seed-playbooks';
import { PlaybooksController } from './playbooks/manage-playbooks/playbooks.controller';
import { IncidentPlaybookController } from './playbooks/move-incident-playbook/incident-playbook.controller';
import { CreateTasksFromActionItemsHandler } from './review-actions/create-tasks-from-action-items/create-tasks-from-action-items.handler';
import { PeopleController } from './roster/people/people.controller';
import { TeamsController } from './roster/teams/teams.controller';
import { CalendarFeedsController } from './schedules/calendar-feeds/calendar-feeds.controller';
import { SchedulesController } from './schedules/manage-schedules/schedules.controller';
import { OverridesController } from './schedules/overrides/overrides.controller';
import { OnCallController } from './schedules/who-is-on-call/on-call.controller';
import { CancelTasksOfMergedIncidentsHandler } from './tasks/cancel-tasks-of-merged-incidents/cancel-tasks-of-merged-incidents.handler';
import { AssignTaskController } from './tasks/assign-task/assign-task.controller';
import { CancelTasksOfFalsePositivesHandler } from './tasks/cancel-tasks-of-false-positives/cancel-tasks-of-false-positives.handler';
import { CompleteTaskController } from './tasks/complete-task/complete-task.controller';
import { IncidentTasksController } from './tasks/incident-tasks.controller';
import { SkipTaskController } from './tasks/skip-task/skip-task.controller';
import { StartTaskController } from './tasks/start-task/start-task.controller';
import { TaskNotesController } from './tasks/task-notes/task-notes.controller';
import { slaWatcherProviders } from './tasks/watch-slas/sla-watcher.providers';

/** Incident events after the opening: each carries the incident's snapshot (and so its RTO, when known). */
const LATER_INCIDENT_EVENTS = IncidentEvents.filter((d) => d.type !== IncidentOpenedV1.type);

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
        StartTaskController,
        SkipTaskController,
        AssignTaskController,
        TaskNotesController,
        PlaybooksController,
        IncidentPlaybookController,
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
        ConnectorsController,
        ApprovalPoliciesController,
        ActionsController,
        ApproveActionController,
        RejectActionController,
        BreakGlassController,
        UndoActionController,
      ],
      providers: [
        SeedPlaybooks,
        CreateTasksFromPlaybookHandler,
        CancelTasksOfMergedIncidentsHandler,
        CancelTasksOfFalsePositivesHandler,
        CreateTasksFromActionItemsHandler,
        FollowRecoveryTimeObjectiveHandler,
        ...escalationProviders(TRIGGERS),
        ...actionProviders,
        ...slaWatcherProviders,
        eventConsumerProvider({
          topics: [...new Set<string>([Topics.incidents, Topics.reviews, ...TRIGGERS.topics()])],
          inject: [CreateTasksFromPlaybookHandler, CancelTasksOfMergedIncidentsHandler, CreateTasksFromActionItemsHandler, EscalationEventsHandler, CancelTasksOfFalsePositivesHandler, FollowRecoveryTimeObjectiveHandler],
          handlers: (
            createTasks: CreateTasksFromPlaybookHandler,
            cancelTasks: CancelTasksOfMergedIncidentsHandler,
            actionItemTasks: CreateTasksFromActionItemsHandler,
            escalation: EscalationEventsHandler,
            falsePositives: CancelTasksOfFalsePositivesHandler,
            followRto: FollowRecoveryTimeObjectiveHandler,
          ) =>
            // Several registrations of one type run one after the other, in this order, in the
            // one transaction of the event.
            withIncidentAccess('tasking', [
              on(IncidentOpenedV1, (data, tx) => createTasks.handle(data, tx)),
              on(IncidentMergedV1, (data, tx, meta) => cancelTasks.handle(data, meta.time, tx)),
              on(ReviewActionItemAddedV1, (data, tx) => actionItemTasks.handle(data, tx)),
              on(IncidentPhaseChangedV1, (data, tx, meta) => falsePositives.handle(data, meta.time, tx)),
              ...LATER_INCIDENT_EVENTS.map((def) => onRun(def, (run, tx) => followRto.handleRun(run.map((e) => e.data.incident), tx))),
              ...escalation.handlers(),
            ]),
        }),
      ],
    };
  }
}
