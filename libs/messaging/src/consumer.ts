import { metrics } from '@opentelemetry/api';
import { Consumer, stringDeserializers, type Message, type MessagesStream } from '@platformatic/kafka';
import { ContractViolation, decodeEvent, deadLetterTopicOf, UnknownEventType, type CloudEvent } from '@vigil/contracts';
import { contextFromHeaders, inSpan, SpanKind } from '@vigil/telemetry';
import fastq from 'fastq';
import type { Logger } from 'pino';
import type { DataSource, EntityManager } from 'typeorm';
import { DlqHeaders, RedriveHeaders } from './dead-letters';
import { backoff, isTransientInfrastructureError, sleep } from './errors';
import { connectionOptions, type KafkaSettings, type StringProducer } from './kafka';

type StringMessage = Message<string, string, string, string>;

export interface HandlerContext {
  /** Runs `fn` once the transaction has committed (e.g. to record a metric exactly once). */
  afterCommit(fn: () => void): void;
}

/** Applies one event. Runs inside the transaction that also records the event id in the inbox. */
export type EventHandler = (event: CloudEvent, manager: EntityManager, context: HandlerContext) => Promise<void>;

export interface EventConsumerOptions {
  kafka: KafkaSettings;
  groupId: string;
  topics: string[];
  /** Handlers by CloudEvents type; events of other types on these topics are skipped. */
  handlers: Record<string, EventHandler>;
  dataSource: DataSource;
  schema: string;
  /** Used to park poison messages on `<topic>.dlq`. */
  producer: StringProducer;
  logger: Logger;
  /** Attempts for a failing handler before the message goes to the DLQ. */
  maxAttempts?: number;
  sessionTimeoutMs?: number;
  /** How often consumer lag is measured for the `vigil.consumer.lag` gauge. */
  lagIntervalMs?: number;
  /** Partitions applied at once (each still strictly in order); default 4. */
  concurrency?: number;
  /** Messages read ahead of the ones being applied, across partitions; default 512. */
  maxBuffered?: number;
  /** How long processed offsets wait to be committed together; default 100 ms. */
  commitIntervalMs?: number;
  /**
   * How long `start()` waits for the first group join before it returns anyway (the consumer keeps
   * trying in the background, so a service starts and serves while Kafka is away); default 15 s.
   */
  startWaitMs?: number;
}

/** Outcomes of `vigil.events.consumed`. */
const OUTCOMES = ['applied', 'duplicate', 'skipped', 'unknown_type', 'dead_lettered'] as const;

/**
 * Consumes Vigil events exactly once in effect: each event id is recorded in the inbox table in
 * the same transaction as its effect, and the offset is committed only after that transaction.
 * A redelivered event finds its id in the inbox and is skipped. A message that keeps failing is
 * sent to `<topic>.dlq` with the error after bounded retries, so it never stalls its partition.
 * Messages of one partition are applied one at a time, in order, which keeps per-incident order;
 * different partitions are applied side by side (`concurrency`). Offsets are committed together
 * every `commitIntervalMs` rather than one round trip per message: a commit lost in between only
 * means a redelivery, which the inbox absorbs.
 */
export class EventConsumer {
  private consumer?: Consumer<string, string, string, string>;
  private stream?: MessagesStream<string, string, string, string>;
  private loop?: Promise<void>;
  private stopping = false;
  private readonly maxAttempts: number;
  private readonly concurrency: number;
  private readonly maxBuffered: number;
  private readonly commitIntervalMs: number;
  /** The last applied message per partition, waiting for its offset to be committed. */
  private readonly toCommit = new Map<string, StringMessage>();
  private commitTimer?: NodeJS.Timeout;
  private committing: Promise<void> = Promise.resolve();
  private readonly processed = metrics.getMeter('vigil').createCounter('vigil.events.consumed', {
    description: 'events consumed, by outcome (applied, duplicate, skipped, unknown_type, dead_lettered)',
  });
  /** Unknown event types already logged: one line per type, every occurrence counted. */
  private readonly unknownTypesLogged = new Set<string>();
  private subscribed?: () => void;
  /** Messages behind, per topic and partition, as last measured (partitions this member owns). */
  private readonly lag = new Map<string, { topic: string; partition: number; lag: number }>();

