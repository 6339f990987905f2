/* eslint-disable no-control-regex -- hostile titles carry control characters on purpose */
import { escapeHtml, escapePlain, escapeSlack, escapeTeams } from '../channels/escaping';
import { contentFromText, providerOf } from '../channels/registry';
import type { EmailParts } from '../channels/providers/email.channel';
import { signWebhook, verifyWebhook } from '../channels/providers/webhook.channel';
import { defaultTemplate } from '../templates/default-templates';
import { buildTemplateView } from '../templates/template-view';
import { snapshot } from '../test-fixtures';
import { composeMessage, messageHash, sha256, type ComposeChannel } from './compose-message';

/** Titles an attacker could give an alert, each trying to ping everyone or plant a link. */
const HOSTILE = [
  'Disk full <!channel> <!here|here> <!everyone>',
  'Ping @channel @here @everyone and <@U024BE7LH>',
  'Reset now <https://evil.example/login|Click to reset your password>',
  'Reset now [Reset your password](https://evil.example/login) ![x](https://evil.example/p.png)',
  'Visit https://evil.example/x or evil.example or hxxp://fine',
  '<a href="https://evil.example">open</a> <img src=x onerror=alert(1)> <script>alert(1)</script>',
  '<at>Alice</at> mentioned',
  'Fake\n\n*APPROVED by the CISO* — no action needed',
  'Right-to-left \u202Eexe.txt\u202C and \u0007bell',
  'mailto:ceo@evil.example javascript:alert(1)',
];

const channels: ComposeChannel[] = [
  { id: '00000000-0000-4000-8000-000000000001', name: 'ir-webhook', kind: 'webhook', config: { url: 'https://receiver.example/hook' } },
  { id: '00000000-0000-4000-8000-000000000002', name: 'ir-slack', kind: 'slack', config: {} },
  { id: '00000000-0000-4000-8000-000000000003', name: 'ir-teams', kind: 'teams', config: {} },
  { id: '00000000-0000-4000-8000-000000000004', name: 'ir-mail', kind: 'email', config: { host: 'smtp.example', port: 25, security: 'none', from: 'vigil@example.com', to: ['ir@example.com'] } },
];
const organisation = { name: 'Example Corp', contact: 'security@example.com', dpoContact: null };

async function compose(title: string) {
  const incident = { ...snapshot, title };
  const view = buildTemplateView(incident, { organisation, audience: 'ir_team', purpose: 'initial_notice', note: null });
  return composeMessage({ messageId: '00000000-0000-4000-8000-0000000000aa', audience: 'ir_team', template: defaultTemplate('ir_team', 'initial_notice'), view, channels, recipients: ['oncall@example.com'] });
}

/** Every string in a JSON document, where markup would be read. */
function strings(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(strings);
  if (value && typeof value === 'object') return Object.values(value).flatMap(strings);
  return [];
}

const body = async (title: string, kind: string) => (await compose(title)).deliveries.find((d) => d.kind === kind)!.body;

