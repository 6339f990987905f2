import { createHash, randomUUID } from 'node:crypto';
import { as, createIntegration, eventually, http, incidentAction, startService, testEnv, withDatabase, type ServiceProcess } from '../../../test/support/harness';

const { startChatReceiver, startSmtpReceiver } = require('../../../tools/stack/receivers.cjs') as {
  startChatReceiver: (options?: { secret?: string }) => Promise<ChatReceiver>;
  startSmtpReceiver: () => Promise<SmtpReceiver>;
};
interface ChatRecord {
  path: string;
  headers: Record<string, string | undefined>;
  body: string;
  signature: 'valid' | 'invalid' | 'unsigned';
}
interface ChatReceiver {
  url: string;
  received: ChatRecord[];
  close(): Promise<void>;
}
interface MailRecord {
  envelope: { from: string; to: string[] };
  raw: string;
  mail: { subject: string; text: string; html: string; to: string };
}
interface SmtpReceiver {
  port: number;
  received: MailRecord[];
  close(): Promise<void>;
}

const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');
const SECRET = 'a-test-signing-secret-0123456789';
const HOURS = 3_600_000;

/**
 * Communication protocols over the real path — intake → triage → Kafka → comms → its channels, and
 * comms' events → reporting's timeline — with local receivers standing in for Slack, Teams, a
 * webhook and an SMTP server.
 */
