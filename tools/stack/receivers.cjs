// Local stand-ins for the outside systems comms delivers to: a chat receiver (generic webhook,
// Slack incoming webhook, Teams workflow webhook) and an SMTP server. `npm start` runs both and a
// person reads what was sent on the console, in .data/inbox/ and on a small page; the tests run
// them to see exactly what each channel got. CommonJS, so that both the ESM start script and the
// Jest tests can load it.
const { createHmac, timingSafeEqual } = require('node:crypto');
const { mkdirSync, writeFileSync } = require('node:fs');
const { createServer } = require('node:http');
const { join } = require('node:path');

const escapeHtml = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** What kind of channel a body came from, and its text as a person would read it. */
function readable(body) {
  try {
    const json = JSON.parse(body);
    if (Array.isArray(json.blocks)) {
      const texts = json.blocks.flatMap((b) => [b.text?.text, ...(b.fields ?? []).map((f) => f.text)]).filter(Boolean);
      return { kind: 'slack', title: json.blocks[0]?.text?.text ?? json.text, text: texts.slice(1).join('\n') };
    }
    const card = json.attachments?.[0]?.content;
    if (card?.type === 'AdaptiveCard') {
      const texts = card.body.flatMap((b) => (b.type === 'TextBlock' ? [b.text] : b.type === 'FactSet' ? b.facts.map((f) => `${f.title}: ${f.value}`) : []));
      return { kind: 'teams', title: texts[0], text: texts.slice(1).join('\n') };
    }
    return { kind: 'webhook', title: json.subject ?? json.type ?? 'webhook', text: json.text ?? '' };
  } catch {
    return { kind: 'unknown', title: `${body.length} bytes`, text: '' };
  }
}

/**
 * An HTTP receiver for chat webhooks. Records every request ({ path, headers, body, readable,
 * signature }); checks Vigil's webhook signature when given the secret (`signature` is then
 * 'valid', 'invalid' or 'unsigned'); answers `respond(request)` (default 200, as Slack does).
 * With `dataDir`, keeps each request as JSON in it; GET / lists what was received.
 */
async function startChatReceiver({ port = 0, host = '127.0.0.1', dataDir, secret, toleranceSeconds = 300, respond = () => 200, onMessage } = {}) {
  const received = [];
  if (dataDir) mkdirSync(dataDir, { recursive: true });
  const server = createServer((req, res) => {
    if (req.method === 'GET') {
      const rows = received
        .slice()
        .reverse()
        .map((r) => `<tr><td>${escapeHtml(r.at)}</td><td>${escapeHtml(r.readable.kind)}</td><td>${escapeHtml(r.path)}</td><td><b>${escapeHtml(r.readable.title)}</b><pre>${escapeHtml(r.readable.text)}</pre></td></tr>`)
        .join('');
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-security-policy': "default-src 'none'" });
      res.end(`<!doctype html><title>Vigil chat receiver</title><h1>What Vigil sent</h1><table border="1" cellpadding="4">${rows}</table>`);
      return;
    }
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      let signature = 'unsigned';
      const sent = req.headers['x-vigil-signature'];
      const ts = req.headers['x-vigil-timestamp'];
      if (secret && sent && ts) {
        const expected = Buffer.from('sha256=' + createHmac('sha256', secret).update(`${ts}.${body}`).digest('hex'));
        const fresh = Math.abs(Date.now() / 1000 - Number(ts)) <= toleranceSeconds;
        signature = fresh && expected.length === Buffer.byteLength(sent) && timingSafeEqual(expected, Buffer.from(sent)) ? 'valid' : 'invalid';
      }
      const record = { at: new Date().toISOString(), path: req.url ?? '', headers: req.headers, body, readable: readable(body), signature };
      received.push(record);
      if (dataDir) writeFileSync(join(dataDir, `${record.at.replace(/[:.]/g, '-')}-${received.length}.json`), JSON.stringify(record, null, 2));
      onMessage?.(record);
      res.writeHead(respond(record), { 'content-type': 'text/plain' }).end('ok');
    });
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, resolve);
  });
  const url = `http://${host}:${server.address().port}`;
  return { url, received, close: () => new Promise((r) => server.close(r)) };
}

