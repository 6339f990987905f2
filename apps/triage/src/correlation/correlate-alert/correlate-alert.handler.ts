import { Injectable } from '@nestjs/common';
import type { CloudEvent } from '@vigil/contracts';
import type { EntityManager } from 'typeorm';
import { AlertTriage, type AlertReceived } from '../triage-alert';

/** vigil.alert.received.v1 → suppressed, waiting for promotion, attached, or a new incident. */
@Injectable()
export class CorrelateAlertHandler {
  constructor(private readonly triage: AlertTriage) {}

  async handle(event: CloudEvent, manager: EntityManager): Promise<void> {
    await this.triage.triage(manager, event.data as AlertReceived);
  }
}
