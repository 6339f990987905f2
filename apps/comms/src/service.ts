import { inboxPruningMigration } from '@vigil/messaging';
import { auditTrailMigration, incidentAccessMigration, type ServiceDefinition } from '@vigil/platform';
import { CommsModule } from './app.module';
import { CommsConfig } from './config';
import { Initial1764000000000 } from './persistence/migrations/1764000000000-initial';
import { LeanOutbox1764200000000 } from './persistence/migrations/1764200000000-lean-outbox';
import { JsonOutbox1764600000000 } from './persistence/migrations/1764600000000-json-outbox';
import { Pages1765100000000 } from './persistence/migrations/1765100000000-pages';
import { CommunicationProtocols1765200000000 } from './persistence/migrations/1765200000000-communication-protocols';
import { ChannelNetwork1765600000000 } from './persistence/migrations/1765600000000-channel-network';
import { Delivery, Notification } from './persistence/notification.entity';

export const service: ServiceDefinition<CommsConfig> = {
  info: {
    name: 'comms',
    title: 'Vigil comms',
    description:
      'Communication protocols: channels, audiences, templates, approvals of outside messages, the ledger of messages sent, status-update cadence, regulatory notification clocks, and pages for on-call escalations.',
    version: '0.2.0',
  },
  config: CommsConfig,
  entities: [Notification, Delivery],
  migrations: [
    Initial1764000000000,
    LeanOutbox1764200000000,
    JsonOutbox1764600000000,
    auditTrailMigration('comms'),
    incidentAccessMigration('comms'),
    inboxPruningMigration('comms'),
    // Pages first: communication protocols replace the uniqueness that pages made partial.
    Pages1765100000000,
    CommunicationProtocols1765200000000,
    ChannelNetwork1765600000000,
  ],
  module: (platform) => CommsModule.register(platform),
};
