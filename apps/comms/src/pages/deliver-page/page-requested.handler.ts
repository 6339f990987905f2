import { Inject, Injectable } from '@nestjs/common';
import { createEvent, PageFailedV1, PageRequestedV1, type CloudEvent, type EventData } from '@vigil/contracts';
import { enqueueEvent } from '@vigil/messaging';
import { CONFIG, LOGGER } from '@vigil/platform';
import { currentTraceHeaders } from '@vigil/telemetry';
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { EntityManager } from 'typeorm';
import type { CommsConfig } from '../../config';
import { sha256 } from '../../messages/compose-message';
import { DeliverNotificationsWorker } from '../../notifications/deliver-notifications/deliver-notifications.worker';
import { Notification } from '../../persistence/notification.entity';
import { canPage, formatPage, routeOf, type PageRoute } from './page-delivery';

/**
 * On a page request from tasking: one notification per contact method comms can deliver to, its
 * body formatted by the channel's provider and kept with its SHA-256, then sent (and retried) by
 * the delivery worker, whose outcome becomes a page event. A person with no such method is a
 * failed page at once, so the escalation's timeline shows it.
 */
@Injectable()
export class PageRequestedHandler {
  constructor(
    @Inject(CONFIG) private readonly config: CommsConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly worker: DeliverNotificationsWorker,
  ) {}

  async handle(event: CloudEvent, manager: EntityManager, afterCommit: (fn: () => void) => void): Promise<void> {
    const page = event.data as EventData<typeof PageRequestedV1>;
    const now = new Date();
    const routes = page.person.contactMethods.map(routeOf).filter((r): r is PageRoute => r !== null && canPage(this.config, r.channel));
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
    await manager
      .createQueryBuilder()
      .insert()
      .into(Notification)
      .values(
        unique.map((r) => {
          const outgoing = formatPage(r, page, this.config);
          return {
            id: randomUUID(),
            incidentId: page.incidentId,
            kind: 'page',
            channel: r.channel,
            audience: `person:${page.person.personId}`,
            target: r.target,
            status: 'pending' as const,
            attempts: 0,
            payload: { type: 'vigil.page', page },
            traceHeaders: currentTraceHeaders(),
            nextAttemptAt: now,
            createdAt: now,
            deliveredAt: null,
            lastError: null,
            pageId: page.pageId,
            escalationId: page.escalationId,
            personId: page.person.personId,
            messageId: null,
            channelId: null,
            channelName: null,
            recipients: outgoing.recipients,
            body: outgoing.body,
            bodySha256: sha256(outgoing.body),
          };
        }),
      )
      .orIgnore()
      .execute();
    afterCommit(() => this.worker.wake());
  }
}
