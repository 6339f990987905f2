import { Module, type DynamicModule } from '@nestjs/common';
import { EventCatalog, IncidentClassifiedV1, IncidentOpenedV1, PageRequestedV1, Topics, type CloudEvent } from '@vigil/contracts';
import type { EventHandler } from '@vigil/messaging';
import { eventConsumerProvider } from '@vigil/platform';
import type { EntityManager } from 'typeorm';
import { AudiencesController } from './audiences/manage-audiences/audiences.controller';
import { ConfiguredChannels } from './channels/channel-store';
import { ChannelsController } from './channels/manage-channels/channels.controller';
import { withIncidentSnapshots } from './incidents/incident-snapshots';
import { ApproveMessageController } from './messages/approve-message/approve-message.controller';
import { DraftMessageController } from './messages/draft-message/draft-message.controller';
import { MessagesController } from './messages/list-messages/messages.controller';
import { MessageLedger } from './messages/message-ledger';
import { NotifyAudiencesHandler } from './messages/notify-audiences/notify-audiences.handler';
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

const INCIDENT_EVENTS = Object.values(EventCatalog)
  .filter((d) => d.topic === Topics.incidents)
  .map((d) => d.type);
/** Events whose classification may imply a decision that starts a regulatory clock. */
const CLASSIFYING_EVENTS = new Set<string>([IncidentOpenedV1.type, IncidentClassifiedV1.type]);

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
            // Every incident event: its snapshot and access first, then audiences, cadences and clocks.
            const onIncident: EventHandler = async (event: CloudEvent, manager: EntityManager, ctx) => {
              await notify.handle(event, manager, ctx.afterCommit);
              if (CLASSIFYING_EVENTS.has(event.type)) await implied.handle(event, manager);
            };
            return withIncidentSnapshots({
              ...Object.fromEntries(INCIDENT_EVENTS.map((type) => [type, onIncident])),
              // Tasking's escalations: a page request is delivered to the person's contact methods.
              [PageRequestedV1.type]: (event, manager, ctx) => pages.handle(event, manager, ctx.afterCommit),
            });
          },
        }),
      ],
    };
  }
}
