import { context, metrics, SpanStatusCode, trace } from '@opentelemetry/api';
import { Consumer, stringDeserializers, type Message, type MessagesStream } from '@platformatic/kafka';
import {
  ContractViolation,
  decodeEvent,
  deadLetterTopicOf,
  UnknownEventType,
  type CloudEvent,
  type EventData,
  type EventDefinition,
} from '@vigil/contracts';
import { contextFromHeaders, SpanKind, tracer } from '@vigil/telemetry';
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

/** Where an event came from, and a hook for work that must wait for the commit. */
export interface EventMeta extends HandlerContext {
  id: string;
  type: string;
  source: string;
  time: string;
  subject?: string;
  topic: string;
  partition: number;
  offset: string;
}

/** Applies one event. Runs inside the transaction that also records the event id in the inbox. */
export type EventHandler = (event: CloudEvent, manager: EntityManager, context: HandlerContext) => Promise<void>;

/** One event, typed by its definition: no casts of `event.data`. */
export type TypedHandler<D extends EventDefinition> = (data: EventData<D>, tx: EntityManager, meta: EventMeta) => Promise<void>;

/** A run of consecutive events of one type from one partition, in order, applied in one transaction. */
export type RunHandler<D extends EventDefinition> = (events: ReadonlyArray<{ data: EventData<D>; meta: EventMeta }>, tx: EntityManager) => Promise<void>;

/** A decoded event as the consumer hands it to a registration. */
export interface ConsumedEvent {
  event: CloudEvent;
  meta: EventMeta;
}

/**
 * What a consumer does with the events of one type: `on` (one event at a time) or `onRun` (a run
 * of consecutive events of the type at once). Several registrations of one type are applied in
 * the order given, to a stretch of consecutive events of the type: an `onRun` one to the whole
 * stretch, and a group of consecutive `on` ones event by event (all of the group for one event
 * before the next event). With `on` registrations only, that is simply one event after another.
 */
export type HandlerRegistration =
  | { readonly type: string; readonly kind: 'event'; readonly handle: (event: CloudEvent, tx: EntityManager, meta: EventMeta) => Promise<void> }
  | {
      readonly type: string;
      readonly kind: 'run';
      /** Every type the run takes (`onRunOf`); absent: `type` alone. */
      readonly types?: readonly string[];
      readonly handle: (events: ReadonlyArray<ConsumedEvent>, tx: EntityManager) => Promise<void>;
    };

/** Handles each event of `def` on its own, typed by the definition. */
export function on<D extends EventDefinition>(def: D, handle: TypedHandler<D>): HandlerRegistration {
  return { type: def.type, kind: 'event', handle: (event, tx, meta) => handle(event.data as EventData<D>, tx, meta) };
}

/** Handles runs of consecutive events of `def` (one partition's, in order) in one call. */
export function onRun<D extends EventDefinition>(def: D, handle: RunHandler<D>): HandlerRegistration {
  return { type: def.type, kind: 'run', handle: (events, tx) => handle(events.map(({ event, meta }) => ({ data: event.data as EventData<D>, meta })), tx) };
}

/**
 * Handles runs of consecutive events of SEVERAL types in one call: a stretch of a partition's
 * events whose types are all among `defs` (in order, types mixed) — for a consumer whose hot path
 * interleaves types (new alerts and repeats of earlier ones), which runs of one type would cut
 * into pieces of a few events. Other registrations of these types still apply, in their order:
 * a run one to the stretch's events of its types, an `on` one to each event of its type.
 */
export function onRunOf<const Defs extends readonly EventDefinition[]>(
  defs: Defs,
  handle: (events: ReadonlyArray<RunOfEvent<Defs[number]>>, tx: EntityManager) => Promise<void>,
): HandlerRegistration {
  if (defs.length === 0) throw new Error('onRunOf needs at least one event definition');
  return {
    type: defs[0].type,
    types: defs.map((d) => d.type),
    kind: 'run',
    handle: (events, tx) => handle(events.map(({ event, meta }) => ({ type: event.type, data: event.data, meta }) as RunOfEvent<Defs[number]>), tx),
  };
}

/** An event of an `onRunOf` run: its type tells which definition its data follows. */
export type RunOfEvent<D extends EventDefinition> = D extends EventDefinition ? { type: D['type']; data: EventData<D>; meta: EventMeta } : never;

