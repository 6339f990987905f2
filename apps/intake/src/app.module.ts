import { Module, type DynamicModule } from '@nestjs/common';
import { ReceiveAlertController } from './ingestion/receive-alert/receive-alert.controller';
import { ReceiveAlertHandler } from './ingestion/receive-alert/receive-alert.handler';

@Module({})
export class IntakeModule {
  static register(platform: DynamicModule): DynamicModule {
    return {
      module: IntakeModule,
      imports: [platform],
      controllers: [ReceiveAlertController],
      providers: [ReceiveAlertHandler],
    };
  }
}
