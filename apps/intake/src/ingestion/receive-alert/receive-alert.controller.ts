import { Body, Controller, Get, HttpCode, Param, ParseUUIDPipe, Post } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { AlertAccepted, CanonicalAlert } from '@vigil/contracts';
import { ApiJsonBody, ApiJsonResponse, ApiProblems, Problem, ZodPipe } from '@vigil/platform';
import { DataSource } from 'typeorm';
import { AlertRecord } from '../../persistence/alert.entity';
import { ReceiveAlertHandler } from './receive-alert.handler';

@ApiTags('alerts')
@Controller('v1/alerts')
export class ReceiveAlertController {
  constructor(
    private readonly handler: ReceiveAlertHandler,
    private readonly dataSource: DataSource,
  ) {}

  @Post()
  @HttpCode(202)
  @ApiOperation({ summary: 'Send one alert in Vigil\'s canonical form', operationId: 'receiveAlert' })
  @ApiJsonBody(CanonicalAlert)
  @ApiJsonResponse(202, AlertAccepted, 'Stored; it will reach triage even if Kafka is down right now.')
  @ApiProblems(400, 413, 415, 503)
  receive(@Body(new ZodPipe(CanonicalAlert)) alert: CanonicalAlert): Promise<AlertAccepted> {
    return this.handler.execute(alert);
  }

  @Get(':alertId')
  @ApiOperation({ summary: 'An alert as intake received it', operationId: 'getAlert' })
  @ApiProblems(400, 404)
  async get(@Param('alertId', new ParseUUIDPipe()) alertId: string) {
    const record = await this.dataSource.getRepository(AlertRecord).findOneBy({ id: alertId });
    if (!record) throw Problem.notFound(`Alert ${alertId}`);
    return {
      alertId: record.id,
      dedupKey: record.dedupKey,
      receivedAt: record.receivedAt.toISOString(),
      occurredAt: record.occurredAt.toISOString(),
      alert: record.payload,
    };
  }
}