  constructor(private readonly options: EventConsumerOptions) {
    this.maxAttempts = options.maxAttempts ?? 5;
    this.concurrency = options.concurrency ?? 4;
    this.maxBuffered = options.maxBuffered ?? 512;
    this.commitIntervalMs = options.commitIntervalMs ?? 100;
    metrics
      .getMeter('vigil')
      .createObservableGauge('vigil.consumer.lag', { description: 'messages the consumer group is behind, per topic and partition' })
      .addCallback((result) => {
        for (const { topic, partition, lag } of this.lag.values()) {
          result.observe(lag, { group: options.groupId, topic, partition: String(partition) });
        }
      });
    // Every outcome series exists from the start, so that rate() and increase() see the first event.
    for (const topic of options.topics) {
      for (const outcome of OUTCOMES) this.processed.add(0, { topic, outcome });
    }
  }

  /**
   * Starts consuming. Waits for the first group join (up to `startWaitMs`), so that a healthy
   * service is consuming by the time it listens; a broker that is away does not hold the service
   * back: the consumer keeps trying to join in the background.
   */
  async start(): Promise<void> {
    const joined = new Promise<void>((resolve) => (this.subscribed = resolve));
    this.loop = this.run();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([joined, new Promise<void>((resolve) => (timer = setTimeout(resolve, this.options.startWaitMs ?? 15_000)))]);
    clearTimeout(timer);
  }

  private async subscribe(): Promise<void> {
    const { kafka, groupId, topics } = this.options;
    this.consumer = new Consumer({
      clientId: `${kafka.clientId}-consumer`,
      ...connectionOptions(kafka),
      groupId,
      deserializers: stringDeserializers,
      autocommit: false,
      sessionTimeout: this.options.sessionTimeoutMs ?? 10_000,
      heartbeatInterval: 1000,
      rebalanceTimeout: 20_000,
      maxWaitTime: 500,
      retries: 10,
      retryDelay: 1000,
    });
    this.stream = await this.consumer.consume({ topics, mode: 'committed', fallbackMode: 'earliest' });
    this.consumer.on('consumer:lag', (lag: Map<string, bigint[]>) => {
      this.lag.clear();
      for (const [topic, partitions] of lag) {
        partitions.forEach((behind, partition) => {
          // -1: not assigned to this member (another replica reports it).
          if (behind >= 0n) this.lag.set(`${topic}:${partition}`, { topic, partition, lag: Number(behind) });
        });
      }
    });
    this.consumer.on('consumer:lag:error', () => undefined); // the next round tries again
    this.consumer.startLagMonitoring({ topics }, this.options.lagIntervalMs ?? 5000);
    this.subscribed?.();
  }

  /** Finishes the message in hand, commits its offset, leaves the group. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.consumer?.stopLagMonitoring();
    await this.stream?.close().catch(() => undefined);
    // Still joining (the broker is away): give the join up rather than wait out its retries.
    if (!this.stream) await this.consumer?.close(true).catch(() => undefined);
    await Promise.race([this.loop?.catch(() => undefined), sleep(10_000)]);
    // A join that completed while stopping has a stream of its own.
    await this.stream?.close().catch(() => undefined);
    await this.flushCommits();
    await this.consumer?.close(true).catch(() => undefined);
  }

  /**
   * Consumes until stopped. If the broker goes away for longer than the client's own retries, the
   * consumer is rebuilt and rejoins its group, resuming from the last committed offsets.
   */
  private async run(): Promise<void> {
    let failures = 0;
    while (!this.stopping) {
      try {
        if (!this.stream) await this.subscribe();
        if (this.stopping) break;
        await this.consumeStream(this.stream!);
        if (!this.stopping) throw new Error('the message stream ended');
      } catch (error) {
        if (this.stopping) break;
        failures += 1;
        this.options.logger.warn({ err: error, failures }, 'consumer: stream failed, rejoining the group');
        this.consumer?.stopLagMonitoring();
        await this.stream?.close().catch(() => undefined);
        await this.flushCommits();
        await this.consumer?.close(true).catch(() => undefined);
        this.stream = undefined;
        this.consumer = undefined;
        await sleep(backoff(Math.min(failures, 6), 500, 15_000));
      }
    }
  }

