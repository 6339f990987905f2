import { Inject, Injectable, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { metrics } from '@opentelemetry/api';
import { createEvent, NotificationDeliveredV1, NotificationFailedV1, PageDeliveredV1, PageFailedV1, type CloudEvent } from '@vigil/contracts';
import { backoff, enqueueEvent, isTransientInfrastructureError } from '@vigil/messaging';
import { CONFIG, LOGGER } from '@vigil/platform';
import { contextFromHeaders, inSpan, SpanKind } from '@vigil/telemetry';
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { DataSource } from 'typeorm';
import type { CommsConfig } from '../../config';
import { Delivery, Notification } from '../../persistence/notification.entity';
import { channelsFor, type DeliveryChannel } from './channels';

/** How long a claimed notification is reserved for the worker that claimed it. */
const LEASE_SECONDS = 60;
const POLL_MS = 500;

/**
 * Sends pending notifications through their channel (webhook, e-mail) and records every attempt.
 * Replicas share the work through `FOR UPDATE SKIP LOCKED` claims with a lease; a crashed worker's
 * claims expire and are retried. Failures back off exponentially up to
 * COMMS_DELIVERY_MAX_ATTEMPTS, then the notification fails. A page's outcome is reported as a
 * page event (`vigil.page.delivered.v1` / `failed`), any other's as a notification event.
 */
@Injectable()
export class DeliverNotificationsWorker implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private running = false;
  private loop?: Promise<void>;
  private wakeUp?: () => void;
  private readonly outcomes = metrics.getMeter('vigil').createCounter('vigil.notifications.deliveries', {
    description: 'notification delivery attempts, by channel, kind (incident_opened, page) and outcome',
  });
  private readonly channels: Map<string, DeliveryChannel>;

  constructor(
    private readonly dataSource: DataSource,
    @Inject(CONFIG) private readonly config: CommsConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    this.channels = channelsFor(config);
  }

  /** Whether comms can deliver through a channel with this configuration. */
  canDeliver(channel: string): boolean {
    return this.channels.has(channel);
  }

  onApplicationBootstrap() {
    this.running = true;
    this.loop = this.run();
  }

  async beforeApplicationShutdown() {
    this.running = false;
    this.wake();
    await this.loop;
    for (const channel of this.channels.values()) (channel as { close?: () => void }).close?.();
  }

  wake() {
    this.wakeUp?.();
  }

  private async run() {
    while (this.running) {
      let claimed = 0;
      try {
        claimed = await this.deliverDue();
      } catch (error) {
        const level = isTransientInfrastructureError(error) ? 'warn' : 'error';
        this.logger[level]({ err: error }, 'notification delivery round failed');
      }
      if (claimed === 0 && this.running) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, POLL_MS);
          this.wakeUp = () => {
            clearTimeout(timer);
            resolve();
          };
        });
      }
    }
  }

  private async deliverDue(): Promise<number> {
    const claimed: Notification[] = await this.dataSource.transaction(async (manager) => {
      const rows: Array<{ id: string }> = await manager.query(
        `WITH claimed AS (
           UPDATE comms.notifications SET next_attempt_at = now() + make_interval(secs => $1), attempts = attempts + 1
            WHERE id IN (SELECT id FROM comms.notifications
                          WHERE status = 'pending' AND next_attempt_at <= now()
                          ORDER BY next_attempt_at LIMIT 20 FOR UPDATE SKIP LOCKED)
            RETURNING id)
         SELECT id FROM claimed`,
        [LEASE_SECONDS],
      );
      if (rows.length === 0) return [];
      return manager.getRepository(Notification).findBy(rows.map((r) => ({ id: r.id })));
    });
    await Promise.all(claimed.map((n) => this.deliver(n)));
    return claimed.length;
  }

  private async deliver(notification: Notification): Promise<void> {
    await inSpan(
      `${notification.channel} deliver`,
      { kind: SpanKind.CLIENT, parent: contextFromHeaders(notification.traceHeaders), attributes: { 'vigil.notification.id': notification.id, 'vigil.notification.attempt': notification.attempts } },
      async () => {
        const channel = this.channels.get(notification.channel);
        const started = Date.now();
        const result = channel ? await channel.send(notification) : { statusCode: null, error: `comms is not configured for the ${notification.channel} channel` };
        await this.record(notification, { ...result, durationMs: Date.now() - started });
      },
    );
  }

  private async record(n: Notification, result: { statusCode: number | null; error: string | null; durationMs: number }) {
    const delivered = result.error === null;
    const exhausted = !delivered && n.attempts >= this.config.COMMS_DELIVERY_MAX_ATTEMPTS;
    const now = new Date();
    this.outcomes.add(1, { channel: n.channel, kind: n.kind, outcome: delivered ? 'delivered' : exhausted ? 'failed' : 'retrying' });
    await this.dataSource.transaction(async (manager) => {
      await manager.insert(Delivery, {
        id: randomUUID(),
        notificationId: n.id,
        attempt: n.attempts,
        at: now,
        outcome: delivered ? 'delivered' : 'failed',
        statusCode: result.statusCode,
        error: result.error,
        durationMs: result.durationMs,
      });
      if (delivered || exhausted) {
        await manager.update(Notification, { id: n.id }, {
          status: delivered ? 'delivered' : 'failed',
          deliveredAt: delivered ? now : null,
          lastError: result.error,
        });
        const event = outcomeEvent(n, delivered, now, result.error);
        await enqueueEvent(manager, 'comms', event, { topic: delivered ? NotificationDeliveredV1.topic : NotificationFailedV1.topic, key: n.incidentId });
      } else {
        const delayMs = Math.max(this.config.COMMS_RETRY_BASE_MS, backoff(n.attempts, this.config.COMMS_RETRY_BASE_MS, 15 * 60_000));
        await manager.update(Notification, { id: n.id }, { nextAttemptAt: new Date(now.getTime() + delayMs), lastError: result.error });
        this.logger.warn({ notificationId: n.id, attempt: n.attempts, error: result.error, retryInMs: delayMs }, 'webhook delivery failed, will retry');
      }
    });
  }
}

/** The event that reports a notification's final outcome: a page's as a page event. */
function outcomeEvent(n: Notification, delivered: boolean, now: Date, lastError: string | null): CloudEvent {
  if (n.pageId && n.escalationId && n.personId) {
    return createEvent(delivered ? PageDeliveredV1 : PageFailedV1, {
      source: '/vigil/comms',
      subject: n.incidentId,
      data: { pageId: n.pageId, escalationId: n.escalationId, incidentId: n.incidentId, personId: n.personId, notificationId: n.id, channel: n.channel, attempts: n.attempts, at: now.toISOString(), lastError },
    });
  }
  return createEvent(delivered ? NotificationDeliveredV1 : NotificationFailedV1, {
    source: '/vigil/comms',
    subject: n.incidentId,
    data: { notificationId: n.id, incidentId: n.incidentId, channel: n.channel, audience: n.audience, attempts: n.attempts, at: now.toISOString(), lastError },
  });
}
