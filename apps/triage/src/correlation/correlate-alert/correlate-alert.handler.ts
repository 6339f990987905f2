import { Injectable } from '@nestjs/common';
import type { CloudEvent } from '@vigil/contracts';
import type { EntityManager } from 'typeorm';
import { AlertTriage, type AlertReceived } from '../triage-alert';

/** vigil.alert.received.v1 → suppressed, waiting for promotion, attached, a recurrence, or a new incident. */
@Injectable()
export class CorrelateAlertHandler {
  constructor(private readonly triage: AlertTriage) {}

  /** One event: a run of one. */
  async handle(event: CloudEvent, manager: EntityManager): Promise<void> {
    await this.triage.placeRun(manager, [event.data as AlertReceived]);
  }

  /**
   * A run of consecutive alerts from one partition, in one transaction, placed set-wise. For the
   * consumer's run-wise API: `onRun(AlertReceivedV1, (events, tx) => handler.handleRun(events.map((e) => e.data), tx))`.
   */
  async handleRun(alerts: readonly AlertReceived[], manager: EntityManager): Promise<void> {
    await this.triage.placeRun(manager, alerts);
  }
}
