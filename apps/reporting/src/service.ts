import { inboxPruningMigration } from '@vigil/messaging';
import { type ServiceDefinition, auditTrailMigration, incidentAccessMigration } from '@vigil/platform';
import { ReportingModule } from './app.module';
import { ReportingConfig } from './config';
import { IncidentClock, TimelineEntry } from './persistence/entities';
import { Initial1764000000000 } from './persistence/migrations/1764000000000-initial';
import { LeanOutbox1764200000000 } from './persistence/migrations/1764200000000-lean-outbox';
import { JsonOutbox1764600000000 } from './persistence/migrations/1764600000000-json-outbox';
import { PostIncident1765000000000 } from './persistence/migrations/1765000000000-post-incident';
import { TimelineRepeats1765300000000 } from './persistence/migrations/1765300000000-timeline-repeats';
import { SkippedTasks1765400000000 } from './persistence/migrations/1765400000000-skipped-tasks';

export const service: ServiceDefinition<ReportingConfig> = {
  info: {
    name: 'reporting',
    title: 'Vigil reporting',
    description: 'Incident timelines, MTTx and KPIs, post-incident reviews, incident and periodic reports, and exercises.',
    version: '0.1.0',
  },
  config: ReportingConfig,
  entities: [TimelineEntry, IncidentClock],
  migrations: [
    Initial1764000000000,
    LeanOutbox1764200000000,
    JsonOutbox1764600000000,
    auditTrailMigration('reporting'),
    incidentAccessMigration('reporting'),
    inboxPruningMigration('reporting'),
    PostIncident1765000000000,
    TimelineRepeats1765300000000,
    SkippedTasks1765400000000,
  ],
  module: (platform) => ReportingModule.register(platform),
};
