import { isExternalAudience, type AudienceKey, type ChannelKind } from '@vigil/contracts';
import { createHash } from 'node:crypto';
import type { ChannelConfig, ChannelContent } from '../channels/channel';
import { escapePlain, oneLine } from '../channels/escaping';
import { providerOf } from '../channels/registry';
import { renderTemplate } from '../templates/template-engine';
import type { TemplateView } from '../templates/template-view';

export const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

/** The ledger's hash of a message: over its subject, a newline and its text. */
export const messageHash = (subject: string, text: string) => sha256(`${subject}\n${text}`);

export interface ComposeChannel {
  id: string;
  name: string;
  kind: ChannelKind;
  config: Record<string, unknown>;
}

export interface ComposedDelivery {
  channelId: string;
  channelName: string;
  kind: ChannelKind;
  recipients: string[];
  body: string;
  bodySha256: string;
}

export interface ComposedMessage {
  subject: string;
  text: string;
  textSha256: string;
  deliveries: ComposedDelivery[];
}

/**
 * Renders a message once as plain text (what is approved and kept in the ledger) and once per
 * channel, each with that channel's escaping of the incident's values, and formats each channel's
 * body. Inside audiences see the facts and the incident's view; outside audiences only the text.
 */
export async function composeMessage(input: {
  messageId: string;
  audience: AudienceKey;
  template: { subject: string; body: string };
  view: TemplateView;
  channels: readonly ComposeChannel[];
  recipients: readonly string[];
}): Promise<ComposedMessage> {
  const subject = oneLine(await renderTemplate(input.template.subject, input.view, escapePlain));
  const text = (await renderTemplate(input.template.body, input.view, escapePlain)).trim();
  const external = isExternalAudience(input.audience);
  const v = input.view.incident;
  const facts = external
    ? []
    : [
        { title: 'Severity', value: v.severity },
        { title: 'Category', value: v.category },
        { title: 'Phase', value: v.phase },
        { title: 'Incident', value: v.id },
      ];
  const data: Record<string, unknown> = external
    ? { messageId: input.messageId, message: { audience: input.audience, purpose: input.view.message.purpose } }
    : { messageId: input.messageId, message: input.view.message, incident: v };
  const deliveries: ComposedDelivery[] = [];
  for (const channel of input.channels) {
    const provider = providerOf(channel.kind);
    const content: ChannelContent = {
      subject: await renderTemplate(input.template.subject, input.view, provider.escape),
      body: (await renderTemplate(input.template.body, input.view, provider.escape)).trim(),
      facts,
      data,
    };
    const recipients = channel.kind === 'email' ? [...input.recipients] : [`${channel.kind}:${channel.name}`];
    const outgoing = provider.format(content, { config: channel.config as ChannelConfig<never>, recipients });
    // An e-mail channel with nobody to write to (neither the channel nor the audience names anyone) carries nothing.
    if (outgoing.recipients.length === 0) continue;
    deliveries.push({ channelId: channel.id, channelName: channel.name, kind: channel.kind, recipients: outgoing.recipients, body: outgoing.body, bodySha256: sha256(outgoing.body) });
  }
  return { subject, text, textSha256: messageHash(subject, text), deliveries };
}
