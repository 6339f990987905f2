import { Inject, Injectable } from '@nestjs/common';
import { IncidentOpenedV1, type CloudEvent, type EventData } from '@vigil/contracts';
import { CONFIG, LOGGER } from '@vigil/platform';
import { currentTraceHeaders } from '@vigil/telemetry';
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { EntityManager } from 'typeorm';
import type { CommsConfig } from '../../config';
import { Notification } from '../../persistence/notification.entity';
import { DeliverNotificationsWorker } from '../deliver-notifications/deliver-notifications.worker';

/**
 * On incident opened: a notification to the IR team through the configured webhook channel.
 * Only recorded here (with the event, in one transaction); the delivery worker sends it and
 * retries, so a slow or failing webhook never holds up the incident stream.
 */
@Injectable()
export class NotifyTeamOfIncidentHandler {
  constructor(
    @Inject(CONFIG) private readonly config: CommsConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly worker: DeliverNotificationsWorker,
  ) {}

  async handle(event: CloudEvent, manager: EntityManager, afterCommit: (fn: () => void) => void): Promise<void> {
    const { incident, alert } = event.data as EventData<typeof IncidentOpenedV1>;
    if (!this.config.COMMS_WEBHOOK_URL) {
      this.logger.warn({ incidentId: incident.incidentId }, 'no IR team channel configured (COMMS_WEBHOOK_URL); not notifying');
      return;
    }
    const prefix = incident.exercise ? '[EXERCISE] ' : '';
    await manager
      .createQueryBuilder()
      .insert()
      .into(Notification)
      .values({
        id: randomUUID(),
        incidentId: incident.incidentId,
        kind: 'incident_opened',
        channel: 'webhook',
        audience: 'ir_team',
        target: this.config.COMMS_WEBHOOK_URL,
        status: 'pending',
        attempts: 0,
        payload: {
          type: 'vigil.incident.opened',
          text: `${prefix}${incident.severity} incident opened: ${incident.title} (${incident.category})`,
          incident,
          firstAlert: alert,
        },
        traceHeaders: currentTraceHeaders(),
        nextAttemptAt: new Date(),
        createdAt: new Date(),
        deliveredAt: null,
        lastError: null,
      })
      .orIgnore()
      .execute();
    afterCommit(() => this.worker.wake());
  }
}
