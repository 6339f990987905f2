import { Module, type DynamicModule } from '@nestjs/common';
import { EventCatalog, Topics } from '@vigil/contracts';
import type { EventHandler } from '@vigil/messaging';
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
import { IncidentClockProjector } from './metrics/incident-clock/incident-clock.projector';
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

/** Every incident event carries the incident's snapshot, so each one can move its clock. */
const INCIDENT_EVENTS = new Set<string>(Object.values(EventCatalog).filter((d) => d.topic === Topics.incidents).map((d) => d.type));

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
          handlers: (timeline: RecordTimelineHandler, clock: IncidentClockProjector, records: RecordIncidentRecordsHandler, reviews: OpenReviewHandler) => {
            const handler: EventHandler = async (event, manager, ctx) => {
              await timeline.handle(event, manager);
              if (INCIDENT_EVENTS.has(event.type)) await clock.project(event, manager, ctx.afterCommit);
              await records.handle(event, manager);
              await reviews.handle(event, manager);
            };
            return withIncidentAccess('reporting', Object.fromEntries(Object.keys(EventCatalog).map((type) => [type, handler])));
          },
        }),
      ],
    };
  }
}