/**
 * Handles each event of `def` with the whole envelope (for code shared by many event types, e.g.
 * one that reads `event.type` or `event.time`); `data` is still typed by the definition.
 */
export function onEvent<D extends EventDefinition>(def: D, handle: (event: CloudEvent<EventData<D>>, tx: EntityManager, meta: EventMeta) => Promise<void>): HandlerRegistration {
  return { type: def.type, kind: 'event', handle: (event, tx, meta) => handle(event as CloudEvent<EventData<D>>, tx, meta) };
}

/** Handles runs of consecutive events of `def` with their whole envelopes (see `onEvent`), in one call. */
export function onEventRun<D extends EventDefinition>(
  def: D,
  handle: (events: ReadonlyArray<{ event: CloudEvent<EventData<D>>; meta: EventMeta }>, tx: EntityManager) => Promise<void>,
): HandlerRegistration {
  return { type: def.type, kind: 'run', handle: (events, tx) => handle(events as ReadonlyArray<{ event: CloudEvent<EventData<D>>; meta: EventMeta }>, tx) };
}

/** The handlers of the older, untyped shape (by CloudEvents type), as registrations. */
export function registrationsOf(handlers: Record<string, EventHandler>): HandlerRegistration[] {
  return Object.entries(handlers).map(([type, handle]) => ({ type, kind: 'event' as const, handle }));
}

/** Either shape the consumer takes: registrations, or the older record of handlers by type. */
export type ConsumerHandlers = ReadonlyArray<HandlerRegistration> | Record<string, EventHandler>;

export function toRegistrations(handlers: ConsumerHandlers): HandlerRegistration[] {
  return Array.isArray(handlers) ? [...handlers] : registrationsOf(handlers as Record<string, EventHandler>);
}

export interface EventConsumerOptions {
  kafka: KafkaSettings;
  groupId: string;
  /**
   * The logical consumer whose inbox rows say "already applied"; default the group id. Kept apart
   * from the group id so that replaying a topic into a fresh group (offsets reset, group renamed)
   * finds the service's own inbox and applies nothing twice.
   */
  inboxConsumer?: string;
  topics: string[];
  /**
   * Registrations (`on`, `onRun`), or handlers by CloudEvents type (the older shape); events of
   * other types on these topics are skipped.
   */
  handlers: ConsumerHandlers;
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
  /**
   * Messages read ahead of the ones being applied, across partitions; default 2048, so that several
   * busy partitions each have a full run waiting.
   */
  maxBuffered?: number;
  /** The most messages of one partition applied in one transaction; default 500. */
  maxRunSize?: number;
  /** How long processed offsets wait to be committed together; default 100 ms. */
  commitIntervalMs?: number;
  /**
   * How long `start()` waits for the first group join before it returns anyway (the consumer keeps
   * trying in the background, so a service starts and serves while Kafka is away); default 15 s.
   */
  startWaitMs?: number;
}

/** The types a registration takes. */
function typesOf(registration: HandlerRegistration): readonly string[] {
  return registration.kind === 'run' && registration.types ? registration.types : [registration.type];
}

/** Outcomes of `vigil.events.consumed`. */
const OUTCOMES = ['applied', 'duplicate', 'skipped', 'unknown_type', 'dead_lettered'] as const;

/** A decoded event of a run, with the message it came in. */
interface RunItem {
  message: StringMessage;
  event: CloudEvent;
  headers: Record<string, string>;
}

/** A run's transaction failed in the handler of this event (known when an `on` handler threw). */
class RunFailure extends Error {
  constructor(
    readonly item: RunItem | undefined,
    readonly error: unknown,
  ) {
    super('run failed');
  }
}

/**
 * Consumes Vigil events exactly once in effect: each event id is recorded in the inbox table in
 * the same transaction as its effect, and the offset is committed only after that transaction.
 * A redelivered event finds its id in the inbox and is skipped.
 *
 * Events are applied in runs: the messages of one partition that are ready (read ahead, up to
 * `maxRunSize`) go into ONE transaction — their inbox rows in one statement, then the handlers in
 * order (a stretch of consecutive events of one type with an `onRun` handler in one call) — so a
 * backlog costs a few round trips per run instead of several per event. Messages of one partition
 * are applied one run at a time, in order, which keeps per-key order; different partitions are
 * applied side by side (`concurrency`). If a run fails for a reason other than the infrastructure,
 * its events are applied again one by one, each in its own transaction with bounded retries, so
 * that only the event that keeps failing goes to `<topic>.dlq` and it never stalls its partition.
 * Offsets are committed together every `commitIntervalMs` rather than one round trip per run: a
 * commit lost in between only means a redelivery, which the inbox absorbs.
 */