describe('communication protocols (real Kafka and PostgreSQL, local chat and SMTP receivers)', () => {
  let intake: ServiceProcess;
  let triage: ServiceProcess;
  let comms: ServiceProcess;
  let reporting: ServiceProcess;
  let chat: ChatReceiver;
  let smtp: SmtpReceiver;
  let apiKey: string;

  beforeAll(async () => {
    [chat, smtp] = await Promise.all([startChatReceiver({ secret: SECRET }), startSmtpReceiver()]);
    const mail = (name: string, to: string[], audiences: string[]) => ({
      kind: 'email',
      name,
      config: { host: '127.0.0.1', port: smtp.port, security: 'none', from: 'vigil@test.example', to },
      secrets: {},
      audiences,
    });
    const channels = [
      { kind: 'webhook', name: 'test-ir-webhook', config: { url: `${chat.url}/webhook` }, secrets: { signingSecret: SECRET }, audiences: ['ir_team'] },
      { kind: 'slack', name: 'test-ir-slack', config: {}, secrets: { webhookUrl: `${chat.url}/slack` }, audiences: ['ir_team'] },
      { kind: 'teams', name: 'test-ir-teams', config: {}, secrets: { webhookUrl: `${chat.url}/teams` }, audiences: ['ir_team'] },
      mail('test-ir-mail', ['ir-team@test.example'], ['ir_team']),
      mail('test-customer-mail', ['customers@test.example'], []),
    ];
    const commsEnv = { COMMS_CHANNELS: JSON.stringify(channels), COMMS_RETRY_BASE_MS: '100', COMMS_TIMER_POLL_MS: '200', COMMS_ORGANISATION_NAME: 'Example Corp' };
    [intake, triage, comms, reporting] = await Promise.all([
      startService('intake'),
      startService('triage'),
      startService('comms', commsEnv),
      startService('reporting'),
    ]);
    // A channel an earlier configuration defined, still joined to the IR team: comms must drop it
    // at its next start, or every IR notice would also go (and fail) there.
    await withDatabase(async (db) => {
      await db.query(
        `INSERT INTO comms.channels (id, name, kind, enabled, config, secrets, source, created_at, updated_at, updated_by)
         VALUES ($1, 'test-retired-webhook', 'webhook', true, '{"url": "http://127.0.0.1:9/gone"}', '{}', 'config', now(), now(), 'config')
         ON CONFLICT (name) DO NOTHING`,
        [randomUUID()],
      );
      await db.query(`UPDATE comms.audiences SET channels = array_append(channels, 'test-retired-webhook') WHERE audience = 'ir_team'`);
    });
    await comms.stop();
    comms = await startService('comms', commsEnv);
    ({ apiKey } = await createIntegration(intake.url, 'canonical'));
  }, 180_000);

  afterAll(async () => {
    await Promise.all([intake, triage, comms, reporting].filter(Boolean).map((s) => s.stop()));
    // Later suites share the database: leave the audiences, channels and templates as shipped.
    await withDatabase(async (db) => {
      await db.query(`UPDATE comms.audiences SET channels = '{}'`);
      await db.query(`UPDATE comms.audiences SET status_cadence = '{"SEV1": 1800, "SEV2": 7200}', cadence_grace_seconds = 600 WHERE audience = 'management'`);
      await db.query(`DELETE FROM comms.channels WHERE name LIKE 'test-%'`);
      await db.query(`DELETE FROM comms.templates`);
    });
    await Promise.all([chat?.close(), smtp?.close()]);
  });

  async function openIncident(title: string, severity = 'critical', category = 'unauthorized_access'): Promise<string> {
    const res = await http('POST', `${intake.url}/v1/alerts`, { title, source: 'edr', severity, category }, { authorization: `Bearer ${apiKey}` });
    expect(res.status).toBe(202);
    const placed = await eventually(async () => {
      const a = await http('GET', `${triage.url}/v1/alerts/${res.json.alertId}`);
      return a.status === 200 && a.json.incidentId ? a.json : undefined;
    }, 60_000);
    // Comms knows the incident once its snapshot has arrived.
    await eventually(async () => ((await snapshotSeen(placed.incidentId)) ? true : undefined), 60_000);
    return placed.incidentId;
  }
  const snapshotSeen = (incidentId: string) => withDatabase(async (db) => (await db.query(`SELECT 1 FROM comms.incidents WHERE incident_id = $1`, [incidentId])).rowCount === 1);

  const timelineTypes = async (incidentId: string) =>
    ((await http('GET', `${reporting.url}/v1/incidents/${incidentId}/timeline`)).json?.entries ?? []) as Array<{ type: string; summary: string }>;

  it('removes at start a channel that configuration no longer defines, and its place in the audiences', async () => {
    const left = await withDatabase(async (db) => ({
      channels: (await db.query(`SELECT name FROM comms.channels WHERE name LIKE 'test-%' ORDER BY name`)).rows.map((r) => r.name),
      irTeam: (await db.query(`SELECT channels FROM comms.audiences WHERE audience = 'ir_team'`)).rows[0].channels,
    }));
    expect(left.channels).toEqual(['test-customer-mail', 'test-ir-mail', 'test-ir-slack', 'test-ir-teams', 'test-ir-webhook']);
    expect(left.irTeam).not.toContain('test-retired-webhook');
    expect([...left.irTeam].sort()).toEqual(expect.arrayContaining(['test-ir-mail', 'test-ir-slack', 'test-ir-teams', 'test-ir-webhook']));
  });

  it('notifies the IR team of a SEV1 incident on Slack, Teams, e-mail and a webhook, each in its own format, with a hostile title escaped in each', async () => {
    const tag = randomUUID().slice(0, 8);
    const title = `Ransomware ${tag} <!channel> @here [Reset your password](https://evil.example/login) <https://evil.example|click> <img src=x onerror=alert(1)>`;
    const incidentId = await openIncident(title);

    const ledger = await eventually(async () => {
      const res = await http('GET', `${comms.url}/v1/incidents/${incidentId}/messages`);
      return res.json.items.find((m: { status: string; audience: string }) => m.audience === 'ir_team' && m.status === 'sent');
    }, 60_000);
    expect(ledger).toMatchObject({ purpose: 'initial_notice', automatic: true, approval: { required: false } });
    expect(ledger.deliveries.map((d: { channel: string }) => d.channel).sort()).toEqual(['test-ir-mail', 'test-ir-slack', 'test-ir-teams', 'test-ir-webhook']);
    expect(ledger.textSha256).toBe(sha256(`${ledger.subject}\n${ledger.text}`));

    const got = (path: string) => chat.received.filter((r) => r.path === path && r.body.includes(incidentId));
    const [slack] = got('/slack');
    const [teams] = got('/teams');
    const [webhook] = got('/webhook');
    const mail = smtp.received.find((m) => m.mail.text.includes(incidentId))!;
    expect([slack, teams, webhook, mail].every(Boolean)).toBe(true);

    // Slack: Block Kit; its mrkdwn control characters escaped, so no <!channel>, no <url|text> link.
    const slackJson = JSON.parse(slack.body);
    expect(slackJson.blocks[0]).toMatchObject({ type: 'header', text: { type: 'plain_text' } });
    expect(slackJson.blocks.some((b: { type: string; text?: { type: string; verbatim: boolean } }) => b.type === 'section' && b.text?.type === 'mrkdwn' && b.text.verbatim)).toBe(true);
    expect(slack.body).toContain('&lt;!channel&gt;');
    expect(slack.body).not.toMatch(/<!channel>|<https?:|https:\/\/evil|evil\.example|(?<!＠)@here/);

    // Teams: an Adaptive Card; no markdown link, no URL, no mention.
    const card = JSON.parse(teams.body).attachments[0];
    expect(card.contentType).toBe('application/vnd.microsoft.card.adaptive');
    expect(card.content).toMatchObject({ type: 'AdaptiveCard', body: expect.arrayContaining([expect.objectContaining({ type: 'TextBlock' })]) });
    expect(teams.body).not.toMatch(/\]\(|https:\/\/evil|evil\.example|<at>|(?<!＠)@here/);
    expect(teams.body).toContain(`Ransomware ${tag}`);

    // E-mail: text and HTML parts; the HTML has no tag or link of the attacker's.
    expect(mail.envelope.to).toEqual(['ir-team@test.example']);
    expect(mail.mail.subject).toContain(`Ransomware ${tag}`);
    expect(mail.mail.html).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(mail.mail.html).not.toMatch(/<img|<a |href=|https:\/\/evil|evil\.example/);
    expect(mail.mail.text).not.toMatch(/https:\/\/evil|evil\.example/);
    expect(mail.raw).toMatch(/^X-Vigil-Notification-Id: [0-9a-f-]{36}/im);

    // Webhook: signed over its timestamp and body; its text defanged, the title as data.
    expect(webhook.signature).toBe('valid');
    expect(webhook.headers['x-vigil-timestamp']).toMatch(/^\d{10}$/);
    const hook = JSON.parse(webhook.body);
    expect(hook.text).not.toMatch(/https:\/\/evil|evil\.example|(?<!＠)@here/);
    expect(hook.incident).toMatchObject({ id: incidentId, severity: 'SEV1', title });

    // The ledger holds exactly what each channel was sent.
    for (const [name, record] of [['test-ir-slack', slack], ['test-ir-teams', teams], ['test-ir-webhook', webhook]] as const) {
      const delivery = ledger.deliveries.find((d: { channel: string }) => d.channel === name);
      expect(delivery.body).toBe(record.body);
      expect(delivery.bodySha256).toBe(sha256(record.body));
      expect(delivery.receipts.at(-1)).toMatchObject({ outcome: 'delivered', statusCode: 200 });
    }
    const mailDelivery = ledger.deliveries.find((d: { channel: string }) => d.channel === 'test-ir-mail');
    expect(mailDelivery.receipts.at(-1).receipt).toMatchObject({ accepted: ['ir-team@test.example'], response: expect.stringContaining('queued as') });

    const types = await eventually(async () => {
      const t = (await timelineTypes(incidentId)).map((e) => e.type);
      return t.includes('vigil.message.sent.v1') ? t : undefined;
    }, 60_000);
    expect(types.filter((t) => t === 'vigil.notification.delivered.v1')).toHaveLength(4);
  });

  it('holds a customer notice until legal approves it, then sends it and keeps its exact text and hash', async () => {
    const incidentId = await openIncident(`Data theft ${randomUUID().slice(0, 8)}`, 'high', 'data_breach');
    const adam = await as('adam');
    const customers = (await http('GET', `${comms.url}/v1/audiences/customers`, undefined, adam)).json;
    const { audience: _a, scope: _s, description: _d, updatedAt: _u, updatedBy: _b, ...settings } = customers;
    const openToAll = await http('PUT', `${comms.url}/v1/audiences/customers`, { ...settings, channels: ['test-customer-mail'], requiresApproval: false }, adam);
    expect(openToAll.status).toBe(422);
    expect(openToAll.json.errors).toEqual([
      { pointer: '/requiresApproval', detail: 'an outside audience always needs approval' },
    ]);
    expect((await http('PUT', `${comms.url}/v1/audiences/customers`, { ...settings, channels: ['test-customer-mail'] }, adam)).status).toBe(200);

    const drafted = await http('POST', `${comms.url}/v1/incidents/${incidentId}/messages`, { audience: 'customers', purpose: 'initial_notice', note: 'Card data was not affected.' }, await as('carol'));
    expect(drafted.status).toBe(201);
    expect(drafted.json).toMatchObject({ status: 'awaiting_approval', draftedBy: 'u-carol', approval: { required: true, approverRoles: ['legal', 'ir_manager'], approvedBy: null }, deliveries: [] });
    const messageId = drafted.json.messageId;

    // Not before approval; not by the drafter's role; not by whoever drafted it.
    await new Promise((r) => setTimeout(r, 1500));
    expect(smtp.received.filter((m) => m.envelope.to.includes('customers@test.example') && m.mail.text.includes('Card data'))).toHaveLength(0);
    expect((await http('POST', `${comms.url}/v1/messages/${messageId}/approve`, {}, await as('carol'))).status).toBe(403);
    const ownDraft = await http('POST', `${comms.url}/v1/incidents/${incidentId}/messages`, { audience: 'partners', purpose: 'initial_notice' }, await as('irene'));
    const ownApproval = await http('POST', `${comms.url}/v1/messages/${ownDraft.json.messageId}/approve`, {}, await as('irene'));
    expect(ownApproval.status).toBe(403);
    expect(ownApproval.json.detail).toMatch(/drafted/);
    const queue = await http('GET', `${comms.url}/v1/messages?status=awaiting_approval`, undefined, await as('leo'));
    expect(queue.json.items.map((m: { messageId: string }) => m.messageId)).toContain(messageId);

    const approved = await http('POST', `${comms.url}/v1/messages/${messageId}/approve`, { comment: 'wording checked' }, await as('leo'));
    expect(approved.status).toBe(200);
    expect(approved.json).toMatchObject({ status: 'sending', approval: { approvedBy: 'u-leo', comment: 'wording checked' } });
    expect((await http('POST', `${comms.url}/v1/messages/${messageId}/approve`, {}, await as('leo'))).status).toBe(409);

    const sent = await eventually(async () => {
      const m = (await http('GET', `${comms.url}/v1/messages/${messageId}`)).json;
      return m.status === 'sent' ? m : undefined;
    }, 60_000);
    const mail = smtp.received.find((m) => m.envelope.to.includes('customers@test.example') && m.mail.text.includes('Card data'))!;
    expect(mail.mail.subject).toBe(sent.subject);
    expect(mail.mail.text.trim()).toBe(sent.text);
    expect(sent.textSha256).toBe(sha256(`${sent.subject}\n${sent.text}`));
    expect(sent.text).not.toContain('Data theft'); // the alert's title stays inside
    expect(sent.deliveries).toEqual([
      expect.objectContaining({ channel: 'test-customer-mail', kind: 'email', recipients: ['customers@test.example'], status: 'delivered', bodySha256: sha256(sent.deliveries[0].body) }),
    ]);
    expect(JSON.parse(sent.deliveries[0].body)).toMatchObject({ subject: sent.subject, to: ['customers@test.example'] });

    const timeline = await eventually(async () => {
      const entries = await timelineTypes(incidentId);
      return entries.some((e) => e.type === 'vigil.message.sent.v1' && e.summary.includes('customers')) ? entries : undefined;
    }, 60_000);
    expect(timeline.map((e) => e.type)).toEqual(expect.arrayContaining(['vigil.message.awaiting-approval.v1', 'vigil.message.approved.v1']));
  });

  it('lets only legal release a restricted incident\'s message to an outside audience', async () => {
    const incidentId = await openIncident(`Insider ${randomUUID().slice(0, 8)}`, 'high', 'insider');
    const path = `${triage.url}/v1/incidents/${incidentId}`;
    expect((await incidentAction(path, 'assignment', { owner: 'u-irene', responders: ['u-carol', 'u-leo'] }, await as('irene'))).status).toBe(200);
    expect((await incidentAction(path, 'restriction', { restricted: true, reason: 'insider threat' }, await as('irene'))).status).toBe(200);
    await eventually(async () => {
      const rows = await withDatabase((db) => db.query(`SELECT restricted FROM comms.incident_access WHERE incident_id = $1`, [incidentId]));
      return rows.rows[0]?.restricted ? true : undefined;
    }, 60_000);
    expect((await http('GET', `${comms.url}/v1/incidents/${incidentId}/messages`, undefined, await as('alice'))).status).toBe(404); // need to know

    const drafted = await http('POST', `${comms.url}/v1/incidents/${incidentId}/messages`, { audience: 'partners', purpose: 'initial_notice' }, await as('carol'));
    expect(drafted.json).toMatchObject({ status: 'awaiting_approval', restricted: true, approval: { approverRoles: ['legal'] } });
    const byManager = await http('POST', `${comms.url}/v1/messages/${drafted.json.messageId}/approve`, {}, await as('irene'));
    expect(byManager.status).toBe(403);
    expect(byManager.json.detail).toMatch(/Only legal may approve this message \(the incident is restricted\)/);
    expect((await http('POST', `${comms.url}/v1/messages/${drafted.json.messageId}/approve`, {}, await as('leo'))).json.approval.approvedBy).toBe('u-leo');
  });

  it('refuses to save a template that names an unknown field or tries to call anything, and previews a good one against a live incident', async () => {
    const carol = await as('carol');
    const put = (body: string) => http('PUT', `${comms.url}/v1/templates/customers/status_update`, { subject: 'Update from {{ organisation.name }}', body }, carol);
    for (const [body, detail] of [
      ['{{ incident.secret }}', 'incident.secret is not a field'],
      ['{{ incident.title.constructor }}', 'is not a field'],
      ['{{ incident.title | raw }}', 'the filter raw is not allowed'],
      ['{% include "/etc/passwd" %}', 'the tag {% include %} is not allowed'],
      ['{% assign x = incident %}{{ x }}', 'the tag {% assign %} is not allowed'],
      ['line 1\n{{ process.mainModule }}', 'line 2, column 4'],
    ]) {
      const res = await put(body);
      expect(res.status).toBe(422);
      expect(res.json.errors[0]).toMatchObject({ pointer: '/body', detail: expect.stringContaining(detail) });
    }
    const saved = await put('Phase: {{ incident.phase | upcase }}. {{ message.note | default: "More soon." }}');
    expect(saved.status).toBe(200);
    expect(saved.json).toMatchObject({ source: 'custom', version: 1, updatedBy: 'u-carol' });

    const incidentId = await openIncident(`Preview ${randomUUID().slice(0, 8)}`, 'high');
    const preview = await http('POST', `${comms.url}/v1/templates/preview`, { incidentId, audience: 'customers', purpose: 'status_update' }, carol);
    expect(preview.status).toBe(200);
    expect(preview.json.text).toBe('Phase: DETECTED. More soon.');
    expect(preview.json.renders.map((r: { kind: string }) => r.kind)).toEqual(['webhook', 'slack', 'teams', 'email']);
  });

  it('starts a GDPR clock at the recorded awareness time, due 72 hours later, and one when the classification implies it', async () => {
    const incidentId = await openIncident(`CRM export ${randomUUID().slice(0, 8)}`, 'high', 'data_breach');
    const awareAt = new Date(Date.now() - 2 * HOURS);
    awareAt.setUTCMilliseconds(0);
    const decided = await http(
      'POST',
      `${comms.url}/v1/incidents/${incidentId}/decisions`,
      { kind: 'personal_data_breach', effectiveAt: awareAt.toISOString(), reason: 'the export held customer e-mail addresses', affectedIndividuals: 1200 },
      await as('leo'),
    );
    expect(decided.status).toBe(201);
    expect(decided.json).toMatchObject({ decidedBy: 'u-leo', implied: false, obligationsStarted: ['gdpr-art33'] });
    expect((await http('POST', `${comms.url}/v1/incidents/${incidentId}/decisions`, { kind: 'personal_data_breach', effectiveAt: new Date(Date.now() + HOURS).toISOString(), reason: 'x' }, await as('leo'))).status).toBe(422);
    expect((await http('POST', `${comms.url}/v1/incidents/${incidentId}/decisions`, { kind: 'personal_data_breach', effectiveAt: awareAt.toISOString(), reason: 'x' }, await as('carol'))).status).toBe(403);

    const [clock] = (await http('GET', `${comms.url}/v1/incidents/${incidentId}/obligations`)).json.items;
    expect(clock).toMatchObject({ rule: 'gdpr-art33', stage: 'notification', status: 'open', deadlineKind: 'statutory', startedAt: awareAt.toISOString() });
    expect(clock.deadline).toBe(new Date(awareAt.getTime() + 72 * HOURS).toISOString());
    expect(clock.timeLeftSeconds).toBeGreaterThan(69 * 3600);
    expect(clock.checklist.find((c: { key: string }) => c.key === 'data_subjects').value).toBe('about 1200 people');
    expect((await http('POST', `${comms.url}/v1/obligations/${clock.obligationId}/pause`, { reason: 'police asked' }, await as('leo'))).status).toBe(409);

    // The notice, drafted from the regulator template with the checklist filled from the incident.
    const notice = await http('POST', `${comms.url}/v1/obligations/${clock.obligationId}/notice`, {}, await as('carol'));
    expect(notice.status).toBe(201);
    expect(notice.json).toMatchObject({ audience: 'regulators', purpose: 'regulator_notice', status: 'awaiting_approval', obligationId: clock.obligationId });
    expect(notice.json.text).toContain('Art. 33');
    expect(notice.json.text).toContain('about 1200 people');
    expect(notice.json.checklistMissing).toEqual([expect.stringMatching(/^Likely consequences/), expect.stringMatching(/^Measures taken/)]);

    // The classification "privacy" implies the same decision: logged as implied, the clock keeps the earlier start.
    expect((await incidentAction(`${triage.url}/v1/incidents/${incidentId}`, 'classify', { informationImpact: 'privacy', reason: 'customer PII' }, await as('alice'))).status).toBe(200);
    const implied = await eventually(async () => {
      const items = (await http('GET', `${comms.url}/v1/incidents/${incidentId}/decisions`)).json.items;
      return items.find((d: { implied: boolean }) => d.implied);
    }, 60_000);
    expect(implied).toMatchObject({ decidedBy: 'system:classification', kind: 'personal_data_breach', reason: expect.stringContaining('privacy') });
    const after = (await http('GET', `${comms.url}/v1/incidents/${incidentId}/obligations`)).json.items;
    expect(after).toHaveLength(1);
    expect(after[0].deadline).toBe(clock.deadline);

    const submitted = await http('POST', `${comms.url}/v1/obligations/${clock.obligationId}/submit`, { reference: 'DPA-2026-0042', messageId: notice.json.messageId }, await as('leo'));
    expect(submitted.json).toMatchObject({ status: 'submitted', reference: 'DPA-2026-0042', submittedBy: 'u-leo', timeLeftSeconds: null });

    // The decision log cannot be rewritten, not even by comms' own database role.
    await withDatabase(async (db) => {
      await expect(db.query(`UPDATE comms.decisions SET reason = 'edited' WHERE incident_id = $1`, [incidentId])).rejects.toThrow(/append-only/);
      await expect(db.query(`DELETE FROM comms.decisions WHERE incident_id = $1`, [incidentId])).rejects.toThrow(/append-only/);
    }, testEnv().serviceUrls.comms);
  });

  it('gives a DORA initial notice min(classification + 4 h, awareness + 24 h)', async () => {
    const incidentId = await openIncident(`Core banking outage ${randomUUID().slice(0, 8)}`, 'high', 'denial_of_service');
    const awareAt = new Date(Date.now() - 22 * HOURS);
    const classifiedAt = new Date(Date.now() - 1 * HOURS);
    awareAt.setUTCMilliseconds(0);
    classifiedAt.setUTCMilliseconds(0);
    const res = await http(
      'POST',
      `${comms.url}/v1/incidents/${incidentId}/decisions`,
      { kind: 'major_ict_incident', effectiveAt: classifiedAt.toISOString(), awareAt: awareAt.toISOString(), reason: 'clients affected above the DORA thresholds' },
      await as('irene'),
    );
    expect(res.status).toBe(201);
    const clocks = (await http('GET', `${comms.url}/v1/incidents/${incidentId}/obligations`)).json.items;
    const initial = clocks.find((c: { stage: string }) => c.stage === 'initial');
    expect(initial.deadline).toBe(new Date(awareAt.getTime() + 24 * HOURS).toISOString()); // earlier than classification + 4 h
    expect(clocks.find((c: { stage: string }) => c.stage === 'intermediate')).toMatchObject({ status: 'pending', deadline: null });
    const done = await http('POST', `${comms.url}/v1/obligations/${initial.obligationId}/submit`, {}, await as('irene'));
    expect(done.json.status).toBe('submitted');
    const intermediate = (await http('GET', `${comms.url}/v1/incidents/${incidentId}/obligations`)).json.items.find((c: { stage: string }) => c.stage === 'intermediate');
    expect(intermediate.status).toBe('open');
    expect(Date.parse(intermediate.deadline) - Date.parse(done.json.submittedAt)).toBe(72 * HOURS);
  });

  it('raises an escalation event when a deadline is missed, and the timeline shows it', async () => {
    const incidentId = await openIncident(`Late breach ${randomUUID().slice(0, 8)}`, 'high', 'data_breach');
    const awareAt = new Date(Date.now() - 73 * HOURS);
    const res = await http('POST', `${comms.url}/v1/incidents/${incidentId}/decisions`, { kind: 'personal_data_breach', effectiveAt: awareAt.toISOString(), reason: 'learned of it from a researcher three days ago' }, await as('leo'));
    expect(res.status).toBe(201);
    const late = await eventually(async () => {
      const [clock] = (await http('GET', `${comms.url}/v1/incidents/${incidentId}/obligations`)).json.items;
      return clock?.status === 'late' ? clock : undefined;
    }, 30_000);
    expect(late.timeLeftSeconds).toBeLessThan(0);
    const entry = await eventually(async () => (await timelineTypes(incidentId)).find((e) => e.type === 'vigil.obligation.missed.v1'), 60_000);
    expect(entry.summary).toMatch(/^Regulatory deadline missed: GDPR: Notification to the supervisory authority was due /);

    // Grafana sees it: the clock among the late ones, and the miss counted.
    const metrics = (await http('GET', `${comms.url}/metrics`)).text;
    expect(metrics).toMatch(/^vigil_obligations_open\{[^}]*rule="gdpr-art33"[^}]*status="late"[^}]*\} [1-9]/m);
    expect(metrics).toMatch(/^vigil_obligations_missed_total\{[^}]*rule="gdpr-art33"[^}]*\} [1-9]/m);

    // Submitting late needs the reasons for the delay (GDPR art. 33(1)).
    const bare = await http('POST', `${comms.url}/v1/obligations/${late.obligationId}/submit`, {}, await as('leo'));
    expect(bare.status).toBe(422);
    expect(bare.json.errors[0].pointer).toBe('/lateReason');
    const explained = await http('POST', `${comms.url}/v1/obligations/${late.obligationId}/submit`, { lateReason: 'we learned of the breach only through the researcher' }, await as('leo'));
    expect(explained.json).toMatchObject({ status: 'submitted_late', lateReason: 'we learned of the breach only through the researcher' });
  });

  it('reminds when a status update is due, escalates when it is missed, and starts over when one is sent', async () => {
    const adam = await as('adam');
    const management = (await http('GET', `${comms.url}/v1/audiences/management`, undefined, adam)).json;
    const { audience: _a, scope: _s, description: _d, updatedAt: _u, updatedBy: _b, ...settings } = management;
    expect((await http('PUT', `${comms.url}/v1/audiences/management`, { ...settings, statusCadence: { SEV1: 2 }, cadenceGraceSeconds: 2 }, adam)).status).toBe(200);

    const incidentId = await openIncident(`Domain admin compromise ${randomUUID().slice(0, 8)}`);
    const missed = await eventually(async () => {
      const entries = await timelineTypes(incidentId);
      return entries.some((e) => e.type === 'vigil.status-update.missed.v1') ? entries : undefined;
    }, 60_000);
    const types = missed.map((e) => e.type);
    expect(types.indexOf('vigil.status-update.due.v1')).toBeLessThan(types.indexOf('vigil.status-update.missed.v1'));
    const [clock] = (await http('GET', `${comms.url}/v1/incidents/${incidentId}/status-updates`)).json.items;
    expect(clock).toMatchObject({ audience: 'management', severity: 'SEV1', intervalSeconds: 2, active: true, missedAt: expect.any(String) });

    const update = await http('POST', `${comms.url}/v1/incidents/${incidentId}/messages`, { audience: 'management', purpose: 'status_update', note: 'Contained on two hosts.' }, await as('irene'));
    expect(update.status).toBe(201);
    expect(update.json.status).toBe('approved'); // inside, no approval, no channel: recorded as sent by hand
    const [reset] = (await http('GET', `${comms.url}/v1/incidents/${incidentId}/status-updates`)).json.items;
    expect(reset.lastUpdateAt).toBe(update.json.releasedAt);
    expect(Date.parse(reset.dueAt) - Date.parse(update.json.releasedAt)).toBe(2000);
    expect(reset.missedAt).toBeNull();
  });

  it('never returns a channel\'s secrets, and lets only an admin change channels', async () => {
    const adam = await as('adam');
    const created = await http('POST', `${comms.url}/v1/channels`, { kind: 'slack', name: 'test-api-slack', config: {}, secrets: { webhookUrl: 'https://hooks.slack.example/services/T0/B0/secret-part' } }, adam);
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({ kind: 'slack', source: 'api', secrets: { webhookUrl: 'set' } });
    const listed = await http('GET', `${comms.url}/v1/channels`, undefined, adam);
    expect(listed.text).not.toContain('secret-part');
    expect(listed.text).not.toContain(SECRET);
    expect(listed.json.items.find((c: { name: string }) => c.name === 'test-ir-webhook')).toMatchObject({ source: 'config', secrets: { signingSecret: 'set' } });
    expect((await http('POST', `${comms.url}/v1/channels`, { kind: 'slack', name: 'test-x', config: {}, secrets: { webhookUrl: 'https://x.example' } }, await as('irene'))).status).toBe(403);
    const configured = listed.json.items.find((c: { name: string }) => c.name === 'test-ir-slack');
    expect((await http('PATCH', `${comms.url}/v1/channels/${configured.channelId}`, { enabled: false }, adam)).status).toBe(409);
    const patched = await http('PATCH', `${comms.url}/v1/channels/${created.json.channelId}`, { secrets: { webhookUrl: 'not a url' } }, adam);
    expect(patched.status).toBe(422);
    expect(patched.json.errors[0].pointer).toBe('/secrets/webhookUrl');
    expect((await http('DELETE', `${comms.url}/v1/channels/${created.json.channelId}`, undefined, adam)).status).toBe(204);
  });

  it('refuses an API channel aimed at an internal address or plain http unless an admin allows it on the channel', async () => {
    const adam = await as('adam');
    const inside = await http('POST', `${comms.url}/v1/channels`, { kind: 'webhook', name: 'test-inside', config: { url: 'http://127.0.0.1:9/hook' }, secrets: {} }, adam);
    expect(inside.status).toBe(422);
    expect(inside.json.errors).toEqual([
      { pointer: '/config/url', detail: 'is plain http: set allowHttp for a receiver without TLS' },
      { pointer: '/config/url', detail: '127.0.0.1 is loopback: set allowPrivateNetwork for an internal receiver' },
    ]);
    const metadata = await http('POST', `${comms.url}/v1/channels`, { kind: 'teams', name: 'test-metadata', config: {}, secrets: { webhookUrl: 'https://169.254.169.254/latest/meta-data/' } }, adam);
    expect(metadata.status).toBe(422);
    expect(metadata.json.errors[0]).toMatchObject({ pointer: '/secrets/webhookUrl', detail: expect.stringMatching(/^169\.254\.169\.254 is link-local/) });
    const relay = await http('POST', `${comms.url}/v1/channels`, { kind: 'email', name: 'test-relay', config: { host: '10.1.2.3', port: 25, security: 'none', from: 'vigil@soc.example' }, secrets: {} }, adam);
    expect(relay.status).toBe(422);
    expect(relay.json.errors[0].pointer).toBe('/config/host');

    const allowed = await http('POST', `${comms.url}/v1/channels`, { kind: 'webhook', name: 'test-inside', config: { url: 'http://127.0.0.1:9/hook' }, secrets: {}, allowPrivateNetwork: true, allowHttp: true }, adam);
    expect(allowed.status).toBe(201);
    expect(allowed.json).toMatchObject({ allowPrivateNetwork: true, allowHttp: true, source: 'api' });
    // Taking the permission back while the URL still needs it is refused too.
    const narrowed = await http('PATCH', `${comms.url}/v1/channels/${allowed.json.channelId}`, { allowHttp: false }, adam);
    expect(narrowed.status).toBe(422);
    expect((await http('DELETE', `${comms.url}/v1/channels/${allowed.json.channelId}`, undefined, adam)).status).toBe(204);
    // A channel from configuration is the operator's own: it may reach the local receivers.
    const configured = (await http('GET', `${comms.url}/v1/channels`, undefined, adam)).json.items.find((c: { name: string }) => c.name === 'test-ir-webhook');
    expect(configured).toMatchObject({ source: 'config', allowPrivateNetwork: true, allowHttp: true });
  });
});
