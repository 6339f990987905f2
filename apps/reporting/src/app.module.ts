import { Module, type DynamicModule } from '@nestjs/common';
import { EventCatalog, Topics } from '@vigil/contracts';
import type { EventHandler } from '@vigil/messaging';
import { eventConsumerProvider, withIncidentAccess } from '@vigil/platform';
import { IncidentClockProjector } from './metrics/incident-clock/incident-clock.projector';
import { OpenIncidentsGauges } from './metrics/open-incidents/open-incidents.gauges';
import { MetricsSummaryController } from './metrics/summary/metrics-summary.controller';
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
      controllers: [TimelineController, MetricsSummaryController],
      providers: [
        RecordTimelineHandler,
        IncidentClockProjector,
        OpenIncidentsGauges,
        eventConsumerProvider({
          topics: [Topics.alerts, Topics.incidents, Topics.tasks, Topics.comms, Topics.escalations],
          inject: [RecordTimelineHandler, IncidentClockProjector],
          handlers: (timeline: RecordTimelineHandler, clock: IncidentClockProjector) => {
            const handler: EventHandler = async (event, manager, ctx) => {
              await timeline.handle(event, manager);
              if (INCIDENT_EVENTS.has(event.type)) await clock.project(event, manager, ctx.afterCommit);
            };
            return withIncidentAccess('reporting', Object.fromEntries(Object.keys(EventCatalog).map((type) => [type, handler])));
          },
        }),
      ],
    };
  }
}
