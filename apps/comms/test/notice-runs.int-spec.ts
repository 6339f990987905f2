import { createEvent, IncidentAlertAttachedV1, IncidentOpenedV1, IncidentPhaseChangedV1, MessageSentV1, NotificationDeliveredV1, toKafkaHeaders, type CloudEvent, type IncidentSnapshot } from '@vigil/contracts';
import { randomUUID } from 'node:crypto';
import { eventually, kafkaProducer, readTopic, startService, withDatabase, type ServiceProcess } from '../../../test/support/harness';

const { startChatReceiver } = require('../../../tools/stack/receivers.cjs') as {
  startChatReceiver: (options?: { secret?: string }) => Promise<{ url: string; received: Array<{ path: string; body: string }>; close(): Promise<void> }>;
};

/**
 * Comms takes a run of incident events as one stretch, whatever their types, and writes its
 * automatic notices, their deliveries and their outcomes set-wise. Who is told, and what, must not
 * depend on how the events were cut into runs: each event is judged with the incident as that
 * event left it, and an incident that comes into an audience's rule later (a severity raised by
 * more alerts) reaches it then. The events are produced straight onto the incidents topic in one batch with one key (one
 * partition, so one run), as triage would publish them.
 */
describe('automatic notices of a run of incident events (real Kafka and PostgreSQL, a local webhook receiver)', () => {
  let comms: ServiceProcess;
  let chat: Awaited<ReturnType<typeof startChatReceiver>>;
  const producer = kafkaProducer();

  beforeAll(async () => {
    chat = await startChatReceiver();
    const channels = [{ kind: 'webhook', name: 'test-runs-webhook', config: { url: `${chat.url}/runs` }, secrets: {}, audiences: ['ir_team', 'management', 'legal'] }];
    comms = await startService('comms', { COMMS_CHANNELS: JSON.stringify(channels), COMMS_RETRY_BASE_MS: '100' });
  }, 120_000);

  afterAll(async () => {
    await comms?.stop();
    await producer.close();
    // Later suites share the database: leave the audiences and channels as shipped.
    await withDatabase(async (db) => {
      await db.query(`UPDATE comms.audiences SET channels = '{}'`);
      await db.query(`DELETE FROM comms.channels WHERE name LIKE 'test-%'`);
    });
    await chat?.close();
  });

  it('tells each audience once, as soon as an event brings the incident into its rule, and what that event showed', async () => {
    const [a, b] = [randomUUID(), randomUUID()].sort();
    // Times of now: the services of later suites read these incidents too (tasking gives them
    // tasks whose deadlines run from detection).
    const start = Date.now() - 60_000;
    const at = (seconds: number) => new Date(start + seconds * 1000).toISOString();
    const snapshot = (incidentId: string, version: number, severity: IncidentSnapshot['severity'], phase: IncidentSnapshot['phase'] = 'detected'): IncidentSnapshot => ({
      incidentId,
      title: `Run notices ${incidentId.slice(0, 8)}`,
      severity,
      category: 'malware',
      phase,
      exercise: false,
      alertCount: version,
      version,
      timestamps: { occurredAt: at(0), detectedAt: at(1), declaredAt: at(2), acknowledgedAt: null, containedAt: null, eradicatedAt: null, recoveredAt: null, closedAt: null },
    });
    const alert = () => ({ alertId: randomUUID(), dedupKey: `notice-run-${randomUUID()}`, title: 'EDR detection', source: 'edr', receivedAt: at(1) });
    const event = (e: CloudEvent) => ({ topic: IncidentOpenedV1.topic, key: a, value: JSON.stringify(e.data), headers: toKafkaHeaders(e) });
    await producer.send({
      messages: [
        // a opens at SEV3 (the IR team hears it; management and legal, SEV2 and above, do not) …
        createEvent(IncidentOpenedV1, { source: '/vigil/triage', subject: a, data: { incident: snapshot(a, 1, 'SEV3'), alert: alert() } }),
        // … a later alert of the same run raises it to SEV1: management and legal hear of it now …
        createEvent(IncidentAlertAttachedV1, { source: '/vigil/triage', subject: a, data: { incident: snapshot(a, 2, 'SEV1'), alert: alert(), correlatedBy: 'asset_category' } }),
        // … and once only, however many events show it within their rule.
        createEvent(IncidentAlertAttachedV1, { source: '/vigil/triage', subject: a, data: { incident: snapshot(a, 3, 'SEV1'), alert: alert(), correlatedBy: 'asset_category' } }),
        // b opens at SEV1 (the IR team, management and legal) and is closed in the same run.
        createEvent(IncidentOpenedV1, { source: '/vigil/triage', subject: b, data: { incident: snapshot(b, 1, 'SEV1'), alert: alert() } }),
        createEvent(IncidentPhaseChangedV1, { source: '/vigil/triage', subject: b, data: { incident: snapshot(b, 2, 'SEV1', 'closed'), from: 'detected', to: 'closed', actor: 'u-test', reason: 'done' } }),
        // a recovers: only those told of it hear that it is over.
        createEvent(IncidentPhaseChangedV1, { source: '/vigil/triage', subject: a, data: { incident: snapshot(a, 4, 'SEV1', 'recovered'), from: 'detected', to: 'recovered', actor: 'u-test', reason: 'done' } }),
      ].map(event),
    });

    const expected = [
      [a, 'ir_team', 'initial_notice'],
      [a, 'ir_team', 'resolution'],
      [a, 'legal', 'initial_notice'],
      [a, 'management', 'initial_notice'],
      [a, 'management', 'resolution'],
      [b, 'ir_team', 'initial_notice'],
      [b, 'ir_team', 'resolution'],
      [b, 'legal', 'initial_notice'],
      [b, 'management', 'initial_notice'],
      [b, 'management', 'resolution'],
    ].map((r) => r.join(' '));
    type Row = { incident_id: string; audience: string; purpose: string; status: string; automatic: boolean; delivered: number; receipts: number; text: string };
    const messages = await eventually(async () => {
      const { rows } = await withDatabase((db) =>
        db.query<Row>(
          `SELECT m.incident_id, m.audience, m.purpose, m.status, m.automatic, m.text,
                  (SELECT count(*)::int FROM comms.notifications n WHERE n.message_id = m.id AND n.status = 'delivered') AS delivered,
                  (SELECT count(*)::int FROM comms.deliveries d JOIN comms.notifications n ON n.id = d.notification_id WHERE n.message_id = m.id) AS receipts
             FROM comms.messages m WHERE m.incident_id = ANY($1::uuid[]) ORDER BY m.incident_id, m.audience, m.purpose`,
          [[a, b]],
        ),
      );
      return rows.length >= expected.length && rows.every((r) => r.status === 'sent') ? rows : undefined;
    }, 60_000);
    // Exactly these: the SEV1 raise brought a to management and legal, and the resolutions found
    // the initial notices drafted by the same run.
    expect(messages.map((m) => `${m.incident_id} ${m.audience} ${m.purpose}`)).toEqual(expected);
    for (const m of messages) expect(m).toMatchObject({ automatic: true, status: 'sent', delivered: 1, receipts: 1 });
    // Each says what the event that brought it showed: the IR team heard of a at SEV3, management at SEV1.
    const textOf = (incident: string, audience: string) => messages.find((m) => m.incident_id === incident && m.audience === audience && m.purpose === 'initial_notice')!.text;
    expect(textOf(a, 'ir_team')).toContain('SEV3');
    expect(textOf(a, 'management')).toContain('SEV1');
    // Each delivered once to the audience's channel …
    const posts = chat.received.filter((r) => r.path === '/runs' && (r.body.includes(a) || r.body.includes(b)));
    expect(posts).toHaveLength(expected.length);
    // … and reported once: a delivered event per notification, a sent event per message.
    const ours = (m: { key: string }) => m.key === a || m.key === b;
    const reported = await readTopic(
      MessageSentV1.topic,
      (seen) => {
        const types = seen.filter(ours).map((m) => m.headers['ce_type']);
        const count = (type: string) => types.filter((t) => t === type).length;
        return count(MessageSentV1.type) >= expected.length && count(NotificationDeliveredV1.type) >= expected.length ? { sent: count(MessageSentV1.type), delivered: count(NotificationDeliveredV1.type) } : undefined;
      },
      30_000,
      undefined,
      2_000,
    );
    expect(reported).toEqual({ sent: expected.length, delivered: expected.length });

    // a is closed, as b is: the services of later suites that read these events leave them alone
    // (no task deadline of an open incident to escalate on).
    await producer.send({
      messages: [
        createEvent(IncidentPhaseChangedV1, { source: '/vigil/triage', subject: a, data: { incident: snapshot(a, 5, 'SEV1', 'closed'), from: 'recovered', to: 'closed', actor: 'u-test', reason: 'done' } }),
      ].map(event),
    });
  });
});
