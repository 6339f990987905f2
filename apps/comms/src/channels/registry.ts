import type { ChannelKind } from '@vigil/contracts';
import type { ChannelContent, ChannelProvider } from './channel';
import { emailChannel } from './providers/email.channel';
import { slackChannel } from './providers/slack.channel';
import { teamsChannel } from './providers/teams.channel';
import { webhookChannel } from './providers/webhook.channel';

/**
 * Every channel comms can deliver through. Adding one: write its provider, add it here (the
 * compiler then asks for its settings in `ChannelSettings` of libs/contracts).
 */
export const CHANNEL_PROVIDERS: { [K in ChannelKind]: ChannelProvider<K> } = {
  webhook: webhookChannel,
  slack: slackChannel,
  teams: teamsChannel,
  email: emailChannel,
};

export function providerOf<K extends ChannelKind>(kind: K): ChannelProvider<K> {
  return CHANNEL_PROVIDERS[kind] as ChannelProvider<K>;
}

/**
 * Content for a channel from untrusted plain text (a page about an alert, say): subject and body
 * are escaped for the channel's markup here, facts by the channel itself.
 */
export function contentFromText(kind: ChannelKind, text: { subject: string; body: string; facts?: ChannelContent['facts']; data?: Record<string, unknown> }): ChannelContent {
  const provider = providerOf(kind);
  return { subject: provider.escape(text.subject), body: provider.escape(text.body), facts: text.facts ?? [], data: text.data ?? {} };
}
