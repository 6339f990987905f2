import { Module, type DynamicModule } from '@nestjs/common';
import { IncidentOpenedV1, PageRequestedV1, Topics } from '@vigil/contracts';
import { eventConsumerProvider, withIncidentAccess } from '@vigil/platform';
import { DeliverNotificationsWorker } from './notifications/deliver-notifications/deliver-notifications.worker';
import { IncidentNotificationsController } from './notifications/list-notifications/incident-notifications.controller';
import { NotifyTeamOfIncidentHandler } from './notifications/notify-team-of-incident/notify-team-of-incident.handler';
import { PageRequestedHandler } from './pages/deliver-page/page-requested.handler';

@Module({})
export class CommsModule {
  static register(platform: DynamicModule): DynamicModule {
    return {
      module: CommsModule,
      imports: [platform],
      controllers: [IncidentNotificationsController],
      providers: [
        DeliverNotificationsWorker,
        NotifyTeamOfIncidentHandler,
        PageRequestedHandler,
        eventConsumerProvider({
          topics: [Topics.incidents, Topics.tasks, Topics.escalations],
          inject: [NotifyTeamOfIncidentHandler, PageRequestedHandler],
          handlers: (notifyTeam: NotifyTeamOfIncidentHandler, pages: PageRequestedHandler) =>
            withIncidentAccess('comms', {
              [IncidentOpenedV1.type]: (event, manager, ctx) => notifyTeam.handle(event, manager, ctx.afterCommit),
              [PageRequestedV1.type]: (event, manager, ctx) => pages.handle(event, manager, ctx.afterCommit),
            }),
        }),
      ],
    };
  }
}
