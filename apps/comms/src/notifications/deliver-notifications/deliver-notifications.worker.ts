import { Inject, Injectable, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { metrics } from '@opentelemetry/api';
import { createEvent, NotificationDeliveredV1, NotificationFailedV1, PageDeliveredV1, PageFailedV1 } from '@vigil/contracts';
import { backoff, outboxInsertSql, statementBuilder, writeTogetherSql, type OutboxItem } from '@vigil/messaging';
import { CONFIG, entitiesFromRows, LOGGER } from '@vigil/platform';
import { contextFromHeaders, currentTraceHeaders, inSpan, SpanKind } from '@vigil/telemetry';
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { DataSource } from 'typeorm';
import type { DeliveryReceipt } from '../../channels/channel';
import { toTarget, type ChannelRow } from '../../channels/channel-store';
import { deliveryGuard } from '../../channels/delivery-guard';
import { sendEmail } from '../../channels/providers/email.channel';
import { providerOf } from '../../channels/registry';
import type { CommsConfig } from '../../config';
import { MessageLedger } from '../../messages/message-ledger';
import { Notification } from '../../persistence/notification.entity';
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
    // One statement claims a batch and returns it (no transaction around it: it is one).
    const rows: Array<Record<string, unknown>> = await this.dataSource.query(
      `WITH claimed AS (
         UPDATE comms.notifications SET next_attempt_at = now() + make_interval(secs => $1), attempts = attempts + 1
          WHERE id IN (SELECT id FROM comms.notifications
                        WHERE status = 'pending' AND next_attempt_at <= now()
                        ORDER BY next_attempt_at LIMIT 20 FOR UPDATE SKIP LOCKED)
          RETURNING *)
       SELECT * FROM claimed`,
      [LEASE_SECONDS],
    );
    if (rows.length === 0) return 0;
    const claimed = entitiesFromRows(this.dataSource, Notification, rows);
    // The batch's channels in one read, as they are now (a channel removed or disabled since fails its deliveries).
    const channelIds = [...new Set(claimed.flatMap((n) => (n.channelId ? [n.channelId] : [])))];
    const channels = new Map(
      (channelIds.length ? ((await this.dataSource.query(`SELECT * FROM comms.channels WHERE id = ANY($1::uuid[])`, [channelIds])) as ChannelRow[]) : []).map((c) => [c.id, c]),
    );
    const attempts = await Promise.all(claimed.map((n) => this.deliver(n, channels)));
    await this.record(attempts);
    return claimed.length;
  }

  private async deliver(notification: Notification, channels: ReadonlyMap<string, ChannelRow>): Promise<Attempt> {
    return inSpan(
      `${notification.channel} deliver`,
      { kind: SpanKind.CLIENT, parent: contextFromHeaders(notification.traceHeaders), attributes: { 'vigil.notification.id': notification.id, 'vigil.notification.attempt': notification.attempts } },
      async () => {
        const started = Date.now();
        const receipt = await this.send(notification, channels).catch(
          (e: Error): DeliveryReceipt => ({ delivered: false, statusCode: null, error: e.message, retryable: true, details: {} }),
        );
        // The outcome's event continues this delivery's trace.
        return { n: notification, receipt, durationMs: Date.now() - started, at: new Date(), traceHeaders: currentTraceHeaders() };
      },
    );
  }

  private async send(n: Notification, channels: ReadonlyMap<string, ChannelRow>): Promise<DeliveryReceipt> {
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
    const channel = channels.get(n.channelId);
    if (!channel) return { delivered: false, statusCode: null, error: `channel ${n.channelName} was removed`, retryable: false, details: {} };
    if (!channel.enabled) return { delivered: false, statusCode: null, error: `channel ${channel.name} is disabled`, retryable: false, details: {} };
    return providerOf(channel.kind).send({ body: n.body ?? '', recipients: n.recipients }, toTarget(channel) as never, context);
  }

  /**
   * A batch's attempts in one transaction: every attempt's receipt, every notification's new state
   * and the events of those that ended in one statement, then the messages whose last delivery
   * ended (`MessageLedger.deliveriesEnded`).
   */
  private async record(attempts: readonly Attempt[]): Promise<void> {
    const receipts: Array<Record<string, unknown>> = [];
    const states: Array<Record<string, unknown>> = [];
    const events: OutboxItem[] = [];
    const ended = new Set<string>();
    for (const { n, receipt, durationMs, at, traceHeaders } of attempts) {
      const delivered = receipt.delivered;
      const exhausted = !delivered && (!receipt.retryable || n.attempts >= this.config.COMMS_DELIVERY_MAX_ATTEMPTS);
      this.outcomes.add(1, { channel: n.channel, kind: n.kind, outcome: delivered ? 'delivered' : exhausted ? 'failed' : 'retrying' });
      receipts.push({ id: randomUUID(), notification_id: n.id, attempt: n.attempts, at, outcome: delivered ? 'delivered' : 'failed', status_code: receipt.statusCode, error: receipt.error, duration_ms: durationMs, receipt: receipt.details });
      if (delivered || exhausted) {
        states.push({ id: n.id, status: delivered ? 'delivered' : 'failed', delivered_at: delivered ? at : null, last_error: receipt.error, next_attempt_at: null });
        const { definition, event } = outcomeEvent(n, delivered, at, receipt.error);
        events.push({ event, topic: definition.topic, key: n.incidentId, traceHeaders });
        if (n.messageId) ended.add(n.messageId);
      } else {
        const delayMs = Math.max(this.config.COMMS_RETRY_BASE_MS, backoff(n.attempts, this.config.COMMS_RETRY_BASE_MS, 15 * 60_000));
        states.push({ id: n.id, status: null, delivered_at: null, last_error: receipt.error, next_attempt_at: new Date(at.getTime() + delayMs) });
        this.logger.warn({ notificationId: n.id, channel: n.channelName ?? n.channel, attempt: n.attempts, error: receipt.error, retryInMs: delayMs }, 'delivery failed, will retry');
      }
    }
    const { bind, params } = statementBuilder();
    const writes = [
      `INSERT INTO comms.deliveries (id, notification_id, attempt, at, outcome, status_code, error, duration_ms, receipt)
       SELECT * FROM json_to_recordset(${bind(JSON.stringify(receipts))}::json)
         AS r(id uuid, notification_id uuid, attempt int, at timestamptz, outcome text, status_code int, error text, duration_ms int, receipt jsonb)`,
      `UPDATE comms.notifications n SET status = coalesce(s.status, n.status), delivered_at = s.delivered_at, last_error = s.last_error,
              next_attempt_at = coalesce(s.next_attempt_at, n.next_attempt_at)
         FROM (SELECT * FROM json_to_recordset(${bind(JSON.stringify(states))}::json)
                 AS s(id uuid, status text, delivered_at timestamptz, last_error text, next_attempt_at timestamptz)) AS s
        WHERE n.id = s.id`,
      ...(events.length ? [outboxInsertSql('comms', events, bind)] : []),
    ];
    await this.dataSource.transaction(async (manager) => {
      await manager.query(writeTogetherSql(writes), params);
      if (ended.size) await this.ledger.deliveriesEnded(manager, [...ended], new Date());
    });
  }
}

interface Attempt {
  n: Notification;
  receipt: DeliveryReceipt;
  durationMs: number;
  at: Date;
  traceHeaders: Record<string, string>;
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
