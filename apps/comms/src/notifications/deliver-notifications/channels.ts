import { createHmac } from 'node:crypto';
import { createTransport, type Transporter } from 'nodemailer';
import type { CommsConfig } from '../../config';
import type { Notification } from '../../persistence/notification.entity';

/** What one delivery attempt came to: an HTTP status where there is one, an error unless it was delivered. */
export interface DeliveryResult {
  statusCode: number | null;
  error: string | null;
}

/**
 * One way of reaching people. The delivery worker picks the channel a notification names and
 * records what came of each attempt; retries, back-off and outcome events are the worker's, so a
 * channel only sends. (The channel abstraction with templates and audiences is to come; this is
 * its seam.)
 */
export interface DeliveryChannel {
  readonly name: string;
  send(notification: Notification): Promise<DeliveryResult>;
}

function errorText(e: unknown): string {
  const error = e as Error & { cause?: unknown };
  return error.cause ? `${error.message}: ${String((error.cause as Error).message ?? error.cause)}` : error.message;
}

/** An HTTP POST of the payload as JSON, signed with HMAC-SHA256 when a secret is set. */
export class WebhookChannel implements DeliveryChannel {
  readonly name = 'webhook';
  constructor(private readonly config: Pick<CommsConfig, 'COMMS_WEBHOOK_SECRET' | 'COMMS_DELIVERY_TIMEOUT_MS'>) {}

  async send(n: Notification): Promise<DeliveryResult> {
    const body = JSON.stringify(n.payload);
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'user-agent': 'vigil-comms/0.1',
      'x-vigil-notification-id': n.id,
      'x-vigil-delivery-attempt': String(n.attempts),
    };
    if (this.config.COMMS_WEBHOOK_SECRET) headers['x-vigil-signature'] = 'sha256=' + createHmac('sha256', this.config.COMMS_WEBHOOK_SECRET).update(body).digest('hex');
    try {
      const response = await fetch(n.target, { method: 'POST', headers, body, signal: AbortSignal.timeout(this.config.COMMS_DELIVERY_TIMEOUT_MS), redirect: 'error' });
      await response.arrayBuffer().catch(() => undefined);
      return { statusCode: response.status, error: response.ok ? null : `HTTP ${response.status}` };
    } catch (e) {
      return { statusCode: null, error: errorText(e) };
    }
  }
}

/** What an e-mail notification carries in its payload. */
export interface EmailPayload {
  subject: string;
  text: string;
}

/** An e-mail through the configured SMTP server (nodemailer), to the notification's target address. */
export class EmailChannel implements DeliveryChannel {
  readonly name = 'email';
  private readonly transport: Transporter;

  constructor(private readonly config: Pick<CommsConfig, 'COMMS_SMTP_URL' | 'COMMS_SMTP_FROM' | 'COMMS_DELIVERY_TIMEOUT_MS'>) {
    if (!config.COMMS_SMTP_URL) throw new Error('EmailChannel needs COMMS_SMTP_URL');
    const timeout = config.COMMS_DELIVERY_TIMEOUT_MS;
    this.transport = createTransport({ url: config.COMMS_SMTP_URL, connectionTimeout: timeout, greetingTimeout: timeout, socketTimeout: timeout });
  }

  async send(n: Notification): Promise<DeliveryResult> {
    const { subject, text } = n.payload as EmailPayload;
    try {
      const info = await this.transport.sendMail({
        from: this.config.COMMS_SMTP_FROM,
        to: n.target,
        subject,
        text,
        headers: { 'X-Vigil-Notification-Id': n.id, 'X-Vigil-Delivery-Attempt': String(n.attempts) },
      });
      const code = Number(/^(\d{3})/.exec(String(info.response ?? ''))?.[1] ?? NaN);
      return { statusCode: Number.isFinite(code) ? code : null, error: info.rejected?.length ? `rejected: ${info.rejected.join(', ')}` : null };
    } catch (e) {
      const code = (e as { responseCode?: number }).responseCode;
      return { statusCode: code ?? null, error: errorText(e) };
    }
  }

  close(): void {
    this.transport.close();
  }
}

/** The channels this configuration can deliver through, by name. */
export function channelsFor(config: CommsConfig): Map<string, DeliveryChannel> {
  const channels = new Map<string, DeliveryChannel>([['webhook', new WebhookChannel(config)]]);
  if (config.COMMS_SMTP_URL) channels.set('email', new EmailChannel(config));
  return channels;
}
