import { postJson, type ChannelProvider } from '../channel';
import { escapeTeams, oneLine } from '../escaping';

/**
 * Microsoft Teams workflow webhook ("When a Teams webhook request is received" → post card): a
 * message with one Adaptive Card — the subject as a bold title, the body as a wrapping text block,
 * the facts as a FactSet. Nothing in it is an action or a mention entity.
 */
export const teamsChannel: ChannelProvider<'teams'> = {
  kind: 'teams',
  escape: escapeTeams,
  format(content, target) {
    const card = {
      $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
      type: 'AdaptiveCard',
      version: '1.4',
      body: [
        { type: 'TextBlock', text: oneLine(content.subject), weight: 'Bolder', size: 'Medium', wrap: true },
        { type: 'TextBlock', text: content.body.trim(), wrap: true },
        ...(content.facts.length ? [{ type: 'FactSet', facts: content.facts.map((f) => ({ title: escapeTeams(f.title), value: escapeTeams(f.value) })) }] : []),
      ],
    };
    return {
      body: JSON.stringify({ type: 'message', attachments: [{ contentType: 'application/vnd.microsoft.card.adaptive', contentUrl: null, content: card }] }),
      recipients: target.recipients,
    };
  },
  async send(outgoing, target, context) {
    return postJson(target.secrets.webhookUrl, outgoing.body, {}, target.network, context);
  },
};
