import { Module, type DynamicModule } from '@nestjs/common';
import { IngestService } from './ingestion/ingest.service';
import { ReceiveAlertController } from './ingestion/receive-alert/receive-alert.controller';
import { SignalWriter } from './ingestion/signal-writer';
import { SourceFormatsController } from './ingestion/source-formats/source-formats.controller';
import { IntegrationRegistry } from './integrations/integration-registry';
import { IntegrationsController } from './integrations/manage-integrations/integrations.controller';

@Module({})
export class IntakeModule {
  static register(platform: DynamicModule): DynamicModule {
    return {
      module: IntakeModule,
      imports: [platform],
      controllers: [ReceiveAlertController, SourceFormatsController, IntegrationsController],
      providers: [IntegrationRegistry, SignalWriter, IngestService],
    };
  }
}
