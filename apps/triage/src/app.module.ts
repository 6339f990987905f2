import { Module, type DynamicModule } from '@nestjs/common';
import { AlertAcknowledgedV1, AlertReceivedV1, AlertRepeatedV1, AlertResolvedV1, Topics } from '@vigil/contracts';
import { eventConsumerProvider } from '@vigil/platform';
import { OpenOrAttachHandler } from './correlation/open-or-attach/open-or-attach.handler';
import { TrackAlertStatusHandler } from './correlation/track-alert-status/track-alert-status.handler';
import { IncidentsQueryController } from './incidents/incidents-query.controller';
import { AcknowledgeIncidentController } from './lifecycle/acknowledge-incident/acknowledge-incident.controller';
import { TransitionIncidentController } from './lifecycle/transition-incident/transition-incident.controller';

@Module({})
export class TriageModule {
  static register(platform: DynamicModule): DynamicModule {
    return {
      module: TriageModule,
      imports: [platform],
      controllers: [IncidentsQueryController, AcknowledgeIncidentController, TransitionIncidentController],
      providers: [
        OpenOrAttachHandler,
        TrackAlertStatusHandler,
        eventConsumerProvider({
          topics: [Topics.alerts],
          inject: [OpenOrAttachHandler, TrackAlertStatusHandler],
          handlers: (openOrAttach: OpenOrAttachHandler, trackStatus: TrackAlertStatusHandler) => ({
            [AlertReceivedV1.type]: (event, manager) => openOrAttach.handle(event, manager),
            [AlertRepeatedV1.type]: (event, manager) => trackStatus.handle(event, manager),
            [AlertAcknowledgedV1.type]: (event, manager) => trackStatus.handle(event, manager),
            [AlertResolvedV1.type]: (event, manager) => trackStatus.handle(event, manager),
          }),
        }),
      ],
    };
  }
}