describe('a hostile alert title', () => {
  describe.each(HOSTILE)('%j', (title) => {
    it('cannot mention or link in Slack (mrkdwn control characters escaped, verbatim, URLs defanged)', async () => {
      const payload = JSON.parse(await body(title, 'slack'));
      const text = strings(payload).join('\n');
      expect(text).not.toMatch(/<[!@#]|<https?:|<mailto:/i);
      expect(text).not.toMatch(/<\/?[a-z]/i);
      expect(text).not.toMatch(/(^|[^＠])@(channel|here|everyone)/);
      expect(text).not.toMatch(/https?:\/\/|evil\.example/);
      for (const block of payload.blocks.filter((b: { type: string; text?: unknown }) => b.type === 'section' && b.text)) expect(block.text.verbatim).toBe(true);
      expect(payload.unfurl_links).toBe(false);
    });

    it('cannot mention or link in a Teams Adaptive Card', async () => {
      const payload = JSON.parse(await body(title, 'teams'));
      const card = payload.attachments[0].content;
      expect(card.type).toBe('AdaptiveCard');
      const text = strings(card.body).join('\n');
      expect(text).not.toMatch(/\]\(|\[[^\]]*\]\(/);
      expect(text).not.toMatch(/<at>|<a |<img|<script/i);
      expect(text).not.toMatch(/https?:\/\/|evil\.example/);
      expect(JSON.stringify(card)).not.toMatch(/"msteams"|"mention"|"Action\./);
    });

    it('cannot add markup or a link to the e-mail', async () => {
      const parts = JSON.parse(await body(title, 'email')) as EmailParts;
      const tags = [...parts.html.matchAll(/<\/?([a-z0-9!]+)([^>]*)>/gi)];
      expect(new Set(tags.map((t) => t[1].toLowerCase()))).toEqual(new Set(['!doctype', 'html', 'body', 'h2', 'p', 'br', 'table', 'tr', 'th', 'td']));
      for (const [, , attributes] of tags) expect(attributes).not.toMatch(/href|src|on\w+=/i);
      expect(parts.html).not.toMatch(/https?:\/\/|evil\.example/);
      expect(parts.text).not.toMatch(/https?:\/\/|evil\.example|mailto:|javascript:/);
      expect(parts.subject).not.toMatch(/[\r\n]/);
      expect(parts.to).toEqual(['ir@example.com', 'oncall@example.com']);
    });

    it('reaches the webhook defanged in its text, and only as data in its JSON fields', async () => {
      const payload = JSON.parse(await body(title, 'webhook'));
      expect(payload.text).not.toMatch(/https?:\/\/|evil\.example|(^|[^＠])@(channel|here|everyone)/);
      expect(payload.incident.title).toBe(title.replace(/[\u0007\u202A-\u202E]/g, ''));
    });

    it('keeps no control or direction-changing character anywhere', async () => {
      const message = await compose(title);
      for (const delivery of message.deliveries) expect(strings(JSON.parse(delivery.body)).join('')).not.toMatch(/[\u0007\u202A-\u202E\u2066-\u2069]/);
      expect(message.text).not.toMatch(/[\u0007\u202E]/);
    });
  });

  it('is still readable after escaping', async () => {
    expect(JSON.parse(await body('Disk full <!channel>', 'slack')).text).toContain('Disk full &lt;!channel&gt;');
    expect(escapePlain('see https://evil.example/x')).toBe('see https[:]//evil[.]example/x');
    expect(escapePlain('@here')).toBe('＠here');
    expect(escapeTeams('[a](b)')).toBe('［a］(b)');
    expect(escapeHtml('<b>')).toBe('&lt;b&gt;');
    expect(escapeSlack('a & b')).toBe('a &amp; b');
  });
});

describe(composeMessage.name, () => {
  it('keeps each channel\'s exact body with its hash, and the plain text with its own', async () => {
    const message = await compose('Credential dumping on web-01');
    expect(message.textSha256).toBe(messageHash(message.subject, message.text));
    for (const d of message.deliveries) expect(d.bodySha256).toBe(sha256(d.body));
    expect(message.deliveries.map((d) => d.kind)).toEqual(['webhook', 'slack', 'teams', 'email']);
    expect(message.deliveries.find((d) => d.kind === 'slack')!.recipients).toEqual(['slack:ir-slack']);
  });

  it('leaves out an e-mail channel with nobody to write to', async () => {
    const view = buildTemplateView(snapshot, { organisation, audience: 'legal', purpose: 'initial_notice' });
    const mail = { ...channels[3], config: { ...channels[3].config, to: [] } };
    const message = await composeMessage({ messageId: '00000000-0000-4000-8000-0000000000ac', audience: 'legal', template: defaultTemplate('legal', 'initial_notice'), view, channels: [mail], recipients: [] });
    expect(message.deliveries).toEqual([]);
  });

  it('gives an outside audience neither the facts nor the incident\'s data', async () => {
    const view = buildTemplateView(snapshot, { organisation, audience: 'customers', purpose: 'initial_notice' });
    const message = await composeMessage({ messageId: '00000000-0000-4000-8000-0000000000ab', audience: 'customers', template: defaultTemplate('customers', 'initial_notice'), view, channels, recipients: [] });
    const webhook = JSON.parse(message.deliveries[0].body);
    expect(webhook.incident).toBeUndefined();
    expect(webhook.facts).toEqual([]);
    expect(message.text).not.toContain('Ransomware');
  });
});

describe(contentFromText.name, () => {
  it('escapes untrusted text for a page sent through any channel', () => {
    const content = contentFromText('slack', { subject: 'Page: <!channel> disk full', body: 'see https://evil.example' });
    const payload = JSON.parse(providerOf('slack').format(content, { config: {}, recipients: ['slack:oncall'] }).body);
    expect(JSON.stringify(payload)).not.toMatch(/<!channel>|https:\/\//);
    expect(payload.blocks[0].text.text).toBe('Page: &lt;!channel&gt; disk full');
  });
});

describe('webhook signatures', () => {
  const secret = 'a-test-secret-of-some-length';
  const payload = '{"text":"x"}';

  it('verify for the body and timestamp signed', () => {
    expect(verifyWebhook(secret, { signature: signWebhook(secret, 1_800_000_000, payload), timestamp: '1800000000' }, payload, 1_800_000_010)).toEqual({ ok: true });
  });

  it('refuse a replay outside the tolerance, a changed body, a changed timestamp and an unsigned request', () => {
    const signature = signWebhook(secret, 1_800_000_000, payload);
    expect(verifyWebhook(secret, { signature, timestamp: '1800000000' }, payload, 1_800_000_000 + 301)).toMatchObject({ ok: false, reason: expect.stringMatching(/tolerance/) });
    expect(verifyWebhook(secret, { signature, timestamp: '1800000000' }, '{"text":"y"}', 1_800_000_000)).toMatchObject({ ok: false });
    expect(verifyWebhook(secret, { signature, timestamp: '1800000001' }, payload, 1_800_000_000)).toMatchObject({ ok: false });
    expect(verifyWebhook(secret, { signature: undefined, timestamp: undefined }, payload)).toMatchObject({ ok: false, reason: 'unsigned' });
  });
});
