import { Module, type DynamicModule } from '@nestjs/common';
import {
  type EventData,
  IncidentClassifiedV1,
  IncidentEvents,
  IncidentOpenedV1,
  IncidentPhaseChangedV1,
  PageRequestedV1,
  Topics,
} from '@vigil/contracts';
import { on, onRunOf } from '@vigil/messaging';
import { eventConsumerProvider } from '@vigil/platform';
import { AudiencesController } from './audiences/manage-audiences/audiences.controller';
import { ConfiguredChannels } from './channels/channel-store';
import { ChannelsController } from './channels/manage-channels/channels.controller';
import { withIncidentSnapshots } from './incidents/incident-snapshots';
import { ApproveMessageController } from './messages/approve-message/approve-message.controller';
import { DraftMessageController } from './messages/draft-message/draft-message.controller';
import { MessagesController } from './messages/list-messages/messages.controller';
import { MessageLedger } from './messages/message-ledger';
import { NotifyAudiencesHandler, RESOLVED_PHASES } from './messages/notify-audiences/notify-audiences.handler';
import { DeliverNotificationsWorker } from './notifications/deliver-notifications/deliver-notifications.worker';
import { IncidentNotificationsController } from './notifications/list-notifications/incident-notifications.controller';
import { ObligationRulesController } from './obligations/list-rules/obligation-rules.controller';
import { ObligationsController } from './obligations/manage-obligations/obligations.controller';
import { ObligationGauges } from './obligations/obligation.gauges';
import { ObligationEngine } from './obligations/obligation-engine';
import { DecisionsController } from './obligations/record-decision/decisions.controller';
import { ImpliedDecisionsHandler } from './obligations/record-decision/implied-decisions.handler';
import { DeadlinePoller } from './obligations/watch-deadlines/deadline.poller';
import { PageRequestedHandler } from './pages/deliver-page/page-requested.handler';
import { CadenceTracker } from './status-updates/cadence-tracker';
import { StatusUpdatesController } from './status-updates/list-cadences/status-updates.controller';
import { CadencePoller } from './status-updates/watch-cadence/cadence.poller';
import { TemplatesController } from './templates/manage-templates/templates.controller';
import { PreviewTemplateController } from './templates/preview-template/preview-template.controller';
import { CLOCK, systemClock } from './timers/clock';

@Module({})
export class CommsModule {
  static register(platform: DynamicModule): DynamicModule {
    return {
      module: CommsModule,
      imports: [platform],
      controllers: [
        IncidentNotificationsController,
        ChannelsController,
        AudiencesController,
        TemplatesController,
        PreviewTemplateController,
        DraftMessageController,
        ApproveMessageController,
        MessagesController,
        StatusUpdatesController,
        DecisionsController,
        ObligationsController,
        ObligationRulesController,
      ],
      providers: [
        { provide: CLOCK, useValue: systemClock },
        ConfiguredChannels,
        MessageLedger,
        DeliverNotificationsWorker,
        CadenceTracker,
        CadencePoller,
        NotifyAudiencesHandler,
        ObligationEngine,
        ImpliedDecisionsHandler,
        DeadlinePoller,
        ObligationGauges,
        PageRequestedHandler,
        eventConsumerProvider({
          topics: [Topics.incidents, Topics.tasks, Topics.escalations],
          inject: [NotifyAudiencesHandler, ImpliedDecisionsHandler, PageRequestedHandler],
          handlers: (notify: NotifyAudiencesHandler, implied: ImpliedDecisionsHandler, pages: PageRequestedHandler) => {
            // Every incident event: its access and snapshot first, then audiences, cadences and
            // clocks. One stretch per run of incident events, whatever their types (an alert storm's
            // attachments between new incidents), each judged with its own snapshot.
            return withIncidentSnapshots([
              onRunOf(IncidentEvents, (run, tx) =>
                notify.handleRun(
                  run.map((e) => ({
                    incident: e.data.incident,
                    resolved: e.type === IncidentPhaseChangedV1.type && RESOLVED_PHASES.has((e.data as EventData<typeof IncidentPhaseChangedV1>).to),
                  })),
                  tx,
                  run[0].meta.afterCommit,
                ),
              ),
              // Where the classification implies a decision, a regulatory clock starts.
              on(IncidentOpenedV1, (data, tx, meta) => implied.handle(data.incident, null, meta.time, tx)),
              on(IncidentClassifiedV1, (data, tx, meta) => implied.handle(data.incident, data, meta.time, tx)),
              // Tasking's escalations: a page request is delivered to the person's contact methods.
              on(PageRequestedV1, (data, tx, meta) => pages.handle(data, tx, meta.afterCommit)),
            ]);
          },
        }),
      ],
    };
  }
}
