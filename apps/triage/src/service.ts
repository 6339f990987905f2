import { inboxPruningMigration } from '@vigil/messaging';
import { auditTrailMigration, type ServiceDefinition } from '@vigil/platform';
import { TriageModule } from './app.module';
import { registerCsvBodyParser } from './assets';
import { TriageConfig } from './config';
import { Incident } from './persistence/incident.entity';
import { Initial1764000000000 } from './persistence/migrations/1764000000000-initial';
import { AlertStatus1764100000000 } from './persistence/migrations/1764100000000-alert-status';
import { LeanOutbox1764200000000 } from './persistence/migrations/1764200000000-lean-outbox';
import { AnalystWorkbench1764300000000 } from './persistence/migrations/1764300000000-analyst-workbench';
import { ListIndexes1764400000000 } from './persistence/migrations/1764400000000-list-indexes';
import { Identity1764800000000 } from './persistence/migrations/1764800000000-identity';
import { JsonOutbox1764600000000 } from './persistence/migrations/1764600000000-json-outbox';
import { BoundedCorrelationKeys1765000000000 } from './persistence/migrations/1765000000000-bounded-correlation-keys';
import { IncidentSearch1765100000000 } from './persistence/migrations/1765100000000-incident-search';
import { IncidentReviews1765200000000 } from './persistence/migrations/1765200000000-incident-reviews';
import { PlaybookFacts1765300000000 } from './persistence/migrations/1765300000000-playbook-facts';
import { RecoveryWatch1765400000000 } from './persistence/migrations/1765400000000-recovery-watch';
import { IncidentRecoveryTimeObjective1765500000000 } from './persistence/migrations/1765500000000-incident-recovery-time-objective';

export const service: ServiceDefinition<TriageConfig> = {
  info: {
    name: 'triage',
    title: 'Vigil triage',
    description: 'Turns alerts into incidents and carries them through the NIST SP 800-61 lifecycle.',
    version: '0.1.0',
  },
  config: TriageConfig,
  entities: [Incident],
  migrations: [
    Initial1764000000000,
    AlertStatus1764100000000,
    LeanOutbox1764200000000,
    AnalystWorkbench1764300000000,
    ListIndexes1764400000000,
    JsonOutbox1764600000000,
    auditTrailMigration('triage'),
    Identity1764800000000,
    inboxPruningMigration('triage'),
    BoundedCorrelationKeys1765000000000,
    IncidentSearch1765100000000,
    IncidentReviews1765200000000,
    PlaybookFacts1765300000000,
    RecoveryWatch1765400000000,
    IncidentRecoveryTimeObjective1765500000000,
  ],
  module: (platform) => TriageModule.register(platform),
  // The asset register imports CSV; every other route takes JSON only.
  configure: async (app) => registerCsvBodyParser(app),
};
