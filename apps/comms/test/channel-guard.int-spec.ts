// @nestjs/common 12 ships only as ES modules, which Jest does not load: the channels need only the
// platform's outbound guard, none of which uses Nest.
jest.mock('@vigil/platform', () => ({ ...jest.requireActual('../../../libs/platform/src/outbound') }));

import { createServer, type Server } from 'node:net';
import type { AddressInfo } from 'node:net';
import type { ChannelTarget, DeliveryContext } from '../src/channels/channel';
import { deliveryGuard } from '../src/channels/delivery-guard';
import { emailChannel } from '../src/channels/providers/email.channel';
import { slackChannel } from '../src/channels/providers/slack.channel';
import { teamsChannel } from '../src/channels/providers/teams.channel';
import { webhookChannel } from '../src/channels/providers/webhook.channel';
import { startReceiver } from '../../../test/support/harness';

/**
 * Comms' deliveries go through the outbound guard: a channel made through the API reaches only
 * public addresses unless an admin allowed more on it, whatever the URL or the name says. A real
 * local receiver stands for an internal service: it must get nothing from a guarded channel.
 */
describe('channel deliveries through the outbound guard (local receivers)', () => {
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let smtp: Server;
  let smtpConnections = 0;
  let smtpPort: number;
  // Names resolve as an attacker's DNS would answer: to the metadata address, or to loopback.
  const guard = deliveryGuard(async (host: string) => (host === 'metadata.attacker.example' ? [{ address: '169.254.169.254', family: 4 }] : [{ address: '127.0.0.1', family: 4 }]));
  const context: DeliveryContext = { notificationId: 'n-guard', attempt: 1, timeoutMs: 2000, now: new Date('2026-11-29T12:00:00Z'), guard };
  const guarded = { allowPrivateNetwork: false, allowHttp: false };
  const open = { allowPrivateNetwork: true, allowHttp: true };
  const outgoing = { body: JSON.stringify({ text: 'hello' }), recipients: [] };

  beforeAll(async () => {
    receiver = await startReceiver();
    // Only counts connections: a guarded e-mail channel must never open one.
    smtp = createServer((socket) => {
      smtpConnections += 1;
      socket.end('421 test server\r\n');
    });
    await new Promise<void>((r) => smtp.listen(0, '127.0.0.1', r));
    smtpPort = (smtp.address() as AddressInfo).port;
  });

  afterAll(async () => {
    await receiver?.close();
    await new Promise((r) => smtp?.close(r));
  });

  const port = () => new URL(receiver.url).port;
  const webhook = (url: string, network = guarded): ChannelTarget<'webhook'> => ({ id: 'c', name: 'hook', kind: 'webhook', config: { url }, secrets: {}, network });

  it.each([
    ['a plain-http URL', () => `${receiver.url}/hook`, /scheme http: is not allowed/],
    ['a loopback address', () => `https://127.0.0.1:${port()}/hook`, /127\.0\.0\.1 is loopback/],
    ['loopback written in decimal', () => `https://2130706433:${port()}/hook`, /127\.0\.0\.1 is loopback/],
    ['loopback written in octal', () => `https://0177.0.0.1:${port()}/hook`, /127\.0\.0\.1 is loopback/],
    ['an IPv4-mapped IPv6 loopback', () => `https://[::ffff:127.0.0.1]:${port()}/hook`, /loopback/],
    ['a name that resolves to loopback', () => `https://internal.attacker.example:${port()}/hook`, /127\.0\.0\.1 \(internal\.attacker\.example\) is loopback/],
    ['a name that resolves to the metadata address', () => 'https://metadata.attacker.example/latest/meta-data/', /169\.254\.169\.254 \(metadata\.attacker\.example\) is link-local/],
  ])('refuses %s for a guarded webhook channel, and the receiver gets nothing', async (_, url, reason) => {
    const before = receiver.requests.length;
    const receipt = await webhookChannel.send(outgoing, webhook(url()), context);
    expect(receipt).toMatchObject({ delivered: false, retryable: false, statusCode: null });
    expect(receipt.error).toMatch(reason);
    expect(receiver.requests.length).toBe(before);
  });

  it('delivers to the same internal receiver once the channel allows it, connecting to the checked address', async () => {
    const receipt = await webhookChannel.send(outgoing, webhook(`${receiver.url}/allowed`, open), context);
    expect(receipt).toMatchObject({ delivered: true, statusCode: 204, details: { address: '127.0.0.1' } });
    expect(receiver.requests.at(-1)?.path).toBe('/allowed');
  });

  it('guards Slack and Teams webhook URLs the same way', async () => {
    const before = receiver.requests.length;
    for (const [provider, kind] of [[slackChannel, 'slack'], [teamsChannel, 'teams']] as const) {
      const target = { id: 'c', name: kind, kind, config: {}, secrets: { webhookUrl: `https://127.0.0.1:${port()}/${kind}` }, network: guarded } as ChannelTarget<typeof kind>;
      const receipt = await (provider.send as (o: typeof outgoing, t: typeof target, c: DeliveryContext) => ReturnType<typeof slackChannel.send>)(outgoing, target, context);
      expect(receipt).toMatchObject({ delivered: false, retryable: false });
      expect(receipt.error).toMatch(/127\.0\.0\.1 is loopback/);
    }
    expect(receiver.requests.length).toBe(before);
  });

  it('refuses an SMTP server on an internal address without opening a connection, and connects once allowed', async () => {
    const mail = (host: string, network = guarded): ChannelTarget<'email'> => ({
      id: 'm',
      name: 'mail',
      kind: 'email',
      config: { host, port: smtpPort, security: 'none', from: 'vigil@soc.example', to: [] },
      secrets: {},
      network,
    });
    const parts = { body: JSON.stringify({ from: 'vigil@soc.example', to: ['ciso@corp.example'], subject: 's', text: 't', html: '<p>t</p>' }), recipients: ['ciso@corp.example'] };
    for (const host of ['127.0.0.1', 'relay.attacker.example']) {
      const receipt = await emailChannel.send(parts, mail(host), context);
      expect(receipt).toMatchObject({ delivered: false, retryable: false });
      expect(receipt.error).toMatch(/is loopback/);
    }
    expect(smtpConnections).toBe(0);
    // Allowed: it connects (the test server turns it away, which is a failed delivery, not a refusal).
    const allowed = await emailChannel.send(parts, mail('127.0.0.1', open), context);
    expect(allowed.delivered).toBe(false);
    expect(allowed.error).not.toMatch(/is loopback/);
    expect(smtpConnections).toBe(1);
  });
});
