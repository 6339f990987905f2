import { Admin, ConfigResourceTypes } from '@platformatic/kafka';
import { AlertReceivedV1, createEvent, deadLetterTopicOf, toKafkaHeaders, type CloudEvent } from '@vigil/contracts';
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import pino from 'pino';
import { DataSource } from 'typeorm';
import { eventually, readTopic, testEnv } from '../../../test/support/harness';
import { EventConsumer } from '../src/consumer';
import { createProducer, DLQ_RETENTION_MS, provisionTopics, type StringProducer } from '../src/kafka';
import { jsonOutboxV3, leanOutboxV2, messagingTablesV1 } from '../src/tables';

const root = join(__dirname, '..', '..', '..');

/** `npm run dlq -- <args>`, as an operator runs it. */
function dlq(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [join(root, 'tools', 'dlq.mjs'), ...args], { cwd: root, env: { ...process.env, KAFKA_BROKERS: testEnv().brokers } }, (error, stdout, stderr) =>
      resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

/**
 * The way back from the DLQ: a poison message is parked, `npm run dlq -- list` shows it, and once
 * the cause is fixed `redrive` brings it back to the consumer group that gave up on it, which
 * applies it once; a second redrive does nothing, and other groups on the topic leave the copy alone.
 */
describe('dead letters: list and redrive', () => {
  const run = randomUUID().slice(0, 8);
  const schema = `dlqtest_${run}`;
  const topic = `vigil.dlq-test-${run}.v1`;
  const [groupA, groupB] = [`vigil-dlq-test-a-${run}`, `vigil-dlq-test-b-${run}`];
  const logger = pino({ level: 'silent' });
  /** Titles group A cannot apply yet (the "cause" to be fixed). */
  const broken = new Set<string>();
  let dataSource: DataSource;
  let producer: StringProducer;
  let consumers: EventConsumer[] = [];

  function alert(title: string): CloudEvent {
    const dedupKey = `dlq-${randomUUID()}`;
    return createEvent(AlertReceivedV1, {
      source: '/test',
      subject: dedupKey,
      data: {
        alertId: randomUUID(),
        dedupKey,
        title,
        source: 'test',
        severity: 'low',
        occurredAt: new Date().toISOString(),
        receivedAt: new Date().toISOString(),
        labels: {},
        assets: [],
        observables: [],
        exercise: false,
      },
    });
  }

  const publish = (event: CloudEvent) =>
    producer.send({ messages: [{ topic, key: event.subject, value: JSON.stringify(event.data), headers: toKafkaHeaders(event) }] });

  const effects = async (group: string, title: string) =>
    Number((await dataSource.query(`SELECT count(*)::int AS n FROM "${schema}".effects WHERE consumer = $1 AND title = $2`, [group, title]))[0].n);

  /** Publishes a fresh event and waits until both groups applied it: whatever came before is handled. */
  async function drained() {
    const title = `marker-${randomUUID()}`;
    await publish(alert(title));
    await eventually(async () => ((await effects(groupA, title)) === 1 && (await effects(groupB, title)) === 1 ? true : undefined), 60_000);
  }

  function consumer(groupId: string) {
    return new EventConsumer({
      kafka: { brokers: testEnv().brokers.split(','), clientId: 'vigil-dlq-test' },
      groupId,
      topics: [topic],
      dataSource,
      schema,
      producer,
      logger,
      maxAttempts: 2,
      handlers: {
        [AlertReceivedV1.type]: async (event, manager) => {
          const title = (event.data as { title: string }).title;
          if (groupId === groupA && broken.has(title)) throw new Error(`no playbook for ${title} yet`);
          await manager.query(`INSERT INTO "${schema}".effects (consumer, title) VALUES ($1, $2)`, [groupId, title]);
        },
      },
    });
  }

  beforeAll(async () => {
    const env = testEnv();
    dataSource = new DataSource({ type: 'postgres', url: env.adminUrl, extra: { max: 6 } });
    await dataSource.initialize();
    await dataSource.query(`CREATE SCHEMA "${schema}"`);
    for (const sql of [...messagingTablesV1(schema).up, ...leanOutboxV2(schema).up, ...jsonOutboxV3(schema).up]) await dataSource.query(sql);
    await dataSource.query(`CREATE TABLE "${schema}".effects (id bigserial PRIMARY KEY, consumer text NOT NULL, title text NOT NULL)`);
    const admin = new Admin({ clientId: 'vigil-test-admin', bootstrapBrokers: env.brokers.split(',') });
    await provisionTopics(admin, [topic, deadLetterTopicOf(topic)], { partitions: 2, replicationFactor: 1, minInsyncReplicas: 1 });
    await admin.close();
    producer = createProducer({ brokers: env.brokers.split(','), clientId: 'vigil-dlq-test' });
    consumers = [consumer(groupA), consumer(groupB)];
    await Promise.all(consumers.map((c) => c.start()));
  }, 90_000);

  afterAll(async () => {
    await Promise.all(consumers.map((c) => c.stop()));
    await producer?.close();
    await dataSource?.query(`DROP SCHEMA "${schema}" CASCADE`).catch(() => undefined);
    await dataSource?.destroy();
  });

  it('lists a poison message, redrives it once the cause is fixed, and applies it once in the group that gave up', async () => {
    const title = `poison-${run}`;
    const poison = alert(title);
    broken.add(title);
    await publish(poison);
    await readTopic(deadLetterTopicOf(topic), (messages) => messages.find((m) => m.headers.ce_id === poison.id));
    expect(await effects(groupA, title)).toBe(0);
    expect(await effects(groupB, title)).toBe(1);

    const listed = await dlq(['list', '--topic', topic, '--json']);
    expect(listed).toMatchObject({ code: 0, stderr: '' });
    const letters = listed.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(letters).toEqual([
      expect.objectContaining({
        dlqTopic: `${topic}.dlq`,
        topic,
        consumerGroup: groupA,
        eventId: poison.id,
        eventType: AlertReceivedV1.type,
        key: poison.subject,
        error: `no playbook for ${title} yet`,
        errorClass: 'Error',
        attempts: 2,
        redriven: null,
      }),
    ]);
    expect(letters[0].partition).toEqual(expect.any(Number));
    expect(letters[0].offset).toMatch(/^\d+$/);
    expect(new Date(letters[0].deadLetteredAt).getTime()).toBeGreaterThan(Date.now() - 120_000);
    const human = await dlq(['list', '--topic', topic]);
    expect(human.stdout).toContain(poison.id);
    expect(human.stdout).toContain(`no playbook for ${title} yet`);
    expect(human.stdout).toContain('1 dead letter(s)');

    // Group B applied the original long ago and has pruned its inbox record of it since: the
    // redriven copy must not reach it.
    await dataSource.query(`DELETE FROM "${schema}".inbox WHERE consumer = $1 AND event_id = $2`, [groupB, poison.id]);

    broken.delete(title); // the cause is fixed
    const redriven = await dlq(['redrive', '--topic', topic, '--event-id', poison.id]);
    expect(redriven).toMatchObject({ code: 0, stderr: '' });
    expect(redriven.stdout).toContain(`event ${poison.id}  redriven to ${topic}`);
    await eventually(async () => ((await effects(groupA, title)) === 1 ? true : undefined), 60_000);
    await drained();
    expect(await effects(groupA, title)).toBe(1);
    expect(await effects(groupB, title)).toBe(1);

    // A second redrive of the same dead letter does nothing.
    const again = await dlq(['redrive', '--topic', topic, '--event-id', poison.id]);
    expect(again).toMatchObject({ code: 0 });
    expect(again.stdout).toContain('already redriven');
    const all = await dlq(['redrive', '--topic', `${topic}.dlq`, '--all', '--json']);
    expect(all.stdout.trim().split('\n').map((l) => JSON.parse(l).outcome)).toEqual(['already_redriven']);
    await drained();
    expect(await effects(groupA, title)).toBe(1);
    const after = JSON.parse((await dlq(['list', '--topic', topic, '--json'])).stdout.trim());
    expect(after.redriven).toEqual({ at: expect.any(String), to: { topic, partition: expect.any(Number), offset: expect.stringMatching(/^\d+$/) } });
  }, 180_000);

  it('says so when there is nothing to redrive, and refuses an incomplete command', async () => {
    expect(await dlq(['redrive', '--topic', topic, '--event-id', randomUUID()])).toMatchObject({ code: 1, stderr: expect.stringContaining('no dead letter of event') });
    expect(await dlq(['redrive', '--topic', topic])).toMatchObject({ code: 2, stderr: expect.stringContaining('either --event-id or --all') });
    expect(await dlq(['purge'])).toMatchObject({ code: 2, stderr: expect.stringContaining('usage:') });
  }, 60_000);

  it('sets the retention of dead-letter topics when it creates them, and on topics that exist already', async () => {
    const admin = new Admin({ clientId: 'vigil-test-admin', bootstrapBrokers: testEnv().brokers.split(',') });
    const retentionOf = async (name: string) => {
      const [described] = await admin.describeConfigs({ resources: [{ resourceType: ConfigResourceTypes.TOPIC, resourceName: name, configurationKeys: ['retention.ms'] }] });
      return described.configs.find((c) => c.name === 'retention.ms');
    };
    try {
      const fresh = `vigil.retention-test-${randomUUID().slice(0, 8)}.v1`;
      await provisionTopics(admin, [fresh, deadLetterTopicOf(fresh)], { partitions: 1, replicationFactor: 1, minInsyncReplicas: 1 });
      expect((await retentionOf(deadLetterTopicOf(fresh)))?.value).toBe(String(DLQ_RETENTION_MS));
      expect((await retentionOf(fresh))?.value).not.toBe(String(DLQ_RETENTION_MS)); // the broker's default
      // Provisioned again (an upgrade) with another retention: the existing DLQ takes it.
      await provisionTopics(admin, [fresh, deadLetterTopicOf(fresh)], { partitions: 1, replicationFactor: 1, minInsyncReplicas: 1, deadLetterRetentionMs: 14 * 86_400_000 });
      expect((await retentionOf(deadLetterTopicOf(fresh)))?.value).toBe(String(14 * 86_400_000));
    } finally {
      await admin.close();
    }
  });
});
