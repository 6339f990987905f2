import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { AlertTriage, type AlertReceived } from '../triage-alert';

/** vigil.alert.received.v1 → suppressed, waiting for promotion, attached, a recurrence, or a new incident. */
@Injectable()
export class CorrelateAlertHandler {
  constructor(private readonly triage: AlertTriage) {}

  /**
   * A run of consecutive alerts from one partition, in one transaction, placed set-wise (the
   * consumer hands over what is ready; at low load a run is a single alert).
   */
  async handleRun(alerts: readonly AlertReceived[], manager: EntityManager, alsoLock: readonly string[] = []): Promise<void> {
    await this.triage.placeRun(manager, alerts, alsoLock);
  }
}
