/**
 * Text from alerts (titles, descriptions, notes) is chosen by whoever triggered the alert, so it
 * is escaped for the markup of each channel before it is put into a message: it must not be able
 * to ping a whole channel, plant a link, or pass itself off as part of the message around it.
 *
 * Common to every channel:
 * - control characters (but newlines and tabs) and bidirectional overrides are removed, so text
 *   cannot hide or reorder what a reader sees;
 * - links are defanged as indicators of compromise are (`https[:]//evil[.]example`), because chat
 *   clients and mail readers turn bare URLs and domain names into links on their own;
 * - `@` before a name becomes a full-width `＠`, so `@channel`, `@here`, `@everyone` or a user's
 *   handle never mention anyone.
 */

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F\u200E\u200F\u202A-\u202E\u2066-\u2069]/g;
const SCHEME = /\b([a-z][a-z0-9+.-]{1,30}):\/\//gi;
const MAILTO = /\b(mailto|tel|sms|javascript|data|file):/gi;
/** A dot between a name character and a letter: `evil.example`, `web-01.corp`, but not `1.5` or `end. Next`. */
const NAME_DOT = /([\p{L}\p{N}_-])\.(?=\p{L})/gu;
const MENTION = /@(?=[\p{L}\p{N}_!])/gu;

/** Control characters (but newlines and tabs) and bidirectional overrides removed; line breaks made \n. */
export function stripControls(text: string): string {
  return text.replace(/\r\n?/g, '\n').replace(CONTROL, '');
}

/** Links and mentions made inert, for text that is read as plain text. */
export function defang(text: string): string {
  return stripControls(text)
    .replace(SCHEME, (_m, scheme: string) => `${scheme}[:]//`)
    .replace(MAILTO, (_m, scheme: string) => `${scheme}[:]`)
    .replace(NAME_DOT, '$1[.]')
    .replace(MENTION, '＠');
}

/** Plain text: webhook JSON text, e-mail text, the ledger's canonical text. */
export const escapePlain = defang;

/**
 * Slack mrkdwn: `&`, `<` and `>` are its control characters (`<!channel>`, `<@U123>`,
 * `<https://x|text>`), so they are entity-escaped as Slack documents; then defanged.
 */
export function escapeSlack(text: string): string {
  return defang(text).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/**
 * Microsoft Teams Adaptive Card TextBlocks always parse their markdown subset (bold, italic,
 * lists, `[text](url)` links) and offer no way to switch it off or escape it reliably. Brackets
 * and angle brackets become their full-width look-alikes, so no link or `<at>` mention can form;
 * emphasis and list markers are backslash-escaped.
 */
export function escapeTeams(text: string): string {
  return defang(text)
    .replace(/\[/g, '［')
    .replace(/\]/g, '］')
    .replace(/</g, '＜')
    .replace(/>/g, '＞')
    .replace(/([\\*_~`])/g, '\\$1')
    .replace(/^(\s*)([-+#]|\d+\.)(?=\s)/gm, '$1\\$2');
}

/** HTML (e-mail bodies): entity-escaped, then defanged against mail readers that link bare URLs. */
export function escapeHtml(text: string): string {
  return defang(text).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

/** A header line (an e-mail subject, a card title): no line breaks. */
export function oneLine(text: string): string {
  return text.replace(/\s*[\r\n]+\s*/g, ' ').trim();
}

/** Plain text made into HTML paragraphs: everything escaped, line breaks kept. */
export function plainToHtml(text: string): string {
  const escape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
  return text
    .split(/\n{2,}/)
    .map((paragraph) => `<p>${escape(paragraph).replace(/\n/g, '<br>\n')}</p>`)
    .join('\n');
}
