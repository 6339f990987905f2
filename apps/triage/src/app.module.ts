import { Module, type DynamicModule } from '@nestjs/common';
import { AlertAcknowledgedV1, AlertReceivedV1, AlertRepeatedV1, AlertResolvedV1, ReviewOpenedV1, ReviewStateChangedV1, Topics } from '@vigil/contracts';
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
        eventConsumerProvider({
          topics: [Topics.alerts, Topics.reviews],
          inject: [CorrelateAlertHandler, TrackAlertStatusHandler, RecordReviewStateHandler],
          handlers: (correlate: CorrelateAlertHandler, trackStatus: TrackAlertStatusHandler, reviews: RecordReviewStateHandler) => ({
            [AlertReceivedV1.type]: (event, manager) => correlate.handle(event, manager),
            [AlertRepeatedV1.type]: (event, manager) => trackStatus.handle(event, manager),
            [AlertAcknowledgedV1.type]: (event, manager) => trackStatus.handle(event, manager),
            [AlertResolvedV1.type]: (event, manager) => trackStatus.handle(event, manager),
            // Closing waits for the post-incident review: triage keeps its state (lifecycle/review-gate).
            [ReviewOpenedV1.type]: (event, manager) => reviews.handle(event, manager),
            [ReviewStateChangedV1.type]: (event, manager) => reviews.handle(event, manager),
          }),
        }),
      ],
    };
  }
}
