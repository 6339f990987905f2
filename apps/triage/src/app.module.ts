import { Module, type DynamicModule } from '@nestjs/common';
import { AlertReceivedV1, Topics } from '@vigil/contracts';
import { eventConsumerProvider } from '@vigil/platform';
import { OpenOrAttachHandler } from './correlation/open-or-attach/open-or-attach.handler';
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
        eventConsumerProvider({
          topics: [Topics.alerts],
          inject: [OpenOrAttachHandler],
          handlers: (openOrAttach: OpenOrAttachHandler) => ({
            [AlertReceivedV1.type]: (event, manager) => openOrAttach.handle(event, manager),
          }),
        }),
      ],
    };
  }
}