// A small MIME reader: enough for what nodemailer writes (multipart/alternative, quoted-printable
// or base64 parts, RFC 2047 encoded words in headers).
function decodeWords(value) {
  // Whitespace between two adjacent encoded words is not part of the text (RFC 2047, 6.2).
  return value.replace(/(\?=)\s+(?==\?)/g, '$1').replace(/=\?([^?]+)\?([BbQq])\?([^?]*)\?=/g, (_m, _charset, enc, text) =>
    enc.toUpperCase() === 'B' ? Buffer.from(text, 'base64').toString('utf8') : decodeQp(text.replace(/_/g, ' ')),
  );
}
function decodeQp(text) {
  const bytes = [];
  const soft = text.replace(/=\r?\n/g, '');
  for (let i = 0; i < soft.length; i++) {
    if (soft[i] === '=' && /^[0-9A-F]{2}$/i.test(soft.slice(i + 1, i + 3))) {
      bytes.push(parseInt(soft.slice(i + 1, i + 3), 16));
      i += 2;
    } else bytes.push(...Buffer.from(soft[i], 'utf8'));
  }
  return Buffer.from(bytes).toString('utf8');
}
function parseEntity(raw) {
  const split = raw.search(/\r?\n\r?\n/);
  const head = split < 0 ? raw : raw.slice(0, split);
  const body = split < 0 ? '' : raw.slice(split).replace(/^\r?\n\r?\n/, '');
  const headers = {};
  for (const line of head.replace(/\r?\n[ \t]+/g, ' ').split(/\r?\n/)) {
    const at = line.indexOf(':');
    if (at > 0) headers[line.slice(0, at).trim().toLowerCase()] = line.slice(at + 1).trim();
  }
  const type = headers['content-type'] ?? 'text/plain';
  const boundary = /boundary="?([^";]+)"?/i.exec(type)?.[1];
  if (/^multipart\//i.test(type) && boundary) {
    const parts = body.split(`--${boundary}`).slice(1).filter((p) => !p.startsWith('--'));
    return { headers, type, parts: parts.map((p) => parseEntity(p.replace(/^\r?\n/, ''))) };
  }
  const encoding = (headers['content-transfer-encoding'] ?? '7bit').toLowerCase();
  const content = encoding === 'quoted-printable' ? decodeQp(body) : encoding === 'base64' ? Buffer.from(body, 'base64').toString('utf8') : body;
  return { headers, type, content: content.replace(/\r\n/g, '\n') };
}
function findPart(entity, mime) {
  if (entity.parts) for (const p of entity.parts) {
    const found = findPart(p, mime);
    if (found !== undefined) return found;
  }
  return entity.type.toLowerCase().startsWith(mime) ? entity.content : undefined;
}
function parseMail(raw) {
  const entity = parseEntity(raw);
  return {
    subject: decodeWords(entity.headers.subject ?? ''),
    from: decodeWords(entity.headers.from ?? ''),
    to: decodeWords(entity.headers.to ?? ''),
    messageId: entity.headers['message-id'] ?? null,
    headers: entity.headers,
    text: findPart(entity, 'text/plain') ?? '',
    html: findPart(entity, 'text/html') ?? '',
  };
}

/**
 * An SMTP server that accepts every message (no TLS, no authentication: local use only) and
 * records it: { envelope: { from, to }, raw, mail: { subject, from, to, text, html, … } }.
 * With `dataDir`, keeps each message as an .eml file in it.
 */
async function startSmtpReceiver({ port = 0, host = '127.0.0.1', dataDir, onMessage } = {}) {
  const { SMTPServer } = require('smtp-server');
  const received = [];
  if (dataDir) mkdirSync(dataDir, { recursive: true });
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onData(stream, session, callback) {
      const chunks = [];
      stream.on('data', (c) => chunks.push(c));
      stream.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        const record = {
          at: new Date().toISOString(),
          envelope: { from: session.envelope.mailFrom && session.envelope.mailFrom.address, to: session.envelope.rcptTo.map((r) => r.address) },
          raw,
          mail: parseMail(raw),
        };
        received.push(record);
        if (dataDir) writeFileSync(join(dataDir, `${record.at.replace(/[:.]/g, '-')}-${received.length}.eml`), raw);
        onMessage?.(record);
        callback(null, `queued as local-${received.length}`);
      });
    },
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, resolve);
  });
  return { host, port: server.server.address().port, received, close: () => new Promise((r) => server.close(r)) };
}

module.exports = { startChatReceiver, startSmtpReceiver, parseMail, readable };
