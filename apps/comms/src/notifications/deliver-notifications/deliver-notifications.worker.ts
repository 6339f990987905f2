import { Inject, Injectable, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { metrics } from '@opentelemetry/api';
import { createEvent, NotificationDeliveredV1, NotificationFailedV1, PageDeliveredV1, PageFailedV1 } from '@vigil/contracts';
import { backoff, enqueueEvent } from '@vigil/messaging';
import { CONFIG, LOGGER } from '@vigil/platform';
import { contextFromHeaders, inSpan, SpanKind } from '@vigil/telemetry';
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { DataSource } from 'typeorm';
import type { DeliveryReceipt } from '../../channels/channel';
import { channelById, toTarget } from '../../channels/channel-store';
import { deliveryGuard } from '../../channels/delivery-guard';
import { sendEmail } from '../../channels/providers/email.channel';
import { providerOf } from '../../channels/registry';
import type { CommsConfig } from '../../config';
import { MessageLedger } from '../../messages/message-ledger';
import { Delivery, Notification } from '../../persistence/notification.entity';
import { PollLoop } from '@vigil/messaging';

/** Every delivery through the outbound guard (ADR 0011): names resolved, addresses checked, connections pinned. */
const GUARD = deliveryGuard();

/** How long a claimed notification is reserved for the worker that claimed it. */
const LEASE_SECONDS = 60;
const POLL_MS = 500;

/**
 * Sends pending notifications through their channels and records every attempt with what the
 * channel answered. Replicas share the work through `FOR UPDATE SKIP LOCKED` claims with a lease;
 * a crashed worker's claims expire and are retried. Failures back off exponentially up to
 * COMMS_DELIVERY_MAX_ATTEMPTS, then the notification fails; a refusal that will not change (a 4xx,
 * a permanent SMTP reply, a channel removed or disabled) fails it at once.
 *
 * A notification is one of:
 * - one message's delivery through one named channel (`channelId`, with the exact `body` composed
 *   at draft time);
 * - a page (`pageId`): the `body` its channel's provider formatted, e-mailed through the server
 *   COMMS_SMTP_URL names or POSTed to the person's webhook in `target`, signed with
 *   COMMS_WEBHOOK_SECRET; its outcome is a page event (`vigil.page.delivered.v1` / `failed`);
 * - an older notice: a JSON `payload` POSTed to the webhook URL in `target`, signed likewise.
 */
@Injectable()
export class DeliverNotificationsWorker implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly loop: PollLoop;
  private readonly outcomes = metrics.getMeter('vigil').createCounter('vigil.notifications.deliveries', {
    description: "notification delivery attempts, by channel, kind (a message's purpose, or page) and outcome",
  });

  constructor(
    private readonly dataSource: DataSource,
    @Inject(CONFIG) private readonly config: CommsConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly ledger: MessageLedger,
  ) {
    this.loop = new PollLoop('notification delivery', POLL_MS, () => this.deliverDue(), logger);
    ledger.onRelease(() => this.wake());
  }

  onApplicationBootstrap() {
    this.loop.start();
  }

  async beforeApplicationShutdown() {
    await this.loop.stop();
  }

  wake() {
    this.loop.wake();
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
        const started = Date.now();
        const receipt = await this.send(notification).catch(
          (e: Error): DeliveryReceipt => ({ delivered: false, statusCode: null, error: e.message, retryable: true, details: {} }),
        );
        await this.record(notification, receipt, Date.now() - started);
      },
    );
  }

  private async send(n: Notification): Promise<DeliveryReceipt> {
    const context = { notificationId: n.id, attempt: n.attempts, timeoutMs: this.config.COMMS_DELIVERY_TIMEOUT_MS, now: new Date(), guard: GUARD };
    if (!n.channelId && n.channel === 'email') {
      // A page by e-mail, to the person's address through the organisation's SMTP server.
      if (!this.config.COMMS_SMTP_URL) return { delivered: false, statusCode: null, error: 'COMMS_SMTP_URL is not set: comms cannot send e-mail pages', retryable: false, details: {} };
      if (!n.body) return { delivered: false, statusCode: null, error: 'the page has no e-mail body', retryable: false, details: {} };
      return sendEmail({ body: n.body, recipients: n.recipients }, { url: this.config.COMMS_SMTP_URL }, context);
    }
    if (!n.channelId) {
      const secrets = this.config.COMMS_WEBHOOK_SECRET ? { signingSecret: this.config.COMMS_WEBHOOK_SECRET } : {};
      // A page to a person's webhook contact method: an address people enter, checked like an API channel's.
      const network = { allowPrivateNetwork: this.config.COMMS_PAGE_WEBHOOKS_ALLOW_PRIVATE_NETWORK, allowHttp: this.config.COMMS_PAGE_WEBHOOKS_ALLOW_HTTP };
      const target = { id: n.id, name: n.channelName ?? 'webhook', kind: 'webhook' as const, config: { url: n.target }, secrets, network };
      return providerOf('webhook').send({ body: n.body ?? JSON.stringify(n.payload), recipients: [n.target] }, target, context);
    }
    const channel = await channelById(this.dataSource, n.channelId);
    if (!channel) return { delivered: false, statusCode: null, error: `channel ${n.channelName} was removed`, retryable: false, details: {} };
    if (!channel.enabled) return { delivered: false, statusCode: null, error: `channel ${channel.name} is disabled`, retryable: false, details: {} };
    return providerOf(channel.kind).send({ body: n.body ?? '', recipients: n.recipients }, toTarget(channel) as never, context);
  }

  private async record(n: Notification, receipt: DeliveryReceipt, durationMs: number) {
    const delivered = receipt.delivered;
    const exhausted = !delivered && (!receipt.retryable || n.attempts >= this.config.COMMS_DELIVERY_MAX_ATTEMPTS);
    const now = new Date();
    this.outcomes.add(1, { channel: n.channel, kind: n.kind, outcome: delivered ? 'delivered' : exhausted ? 'failed' : 'retrying' });
    await this.dataSource.transaction(async (manager) => {
      await manager.insert(Delivery, {
        id: randomUUID(),
        notificationId: n.id,
        attempt: n.attempts,
        at: now,
        outcome: delivered ? 'delivered' : 'failed',
        statusCode: receipt.statusCode,
        error: receipt.error,
        durationMs,
        receipt: receipt.details as never,
      });
      if (delivered || exhausted) {
        await manager.update(Notification, { id: n.id }, {
          status: delivered ? 'delivered' : 'failed',
          deliveredAt: delivered ? now : null,
          lastError: receipt.error,
        });
        const { definition, event } = outcomeEvent(n, delivered, now, receipt.error);
        await enqueueEvent(manager, 'comms', event, { topic: definition.topic, key: n.incidentId });
        if (n.messageId) await this.ledger.deliveryEnded(manager, n.messageId, now);
      } else {
        const delayMs = Math.max(this.config.COMMS_RETRY_BASE_MS, backoff(n.attempts, this.config.COMMS_RETRY_BASE_MS, 15 * 60_000));
        await manager.update(Notification, { id: n.id }, { nextAttemptAt: new Date(now.getTime() + delayMs), lastError: receipt.error });
        this.logger.warn({ notificationId: n.id, channel: n.channelName ?? n.channel, attempt: n.attempts, error: receipt.error, retryInMs: delayMs }, 'delivery failed, will retry');
      }
    });
  }
}

/** The event that reports a notification's final outcome: a page's as a page event. */
function outcomeEvent(n: Notification, delivered: boolean, now: Date, lastError: string | null) {
  if (n.pageId && n.escalationId && n.personId) {
    const definition = delivered ? PageDeliveredV1 : PageFailedV1;
    const event = createEvent(definition, {
      source: '/vigil/comms',
      subject: n.incidentId,
      data: { pageId: n.pageId, escalationId: n.escalationId, incidentId: n.incidentId, personId: n.personId, notificationId: n.id, channel: n.channel, attempts: n.attempts, at: now.toISOString(), lastError },
    });
    return { definition, event };
  }
  const definition = delivered ? NotificationDeliveredV1 : NotificationFailedV1;
  const event = createEvent(definition, {
    source: '/vigil/comms',
    subject: n.incidentId,
    data: {
      notificationId: n.id,
      incidentId: n.incidentId,
      channel: n.channel,
      audience: n.audience,
      attempts: n.attempts,
      at: now.toISOString(),
      lastError,
      messageId: n.messageId,
      channelName: n.channelName,
    },
  });
  return { definition, event };
}