  /**
   * Applies the stream's messages: one chain per partition (in order), and at most `concurrency`
   * messages being applied at once, from different partitions. Messages are read ahead (up to
   * `maxBuffered`) so that a run of one partition's messages in a fetch does not hold the others
   * back. A message whose handling fails outright (e.g. the DLQ cannot be reached) stops its
   * partition's chain and the stream, so the group is rejoined from the committed offsets.
   */
  private async consumeStream(stream: MessagesStream<string, string, string, string>): Promise<void> {
    const chains = new Map<string, Promise<void>>();
    const inFlight = new Set<Promise<void>>();
    const slots = fastq.promise((message: StringMessage) => this.handle(message), this.concurrency);
    let failure: { error: unknown } | undefined;
    for await (const message of stream) {
      const partition = `${message.topic}:${message.partition}`;
      // Once failed or stopping, what was read ahead is left unapplied (and uncommitted): it is read again.
      const next = (chains.get(partition) ?? Promise.resolve()).then(() => (failure || this.stopping ? undefined : slots.push(message)));
      chains.set(partition, next);
      const tracked = next.then(
        () => undefined,
        (error: unknown) => {
          failure ??= { error };
        },
      );
      inFlight.add(tracked);
      void tracked.finally(() => {
        inFlight.delete(tracked);
        if (chains.get(partition) === next) chains.delete(partition);
      });
      while (inFlight.size >= this.maxBuffered && !failure) await Promise.race(inFlight);
      if (failure) break;
      if (this.stopping) break;
    }
    await Promise.all(inFlight);
    if (failure) throw failure.error;
  }

  private async handle(message: StringMessage): Promise<void> {
    const headers = Object.fromEntries(message.headers);
    // A dead letter redriven for another consumer group (the DLQ tool): this group applied it, or
    // never had to, when it first came by.
    const redriveFor = headers[RedriveHeaders.forGroup];
    if (redriveFor !== undefined && redriveFor !== this.options.groupId) {
      this.processed.add(1, { topic: message.topic, outcome: 'skipped' });
      this.markDone(message);
      return;
    }
    let event: CloudEvent;
    try {
      event = decodeEvent(message.headers, message.value ?? null);
    } catch (error) {
      if (error instanceof UnknownEventType) {
        // A type from a newer producer (a rolling upgrade): nothing this build could apply, and
        // nothing wrong with the message. Counted, logged once per type, and passed over.
        this.processed.add(1, { topic: message.topic, outcome: 'unknown_type' });
        if (!this.unknownTypesLogged.has(error.type)) {
          this.unknownTypesLogged.add(error.type);
          this.options.logger.warn(
            { eventType: error.type, topic: message.topic, partition: message.partition, offset: message.offset.toString() },
            'consumer: skipping events of a type this version does not know (counted in vigil.events.consumed{outcome="unknown_type"}; logged once per type)',
          );
        }
        this.markDone(message);
        return;
      }
      // A message that breaks its contract will never succeed: straight to the DLQ.
      await this.deadLetter(message, error as Error, 1);
      return;
    }
    const handler = this.options.handlers[event.type];
    if (!handler) {
      this.processed.add(1, { topic: message.topic, outcome: 'skipped' });
      this.markDone(message);
      return;
    }
    let attempts = 0;
    let transientFailures = 0;
    for (;;) {
      attempts += 1;
      try {
        const applied = await inSpan(
          `${message.topic} process`,
          {
            kind: SpanKind.CONSUMER,
            parent: contextFromHeaders(headers),
            attributes: {
              'messaging.system': 'kafka',
              'messaging.destination.name': message.topic,
              'messaging.consumer.group.name': this.options.groupId,
              'messaging.kafka.offset': Number(message.offset),
              'messaging.destination.partition.id': String(message.partition),
              'messaging.message.id': event.id,
              'cloudevents.event_type': event.type,
            },
          },
          () => this.applyOnce(event, message, handler),
        );
        this.processed.add(1, { topic: message.topic, outcome: applied ? 'applied' : 'duplicate' });
        this.markDone(message);
        return;
      } catch (error) {
        if (isTransientInfrastructureError(error)) {
          // The database is away: wait for it, however long; the message is not at fault.
          attempts -= 1;
          transientFailures += 1;
          this.options.logger.warn({ err: error, eventId: event.id }, 'consumer: infrastructure unavailable, retrying');
          await sleep(backoff(Math.min(transientFailures, 6), 250, 10_000));
          continue;
        }
        if (attempts >= this.maxAttempts) {
          await this.deadLetter(message, error as Error, attempts);
          return;
        }
        this.options.logger.warn({ err: error, eventId: event.id, attempts }, 'consumer: handler failed, retrying');
        await sleep(backoff(attempts, 100, 2000));
      }
    }
  }

