import { Inject, Injectable } from '@nestjs/common';
import { createEvent, PageFailedV1, PageRequestedV1, type CloudEvent, type ContactMethod, type EventData } from '@vigil/contracts';
import { enqueueEvent } from '@vigil/messaging';
import { LOGGER } from '@vigil/platform';
import { currentTraceHeaders } from '@vigil/telemetry';
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { EntityManager } from 'typeorm';
import { Notification } from '../../persistence/notification.entity';
import { DeliverNotificationsWorker } from '../../notifications/deliver-notifications/deliver-notifications.worker';
import { pageMessage } from './page-message';

/** The channel that delivers to a contact method, and where to, if comms can deliver to it at all. */
function routeOf(method: ContactMethod): { channel: string; target: string } | null {
  switch (method.kind) {
    case 'email':
      return { channel: 'email', target: method.address };
    case 'webhook':
      return { channel: 'webhook', target: method.url };
    default:
      // Chat user ids and phone numbers wait for channels to come (a chat app, an SMS/voice provider).
      return null;
  }
}

/**
 * On a page request from tasking: one notification per contact method comms can deliver to, each
 * then sent (and retried) by the delivery worker, whose outcome becomes a page event. A person
 * with no such method is a failed page at once, so the escalation's timeline shows it.
 */
@Injectable()
export class PageRequestedHandler {
  constructor(
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly worker: DeliverNotificationsWorker,
  ) {}

  async handle(event: CloudEvent, manager: EntityManager, afterCommit: (fn: () => void) => void): Promise<void> {
    const page = event.data as EventData<typeof PageRequestedV1>;
    const now = new Date();
    const routes = page.person.contactMethods.map(routeOf).filter((r): r is { channel: string; target: string } => r !== null && this.worker.canDeliver(r.channel));
    const unique = [...new Map(routes.map((r) => [`${r.channel} ${r.target}`, r])).values()];
    if (unique.length === 0) {
      const kinds = page.person.contactMethods.map((m) => m.kind).join(', ') || 'none';
      const lastError = `no contact method comms can deliver to (has: ${kinds})`;
      this.logger.warn({ pageId: page.pageId, personId: page.person.personId }, lastError);
      const failed = createEvent(PageFailedV1, {
        source: '/vigil/comms',
        subject: page.incidentId,
        data: { pageId: page.pageId, escalationId: page.escalationId, incidentId: page.incidentId, personId: page.person.personId, notificationId: null, channel: null, attempts: 0, at: now.toISOString(), lastError },
      });
      await enqueueEvent(manager, 'comms', failed, { topic: PageFailedV1.topic, key: page.incidentId });
      return;
    }
    const message = pageMessage(page);
    await manager
      .createQueryBuilder()
      .insert()
      .into(Notification)
      .values(
        unique.map((r) => ({
          id: randomUUID(),
          incidentId: page.incidentId,
          kind: 'page',
          channel: r.channel,
          audience: `person:${page.person.personId}`,
          target: r.target,
          status: 'pending' as const,
          attempts: 0,
          payload: r.channel === 'email' ? { subject: message.subject, text: message.text } : { type: 'vigil.page', text: message.text, page },
          traceHeaders: currentTraceHeaders(),
          nextAttemptAt: now,
          createdAt: now,
          deliveredAt: null,
          lastError: null,
          pageId: page.pageId,
          escalationId: page.escalationId,
          personId: page.person.personId,
        })),
      )
      .orIgnore()
      .execute();
    afterCommit(() => this.worker.wake());
  }
}
