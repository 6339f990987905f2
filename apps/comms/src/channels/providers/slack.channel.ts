import { postJson, type ChannelProvider } from '../channel';
import { escapeSlack, oneLine } from '../escaping';

const HEADER_MAX = 150;
const SECTION_MAX = 3000;

function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  // Never end inside an entity (&amp; &lt; &gt;), which Slack would show half-escaped.
  const cut = text.slice(0, max - 1).replace(/&[a-z]{0,4}$/, '');
  return `${cut}…`;
}

/** Splits a long text into section-sized pieces, at line breaks where possible. */
function sections(text: string): string[] {
  const out: string[] = [];
  let rest = text.trim();
  while (rest.length > SECTION_MAX) {
    let at = rest.lastIndexOf('\n', SECTION_MAX);
    if (at < SECTION_MAX / 2) at = SECTION_MAX;
    while (/&[a-z]{0,4}$/.test(rest.slice(0, at))) at -= 1;
    out.push(rest.slice(0, at));
    rest = rest.slice(at).trimStart();
  }
  if (rest) out.push(rest);
  return out;
}

/**
 * Slack incoming webhook, Block Kit: a header with the subject, the body in mrkdwn sections and
 * the facts as fields. mrkdwn is `verbatim` (Slack neither links URLs nor parses mentions on its
 * own) and unfurling is off, so nothing in a message fetches a URL.
 */
export const slackChannel: ChannelProvider<'slack'> = {
  kind: 'slack',
  escape: escapeSlack,
  format(content, target) {
    const subject = oneLine(content.subject);
    const blocks: unknown[] = [{ type: 'header', text: { type: 'plain_text', text: truncate(subject, HEADER_MAX), emoji: false } }];
    for (const text of sections(content.body)) blocks.push({ type: 'section', text: { type: 'mrkdwn', text, verbatim: true } });
    if (content.facts.length) {
      blocks.push({
        type: 'section',
        fields: content.facts.slice(0, 10).map((f) => ({ type: 'mrkdwn', text: truncate(`*${escapeSlack(f.title)}*\n${escapeSlack(f.value)}`, 2000), verbatim: true })),
      });
    }
    return {
      body: JSON.stringify({ text: truncate(subject, SECTION_MAX), blocks, unfurl_links: false, unfurl_media: false }),
      recipients: target.recipients,
    };
  },
  async send(outgoing, target, context) {
    return postJson(target.secrets.webhookUrl, outgoing.body, {}, target.network, context);
  },
};
