import { createTransport } from 'nodemailer';
import type SMTPTransport from 'nodemailer/lib/smtp-transport';
import { isIP } from 'node:net';
import { isReceipt, type ChannelProvider, type DeliveryContext, type DeliveryReceipt, type Outgoing } from '../channel';
import { escapePlain, oneLine, plainToHtml } from '../escaping';

/** The parts of an e-mail as the ledger keeps them (the MIME message adds a Message-ID and Date). */
export interface EmailParts {
  from: string;
  to: string[];
  subject: string;
  text: string;
  html: string;
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/**
 * E-mail over SMTP (nodemailer). The text part is the plain rendering (values defanged); the HTML
 * part is that same text with everything HTML-escaped, so no value — and no template text — can
 * add markup or a link.
 */
export const emailChannel: ChannelProvider<'email'> = {
  kind: 'email',
  escape: escapePlain,
  format(content, target) {
    const subject = oneLine(content.subject);
    const facts = content.facts.map((f) => ({ title: escapePlain(f.title), value: escapePlain(f.value) }));
    const text = content.body.trim() + (facts.length ? `\n\n${facts.map((f) => `${f.title}: ${f.value}`).join('\n')}` : '') + '\n';
    const html = [
      '<!doctype html>',
      '<html><body style="font-family: sans-serif">',
      `<h2>${esc(subject)}</h2>`,
      plainToHtml(content.body.trim()),
      facts.length ? `<table>${facts.map((f) => `<tr><th align="left">${esc(f.title)}</th><td>${esc(f.value)}</td></tr>`).join('')}</table>` : '',
      '</body></html>',
    ].join('\n');
    const parts: EmailParts = { from: target.config.from, to: [...new Set([...target.config.to, ...target.recipients])], subject, text, html };
    return { body: JSON.stringify(parts), recipients: parts.to };
  },
  async send(outgoing, target, context) {
    const { host, port, security } = target.config;
    // The SMTP server's name checked and pinned like a webhook's (any scheme stands in: only the host is checked);
    // TLS still verifies the certificate against the name.
    const destination = await context.guard.destination(`https://${host.includes(':') ? `[${host}]` : host}:${port}/`, { ...target.network, allowHttp: true });
    if (isReceipt(destination)) return destination;
    return sendEmail(
      outgoing,
      {
        host: destination.address,
        port,
        tls: { servername: isIP(host) ? undefined : host },
        secure: security === 'tls',
        requireTLS: security === 'starttls',
        ignoreTLS: security === 'none',
        auth: target.secrets.username ? { user: target.secrets.username, pass: target.secrets.password ?? '' } : undefined,
      },
      context,
    );
  },
};

/**
 * One attempt at sending formatted e-mail parts through an SMTP server: the channel's own server,
 * or for pages the one COMMS_SMTP_URL names (`{ url }`, nodemailer's reading of it). Never throws.
 */
export async function sendEmail(outgoing: Outgoing, server: SMTPTransport.Options, context: DeliveryContext): Promise<DeliveryReceipt> {
  const parts = JSON.parse(outgoing.body) as EmailParts;
  if (parts.to.length === 0) return { delivered: false, statusCode: null, error: 'no recipients', retryable: false, details: {} };
  const transport = createTransport({ ...server, connectionTimeout: context.timeoutMs, greetingTimeout: context.timeoutMs, socketTimeout: context.timeoutMs });
  try {
    const info = await transport.sendMail({
      from: parts.from,
      to: parts.to,
      subject: parts.subject,
      text: parts.text,
      html: parts.html,
      headers: { 'X-Vigil-Notification-Id': context.notificationId },
      disableFileAccess: true,
      disableUrlAccess: true,
    });
    const rejected = (info.rejected ?? []).map(String);
    const details = { messageId: info.messageId, accepted: (info.accepted ?? []).map(String), rejected, response: info.response };
    if (rejected.length > 0 && details.accepted.length === 0) return { delivered: false, statusCode: null, error: `every recipient refused: ${info.response}`, retryable: false, details };
    return { delivered: true, statusCode: null, error: null, retryable: false, details };
  } catch (e) {
    const error = e as Error & { responseCode?: number; code?: string; response?: string };
    // A permanent SMTP refusal (5xx) will not change on retry; a 4xx or a broken connection may.
    const retryable = !(error.responseCode && error.responseCode >= 500);
    return { delivered: false, statusCode: error.responseCode ?? null, error: `${error.code ? `${error.code}: ` : ''}${error.message}`, retryable, details: { response: error.response ?? null } };
  } finally {
    transport.close();
  }
}
