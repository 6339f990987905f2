import type { ContactMethod, EventData, PageRequestedV1 } from '@vigil/contracts';
import type { ChannelConfig, ChannelContent, Outgoing } from '../../channels/channel';
import { providerOf } from '../../channels/registry';
import type { CommsConfig } from '../../config';
import { pageMessage } from './page-message';

/** The channel kinds a page goes through: the person's own address or webhook, not a configured channel. */
export type PageChannel = 'email' | 'webhook';

export interface PageRoute {
  channel: PageChannel;
  target: string;
}

/** The channel that delivers to a contact method, and where to, if comms can deliver to it at all. */
export function routeOf(method: ContactMethod): PageRoute | null {
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

/** Whether this configuration can page through the channel: e-mail needs COMMS_SMTP_URL. */
export function canPage(config: Pick<CommsConfig, 'COMMS_SMTP_URL'>, channel: PageChannel): boolean {
  return channel === 'webhook' || Boolean(config.COMMS_SMTP_URL);
}

/**
 * Exactly what a page sends through one route, formatted by the channel's provider as messages
 * are: the text with the incident's values escaped for the channel, and for webhooks the page
 * itself as data (`type: vigil.page`). The worker sends it as it is kept.
 */
export function formatPage(route: PageRoute, page: EventData<typeof PageRequestedV1>, config: Pick<CommsConfig, 'COMMS_SMTP_FROM'>): Outgoing {
  const provider = providerOf(route.channel);
  const { subject, text } = pageMessage(page, provider.escape);
  const content: ChannelContent = { subject, body: text, facts: [], data: { type: 'vigil.page', page } };
  if (route.channel === 'email') {
    // The e-mail provider formats with its sender and fixed recipients only; the server is COMMS_SMTP_URL's.
    const sender = { from: config.COMMS_SMTP_FROM, to: [] } as unknown as ChannelConfig<'email'>;
    return providerOf('email').format(content, { config: sender, recipients: [route.target] });
  }
  return providerOf('webhook').format(content, { config: { url: route.target }, recipients: [route.target] });
}