export class EventConsumer {
  private consumer?: Consumer<string, string, string, string>;
  private stream?: MessagesStream<string, string, string, string>;
  private loop?: Promise<void>;
  private stopping = false;
  private readonly maxAttempts: number;
  private readonly concurrency: number;
  private readonly maxBuffered: number;
  private readonly maxRunSize: number;
  private readonly commitIntervalMs: number;
  private readonly inboxConsumer: string;
  /** Each known type's class (see the constructor), and the registrations of each class in order. */
  private readonly classes = new Map<string, string>();
  private readonly classRegistrations = new Map<string, HandlerRegistration[]>();
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
    this.maxBuffered = options.maxBuffered ?? 2048;
    this.maxRunSize = Math.max(1, options.maxRunSize ?? 500);
    this.commitIntervalMs = options.commitIntervalMs ?? 100;
    this.inboxConsumer = options.inboxConsumer ?? options.groupId;
    const all = toRegistrations(options.handlers);
    // Types that one `onRunOf` registration takes together form one class: a stretch of a run is
    // consecutive events of one class (of one type, unless such a registration joins types).
    const parent = new Map<string, string>();
    const root = (type: string): string => {
      if (!parent.has(type)) parent.set(type, type);
      let r = type;
      while (parent.get(r) !== r) r = parent.get(r)!;
      return r;
    };
    for (const registration of all) {
      const types = typesOf(registration);
      for (const type of types) parent.set(root(type), root(types[0]));
    }
    for (const type of parent.keys()) this.classes.set(type, root(type));
    for (const registration of all) {
      const cls = this.classes.get(registration.type)!;
      this.classRegistrations.set(cls, [...(this.classRegistrations.get(cls) ?? []), registration]);
    }
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

  /** Finishes the runs in hand, commits their offsets, leaves the group. */
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
   * Applies the stream's messages: each partition's messages queue up (read ahead, up to
   * `maxBuffered` across partitions) while its run in hand is applied, and become its next run, so
   * runs grow with the backlog and stay single events when there is none. At most `concurrency`
   * runs are applied at once, from different partitions; a partition with more waiting goes to the
   * back of the line after each run, so that one busy partition does not hold the others back.
   * A run whose handling fails outright stops the stream, so the group is rejoined from the
   * committed offsets.
   */
  private async consumeStream(stream: MessagesStream<string, string, string, string>): Promise<void> {
    const queues = new Map<string, StringMessage[]>();
    const scheduled = new Set<string>();
    const inFlight = new Set<Promise<void>>();
    let buffered = 0;
    let failure: { error: unknown } | undefined;
    let wake: (() => void) | undefined;
    const signal = () => {
      const resolve = wake;
      wake = undefined;
      resolve?.();
    };
    const slots = fastq.promise(async (partition: string) => {
      try {
        // Once failed or stopping, what was read ahead is left unapplied (and uncommitted): it is read again.
        if (failure || this.stopping) return;
        // Let the rest of the fetch in hand join the queue first: a backlog becomes one run, not a
        // run of one and then the rest.
        await new Promise<void>((resolve) => setImmediate(resolve));
        if (failure || this.stopping) return;
        const run = (queues.get(partition) ?? []).splice(0, this.maxRunSize);
        if (run.length === 0) return;
        try {
          await this.handleRun(run);
        } finally {
          buffered -= run.length;
        }
      } finally {
        // The read loop may be waiting for room, or for a reason to stop.
        signal();
      }
    }, this.concurrency);
    const schedule = (partition: string) => {
      scheduled.add(partition);
      const task = slots.push(partition).then(
        () => {
          if (!failure && !this.stopping && queues.get(partition)?.length) schedule(partition);
          else scheduled.delete(partition);
        },
        (error: unknown) => {
          failure ??= { error };
          scheduled.delete(partition);
          signal();
        },
      );
      inFlight.add(task);
      void task.finally(() => inFlight.delete(task));
    };
    for await (const message of stream) {
      const partition = `${message.topic}:${message.partition}`;
      let queue = queues.get(partition);
      if (!queue) queues.set(partition, (queue = []));
      queue.push(message);
      buffered += 1;
      if (!scheduled.has(partition)) schedule(partition);
      while (buffered >= this.maxBuffered && !failure && !this.stopping) await new Promise<void>((resolve) => (wake = resolve));
      if (failure || this.stopping) break;
    }
    while (inFlight.size > 0) await Promise.all([...inFlight]);
    if (failure) throw failure.error;
  }

