import { Module, type DynamicModule } from '@nestjs/common';
import {
  AlertReceivedV1,
  IncidentAlertAttachedV1,
  IncidentEvents,
  IncidentMergedV1,
  IncidentOpenedV1,
  IncidentPhaseChangedV1,
  TaskCancelledV1,
  TaskSkippedV1,
  TaskCompletedV1,
  TaskCreatedV1,
  Topics,
} from '@vigil/contracts';
import { on, onRun, onRunOf, type HandlerRegistration } from '@vigil/messaging';
import { eventConsumerProvider, withIncidentAccess } from '@vigil/platform';
import { AfterActionReportController } from './exercises/after-action-report/after-action-report.controller';
import { EndExerciseController } from './exercises/end-exercise/end-exercise.controller';
import { EvaluateExerciseController } from './exercises/evaluate/evaluate.controller';
import { EXERCISE_CLOCK, systemClock } from './exercises/exercise-clock';
import { ExercisesController } from './exercises/get-exercise/exercises.controller';
import { InjectWorker } from './exercises/release-injects/inject-worker';
import { ReleaseInjectController } from './exercises/release-injects/release-inject.controller';
import { ScenarioLibrary } from './exercises/scenarios/scenario-library.provider';
import { ScenariosController } from './exercises/scenarios/scenarios.controller';
import { StartExerciseController } from './exercises/start-exercise/start-exercise.controller';
import { IncidentClockProjector, joinsByCorrelation, type ClockChange } from './metrics/incident-clock/incident-clock.projector';
import { OpenIncidentsGauges } from './metrics/open-incidents/open-incidents.gauges';
import { KpisController } from './metrics/kpis/kpis.controller';
import { PostIncidentGauges } from './metrics/post-incident-gauges/post-incident.gauges';
import { MetricsSummaryController } from './metrics/summary/metrics-summary.controller';
import { IncidentReportController } from './reports/incident-report/incident-report.controller';
import { PeriodicReportController } from './reports/periodic-report/periodic-report.controller';
import { RecordIncidentRecordsHandler } from './records/record-incident-records/record-incident-records.handler';
import { ActionItemsController } from './reviews/action-items/action-items.controller';
import { ReviewController } from './reviews/get-review/review.controller';
import { MoveReviewController } from './reviews/move-review/move-review.controller';
import { OpenReviewHandler } from './reviews/open-review/open-review.handler';
import { WriteReviewController } from './reviews/write-review/write-review.controller';
import { TimelineController } from './timeline/get-timeline/timeline.controller';
import { RecordTimelineHandler } from './timeline/record-timeline/record-timeline.handler';


/**
 * Every incident event moves its incident's clock (each carries the snapshot); three say more than
 * the snapshot. One registration for them all, so that a run of mixed incident events (new
 * incidents between attached alerts) is one projection, not one per stretch of a type.
 */
function clockRegistration(clock: IncidentClockProjector): HandlerRegistration {
  return onRunOf(IncidentEvents, (run, tx) =>
    clock.project(
      run.map((e): ClockChange => {
        switch (e.type) {
          case IncidentOpenedV1.type:
            return { snapshot: e.data.incident, joinsAlert: true };
          case IncidentAlertAttachedV1.type:
            return { snapshot: e.data.incident, joinsAlert: joinsByCorrelation(e.data) };
          case IncidentPhaseChangedV1.type:
            return { snapshot: e.data.incident, joinsAlert: false, phaseEntered: { phase: e.data.to, at: e.meta.time } };
          default:
            return { snapshot: e.data.incident, joinsAlert: false };
        }
      }),
      tx,
      (fn) => run[0].meta.afterCommit(fn),
    ),
  );
}

@Module({})
export class ReportingModule {
  static register(platform: DynamicModule): DynamicModule {
    return {
      module: ReportingModule,
      imports: [platform],
      controllers: [
        TimelineController,
        MetricsSummaryController,
        KpisController,
        ReviewController,
        WriteReviewController,
        MoveReviewController,
        ActionItemsController,
        IncidentReportController,
        PeriodicReportController,
        ScenariosController,
        StartExerciseController,
        ExercisesController,
        ReleaseInjectController,
        EvaluateExerciseController,
        EndExerciseController,
        AfterActionReportController,
      ],
      providers: [
        RecordTimelineHandler,
        IncidentClockProjector,
        RecordIncidentRecordsHandler,
        OpenReviewHandler,
        OpenIncidentsGauges,
        PostIncidentGauges,
        ScenarioLibrary,
        { provide: EXERCISE_CLOCK, useValue: systemClock },
        InjectWorker,
        eventConsumerProvider({
          // Its own review events too: they belong on the incident's timeline like everyone else's.
          topics: [Topics.alerts, Topics.incidents, Topics.tasks, Topics.comms, Topics.escalations, Topics.reviews],
          inject: [RecordTimelineHandler, IncidentClockProjector, RecordIncidentRecordsHandler, OpenReviewHandler],
          handlers: (timeline: RecordTimelineHandler, clock: IncidentClockProjector, records: RecordIncidentRecordsHandler, reviews: OpenReviewHandler) =>
            // Reporting reads every alert: runs of alerts received, repeated and attached are a few
            // multi-row statements (timeline, links, alerts, one clock write per incident), not a few per alert.
            // Registrations of one type apply in this order: access, timeline, clock, records, reviews.
            withIncidentAccess('reporting', [
              ...timeline.registrations(),
              // The merged incidents' alerts follow the merge (after its own timeline line).
              on(IncidentMergedV1, (data, tx) => timeline.moveLinksOfMerged(tx, data)),
              // Every incident event carries the incident's snapshot, so each one can move its clock.
              clockRegistration(clock),
              onRun(AlertReceivedV1, (run, tx) => records.alertsReceived(run.map((e) => e.data), tx)),
              onRun(TaskCreatedV1, (run, tx) => records.tasksCreated(run.map((e) => e.data), tx)),
              on(TaskCompletedV1, (data, tx) => records.taskCompleted(data, tx)),
              on(TaskCancelledV1, (data, tx) => records.taskCancelled(data, tx)),
              on(TaskSkippedV1, (data, tx) => records.taskSkipped(data, tx)),
              on(IncidentPhaseChangedV1, (data, tx, meta) => reviews.handle(data, meta.time, tx)),
            ]),
        }),
      ],
    };
  }
}
