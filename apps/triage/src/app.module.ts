import { Module, type DynamicModule } from '@nestjs/common';
import { AlertAcknowledgedV1, AlertReceivedV1, AlertRepeatedV1, AlertResolvedV1, ReviewOpenedV1, ReviewStateChangedV1, Topics } from '@vigil/contracts';
import { on, onRunOf } from '@vigil/messaging';
import { eventConsumerProvider } from '@vigil/platform';
import { AlertsQueryController } from './alerts/alerts-query.controller';
import { MoveAlertController } from './alerts/move-alert/move-alert.controller';
import { PromoteAlertController } from './alerts/promote-alert/promote-alert.controller';
import { ASSET_CONTROLLERS } from './assets';
import { ClassifyIncidentController } from './classification/classify-incident/classify-incident.controller';
import { CorrelateAlertHandler } from './correlation/correlate-alert/correlate-alert.handler';
import { CorrelationRulesController } from './correlation/rules/correlation-rules.controller';
import { SuppressionRulesController } from './correlation/suppression-rules/suppression-rules.controller';
import { TrackAlertStatusHandler } from './correlation/track-alert-status/track-alert-status.handler';
import { AlertTriage } from './correlation/triage-alert';
import { AssignIncidentController } from './incidents/assign-incident/assign-incident.controller';
import { IncidentsQueryController } from './incidents/incidents-query.controller';
import { LinksController } from './incidents/links/links.controller';
import { MergeIncidentsController } from './incidents/merge-incidents/merge-incidents.controller';
import { NotesController } from './incidents/notes/notes.controller';
import { RestrictIncidentController } from './incidents/restrict-incident/restrict-incident.controller';
import { AcknowledgeIncidentController } from './lifecycle/acknowledge-incident/acknowledge-incident.controller';
import { CorrectClockController } from './lifecycle/correct-clock/correct-clock.controller';
import { RecordReviewStateHandler } from './lifecycle/review-gate/record-review-state.handler';
import { RecordPlaybookTasksHandler } from './lifecycle/task-gate/record-playbook-tasks.handler';
import { TransitionIncidentController } from './lifecycle/transition-incident/transition-incident.controller';

@Module({})
export class TriageModule {
  static register(platform: DynamicModule): DynamicModule {
    return {
      module: TriageModule,
      imports: [platform],
      controllers: [
        IncidentsQueryController,
        AcknowledgeIncidentController,
        TransitionIncidentController,
        CorrectClockController,
        ClassifyIncidentController,
        AssignIncidentController,
        NotesController,
        LinksController,
        MergeIncidentsController,
        RestrictIncidentController,
        MoveAlertController,
        AlertsQueryController,
        PromoteAlertController,
        CorrelationRulesController,
        SuppressionRulesController,
        ...ASSET_CONTROLLERS,
      ],
      providers: [
        AlertTriage,
        CorrelateAlertHandler,
        TrackAlertStatusHandler,
        RecordReviewStateHandler,
        RecordPlaybookTasksHandler,
        eventConsumerProvider({
          topics: [Topics.alerts, Topics.reviews, Topics.tasks],
          inject: [CorrelateAlertHandler, TrackAlertStatusHandler, RecordReviewStateHandler, RecordPlaybookTasksHandler],
          handlers: (correlate: CorrelateAlertHandler, trackStatus: TrackAlertStatusHandler, reviews: RecordReviewStateHandler, playbookTasks: RecordPlaybookTasksHandler) => [
            // Placement takes a run of one partition's alerts and places it set-wise (correlation/place-run.ts),
            // then counts the run's repeats at once. One run of both: repeats come between new alerts
            // (a quarter of a busy feed), and runs of one type would cut the stream into runs of a few.
            // A repeat always follows its alert, so placing the run's new alerts first keeps every
            // repeat after its alert; the counts add up the same in any order.
            onRunOf([AlertReceivedV1, AlertRepeatedV1], async (run, tx) => {
              const received = run.flatMap((e) => (e.type === AlertReceivedV1.type ? [e.data] : []));
              const repeated = run.flatMap((e) => (e.type === AlertRepeatedV1.type ? [e.data] : []));
              // The repeats' incidents are locked with placement's candidates, in one sorted statement.
              const alsoLock = received.length && repeated.length ? await trackStatus.incidentsOf(repeated, tx) : [];
              if (received.length) await correlate.handleRun(received, tx, alsoLock);
              if (repeated.length) await trackStatus.repeatedRun(repeated, tx);
            }),
            on(AlertAcknowledgedV1, (data, tx, meta) => trackStatus.acknowledged(data, tx, meta)),
            on(AlertResolvedV1, (data, tx, meta) => trackStatus.resolved(data, tx, meta)),
            // Closing waits for the post-incident review: triage keeps its state (lifecycle/review-gate).
            on(ReviewOpenedV1, (data, tx, meta) => reviews.handle(data, tx, meta)),
            on(ReviewStateChangedV1, (data, tx, meta) => reviews.handle(data, tx, meta)),
            // Closing waits for mandatory tasks; the playbook sets the recovery watch window (lifecycle/task-gate).
            ...playbookTasks.registrations(),
          ],
        }),
      ],
    };
  }
}