  /**
   * Applies one partition's run of messages, in order: redrives for other groups, unknown types
   * and types without a handler are passed over, a message that breaks its contract goes straight
   * to the DLQ, the rest are applied together. The run's last offset is then due for commit.
   */
  private async handleRun(messages: StringMessage[]): Promise<void> {
    const items: RunItem[] = [];
    for (const message of messages) {
      const headers = Object.fromEntries(message.headers);
      // A dead letter redriven for another consumer group (the DLQ tool): this group applied it, or
      // never had to, when it first came by.
      const redriveFor = headers[RedriveHeaders.forGroup];
      if (redriveFor !== undefined && redriveFor !== this.options.groupId && redriveFor !== this.inboxConsumer) {
        this.processed.add(1, { topic: message.topic, outcome: 'skipped' });
        continue;
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
          continue;
        }
        // A message that breaks its contract will never succeed: straight to the DLQ.
        await this.deadLetter(message, error as Error, 1);
        continue;
      }
      if (!this.classes.has(event.type)) {
        this.processed.add(1, { topic: message.topic, outcome: 'skipped' });
        continue;
      }
      items.push({ message, event, headers });
    }
    if (items.length > 0) await this.apply(items, 0);
    this.markDone(messages[messages.length - 1]);
  }

  /**
   * Applies the items in one transaction, waiting out infrastructure faults. A run of several that
   * fails otherwise is applied again event by event; a single event is retried up to
   * `maxAttempts` (counting `attemptsSoFar`), then parked on the DLQ.
   */
  private async apply(items: RunItem[], attemptsSoFar: number): Promise<void> {
    let attempts = attemptsSoFar;
    let transientFailures = 0;
    for (;;) {
      attempts += 1;
      try {
        const applied = await this.traced(items, () => this.applyRun(items));
        for (const item of items) this.processed.add(1, { topic: item.message.topic, outcome: applied.has(item) ? 'applied' : 'duplicate' });
        return;
      } catch (thrown) {
        const { item: culprit, error } = thrown instanceof RunFailure ? thrown : { item: undefined, error: thrown };
        if (isTransientInfrastructureError(error)) {
          // The database is away: wait for it, however long; the messages are not at fault.
          attempts -= 1;
          transientFailures += 1;
          this.options.logger.warn({ err: error, eventId: items[0].event.id, events: items.length }, 'consumer: infrastructure unavailable, retrying');
          await sleep(backoff(Math.min(transientFailures, 6), 250, 10_000));
          continue;
        }
        if (items.length > 1) {
          // Which event is at fault is known only when an `on` handler threw: its failed attempt
          // counts. Each event gets its own transaction, so the others are applied regardless.
          this.options.logger.warn({ err: error, eventId: culprit?.event.id, events: items.length }, 'consumer: a run failed, applying its events one by one');
          for (const item of items) await this.apply([item], item === culprit ? 1 : 0);
          return;
        }
        if (attempts >= this.maxAttempts) {
          await this.deadLetter(items[0].message, error as Error, attempts);
          return;
        }
        this.options.logger.warn({ err: error, eventId: items[0].event.id, attempts }, 'consumer: handler failed, retrying');
        await sleep(backoff(attempts, 100, 2000));
      }
    }
  }

  /**
   * One transaction: the run's inbox rows in one statement (events already in the inbox, or twice
   * in the run, are dropped), then the handlers in order. Returns the items applied.
   */
  private async applyRun(items: RunItem[]): Promise<Set<RunItem>> {
    const { dataSource, schema } = this.options;
    const afterCommit: Array<() => void> = [];
    const applied = await dataSource.transaction(async (tx) => {
      const inserted: Array<{ event_id: string }> = await tx.query(
        `INSERT INTO "${schema}".inbox (consumer, event_id, event_type, topic, kafka_partition, kafka_offset)
         SELECT $1, * FROM unnest($2::text[], $3::text[], $4::text[], $5::int[], $6::bigint[])
         ON CONFLICT DO NOTHING RETURNING event_id`,
        [
          this.inboxConsumer,
          items.map((i) => i.event.id),
          items.map((i) => i.event.type),
          items.map((i) => i.message.topic),
          items.map((i) => i.message.partition),
          items.map((i) => i.message.offset.toString()),
        ],
      );
      const fresh = new Set(inserted.map((r) => r.event_id));
      const todo: Array<ConsumedEvent & { item: RunItem }> = [];
      for (const item of items) {
        // The first of an id in the run is the one applied.
        if (fresh.delete(item.event.id)) todo.push({ item, event: item.event, meta: metaOf(item, afterCommit) });
      }
      for (let i = 0; i < todo.length; ) {
        const type = todo[i].event.type;
        const cls = this.classes.get(type)!;
        const registrations = this.classRegistrations.get(cls)!;
        if (registrations.every((r) => r.kind === 'event')) {
          for (const r of registrations) if (r.type === type) await handleOne(r, todo[i], tx);
          i += 1;
          continue;
        }
        let end = i + 1;
        while (end < todo.length && this.classes.get(todo[end].event.type) === cls) end += 1;
        const stretch = todo.slice(i, end);
        // A run registration takes the stretch's events of its types at once; consecutive
        // single-event ones take each event of their type, all of them for one event before the next.
        for (let r = 0; r < registrations.length; ) {
          const registration = registrations[r];
          if (registration.kind === 'run') {
            const types = typesOf(registration);
            const mine = stretch.filter((e) => types.includes(e.event.type));
            if (mine.length > 0) {
              await registration.handle(mine, tx).catch((error: unknown) => {
                throw new RunFailure(mine.length === 1 ? mine[0].item : undefined, error);
              });
            }
            r += 1;
            continue;
          }
          let blockEnd = r + 1;
          while (blockEnd < registrations.length && registrations[blockEnd].kind === 'event') blockEnd += 1;
          const block = registrations.slice(r, blockEnd) as Array<HandlerRegistration & { kind: 'event' }>;
          for (const one of stretch) for (const each of block) if (each.type === one.event.type) await handleOne(each, one, tx);
          r = blockEnd;
        }
        i = end;
      }
      return new Set(todo.map((t) => t.item));
    });
    for (const fn of afterCommit) fn();
    return applied;
  }

  /**
   * A consumer span per event, each continuing its producer's trace, open while the run is
   * applied; the run's database work is traced under the first.
   */
  private async traced<T>(items: RunItem[], fn: () => Promise<T>): Promise<T> {
    const spans = items.map((item) =>
      tracer().startSpan(
        `${item.message.topic} process`,
        {
          kind: SpanKind.CONSUMER,
          attributes: {
            'messaging.system': 'kafka',
            'messaging.destination.name': item.message.topic,
            'messaging.consumer.group.name': this.options.groupId,
            'messaging.kafka.offset': Number(item.message.offset),
            'messaging.destination.partition.id': String(item.message.partition),
            'messaging.message.id': item.event.id,
            'messaging.batch.message_count': items.length,
            'cloudevents.event_type': item.event.type,
          },
        },
        contextFromHeaders(item.headers),
      ),
    );
    try {
      return await context.with(trace.setSpan(contextFromHeaders(items[0].headers), spans[0]), fn);
    } catch (error) {
      const cause = error instanceof RunFailure ? error.error : error;
      for (const span of spans) {
        span.recordException(cause as Error);
        span.setStatus({ code: SpanStatusCode.ERROR, message: (cause as Error).message });
      }
      throw error;
    } finally {
      for (const span of spans) span.end();
    }
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
  }
}

async function handleOne(registration: HandlerRegistration & { kind: 'event' }, one: ConsumedEvent & { item: RunItem }, tx: EntityManager): Promise<void> {
  try {
    await registration.handle(one.event, tx, one.meta);
  } catch (error) {
    throw new RunFailure(one.item, error);
  }
}

function metaOf(item: RunItem, afterCommit: Array<() => void>): EventMeta {
  const { event, message } = item;
  return {
    id: event.id,
    type: event.type,
    source: event.source,
    time: event.time,
    subject: event.subject,
    topic: message.topic,
    partition: message.partition,
    offset: message.offset.toString(),
    afterCommit: (fn) => afterCommit.push(fn),
  };
}