  /** Returns false when the event had already been applied (redelivery). */
  private async applyOnce(event: CloudEvent, message: StringMessage, handler: EventHandler): Promise<boolean> {
    const { dataSource, schema, groupId } = this.options;
    const afterCommit: Array<() => void> = [];
    const applied = await dataSource.transaction(async (manager) => {
      const inserted: unknown[] = await manager.query(
        `INSERT INTO "${schema}".inbox (consumer, event_id, event_type, topic, kafka_partition, kafka_offset)
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING RETURNING event_id`,
        [groupId, event.id, event.type, message.topic, message.partition, message.offset.toString()],
      );
      if (inserted.length === 0) return false;
      await handler(event, manager, { afterCommit: (fn) => afterCommit.push(fn) });
      return true;
    });
    for (const fn of afterCommit) fn();
    return applied;
  }

  /** Marks a message done; its offset (and its partition's before it) is committed shortly. */
  private markDone(message: StringMessage): void {
    this.toCommit.set(`${message.topic}:${message.partition}`, message);
    this.commitTimer ??= setTimeout(() => {
      this.commitTimer = undefined;
      void this.flushCommits();
    }, this.commitIntervalMs);
  }

  /** Commits the latest done offset of each partition (one commit at a time). */
  private flushCommits(): Promise<void> {
    if (this.commitTimer) {
      clearTimeout(this.commitTimer);
      this.commitTimer = undefined;
    }
    this.committing = this.committing.then(async () => {
      const pending = [...this.toCommit.values()];
      this.toCommit.clear();
      for (const message of pending) await this.commit(message);
    });
    return this.committing;
  }

  private async commit(message: StringMessage): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await message.commit();
        return;
      } catch (error) {
        // A lost commit only means a redelivery, which the inbox absorbs; after a rebalance the
        // partition is someone else's, so give up quietly.
        if (this.stopping || attempt >= 5) {
          this.options.logger.warn({ err: error, topic: message.topic, offset: message.offset.toString() }, 'consumer: offset commit failed');
          return;
        }
        await sleep(backoff(attempt));
      }
    }
  }

  private async deadLetter(message: StringMessage, error: Error, attempts: number): Promise<void> {
    const dlq = deadLetterTopicOf(message.topic);
    const headers: Record<string, string> = {
      ...Object.fromEntries(message.headers),
      [DlqHeaders.error]: String(error.message).slice(0, 4000),
      [DlqHeaders.errorClass]: error instanceof ContractViolation ? 'contract_violation' : error.name,
      [DlqHeaders.originalTopic]: message.topic,
      [DlqHeaders.originalPartition]: String(message.partition),
      [DlqHeaders.originalOffset]: message.offset.toString(),
      [DlqHeaders.consumerGroup]: this.options.groupId,
      [DlqHeaders.attempts]: String(attempts),
      [DlqHeaders.at]: new Date().toISOString(),
    };
    for (let attempt = 1; ; attempt++) {
      try {
        await this.options.producer.send({
          messages: [{ topic: dlq, key: message.key ?? undefined, value: message.value ?? undefined, headers }],
        });
        break;
      } catch (produceError) {
        // Never commit past a message that is neither applied nor parked.
        this.options.logger.error({ err: produceError, dlq }, 'consumer: could not write to the dead-letter topic, retrying');
        await sleep(backoff(Math.min(attempt, 6), 250, 10_000));
      }
    }
    this.options.logger.error(
      { err: error, topic: message.topic, partition: message.partition, offset: message.offset.toString(), dlq, attempts },
      'consumer: message sent to the dead-letter topic',
    );
    this.processed.add(1, { topic: message.topic, outcome: 'dead_lettered' });
    this.markDone(message);
  }
}
