import { Consumer, stringDeserializers } from '@platformatic/kafka';
import { CloudEventHeaders, deadLetterTopicOf } from '@vigil/contracts';
import { randomUUID } from 'node:crypto';
import { connectionOptions, type KafkaSettings, type StringProducer } from './kafka';

/** Headers the consumer puts on a dead letter, beside the message's own. */
export const DlqHeaders = {
  error: 'vigil-dlq-error',
  errorClass: 'vigil-dlq-error-class',
  originalTopic: 'vigil-dlq-original-topic',
  originalPartition: 'vigil-dlq-original-partition',
  originalOffset: 'vigil-dlq-original-offset',
  consumerGroup: 'vigil-dlq-consumer-group',
  attempts: 'vigil-dlq-attempts',
  at: 'vigil-dlq-at',
} as const;

/** Headers of a message redriven from a DLQ to its original topic. */
export const RedriveHeaders = {
  /**
   * The consumer group that dead-lettered it: only that group applies the copy. Every other group
   * on the topic handled the original already, and may have pruned its inbox record of it since
   * (docs/architecture.md, "Housekeeping"), so for them the copy would be a second delivery.
   */
  forGroup: 'vigil-redrive-for-group',
  /** `<dlq topic>:<partition>:<offset>` of the dead letter. */
  of: 'vigil-redrive-of',
  at: 'vigil-redrive-at',
} as const;

/**
 * A record on the DLQ topic itself saying that the dead letter at `<partition>:<offset>` of that
 * topic has been redriven. Kept next to the dead letters (same topic, same retention), so that the
 * tool needs nothing but Kafka and a second redrive of the same dead letter does nothing.
 */
export const REDRIVE_MARKER_HEADER = 'vigil-dlq-redriven';

export interface DeadLetter {
  dlqTopic: string;
  partition: number;
  offset: string;
  key: string | undefined;
  value: string | undefined;
  headers: Record<string, string>;
  originalTopic: string;
  originalPartition?: number;
  originalOffset?: string;
  consumerGroup?: string;
  eventId?: string;
  eventType?: string;
  error: string;
  errorClass?: string;
  attempts?: number;
  deadLetteredAt?: string;
  /** Set when the dead letter has been redriven (by the marker on the DLQ topic). */
  redriven?: { at: string; to?: { topic: string; partition: number; offset: string } };
}

interface RawRecord {
  partition: number;
  offset: bigint;
  key: string | undefined;
  value: string | undefined;
  headers: Record<string, string>;
}

/** The DLQ topic of `topic`, which may name either (`vigil.alerts.v1` or `vigil.alerts.v1.dlq`). */
export function dlqTopicFor(topic: string): string {
  return topic.endsWith('.dlq') ? topic : deadLetterTopicOf(topic);
}

/**
 * Reads a DLQ topic from its start to its end as it is when called (records appended meanwhile
 * are left for the next call), and returns its dead letters in partition and offset order, each
 * marked when it has been redriven.
 */
export async function readDeadLetters(settings: KafkaSettings, topic: string, timeoutMs = 60_000): Promise<DeadLetter[]> {
  const dlqTopic = dlqTopicFor(topic);
  const records = await readWholeTopic(settings, dlqTopic, timeoutMs);
  const markers = new Map<string, DeadLetter['redriven']>();
  const letters: DeadLetter[] = [];
  for (const record of records) {
    const marks = record.headers[REDRIVE_MARKER_HEADER];
    if (marks !== undefined) {
      let to: { topic: string; partition: number; offset: string } | undefined;
      try {
        to = (JSON.parse(record.value ?? '{}') as { to?: typeof to }).to;
      } catch {
        to = undefined;
      }
      markers.set(marks, { at: record.headers[RedriveHeaders.at] ?? '', to });
      continue;
    }
    letters.push(toDeadLetter(dlqTopic, record));
  }
  for (const letter of letters) letter.redriven = markers.get(`${letter.partition}:${letter.offset}`);
  return letters.sort((a, b) => a.partition - b.partition || Number(BigInt(a.offset) - BigInt(b.offset)));
}

function toDeadLetter(dlqTopic: string, record: RawRecord): DeadLetter {
  const h = record.headers;
  const number = (value: string | undefined) => (value === undefined || value === '' || Number.isNaN(Number(value)) ? undefined : Number(value));
  return {
    dlqTopic,
    partition: record.partition,
    offset: record.offset.toString(),
    key: record.key,
    value: record.value,
    headers: h,
    originalTopic: h[DlqHeaders.originalTopic] ?? dlqTopic.replace(/\.dlq$/, ''),
    originalPartition: number(h[DlqHeaders.originalPartition]),
    originalOffset: h[DlqHeaders.originalOffset],
    consumerGroup: h[DlqHeaders.consumerGroup],
    eventId: h[CloudEventHeaders.id],
    eventType: h[CloudEventHeaders.type],
    error: h[DlqHeaders.error] ?? '',
    errorClass: h[DlqHeaders.errorClass],
    attempts: number(h[DlqHeaders.attempts]),
    deadLetteredAt: h[DlqHeaders.at],
  };
}

export interface RedriveResult {
  letter: DeadLetter;
  outcome: 'redriven' | 'already_redriven';
  to?: { topic: string; partition: number; offset: string };
}

/**
 * Republishes dead letters to their original topic, with their original key and headers (without
 * the `vigil-dlq-*` ones) and a header that addresses the copy to the consumer group that
 * dead-lettered it; then records the redrive on the DLQ topic. A dead letter already redriven is
 * left alone. A redrive interrupted between the two writes may republish once more on the next
 * run, which the group's inbox absorbs.
 */
export async function redriveDeadLetters(producer: StringProducer, letters: DeadLetter[], now: () => Date = () => new Date()): Promise<RedriveResult[]> {
  const results: RedriveResult[] = [];
  for (const letter of letters) {
    if (letter.redriven) {
      results.push({ letter, outcome: 'already_redriven', to: letter.redriven.to });
      continue;
    }
    const at = now().toISOString();
    const headers: Record<string, string> = Object.fromEntries(
      Object.entries(letter.headers).filter(([name]) => !name.startsWith('vigil-dlq-') && !name.startsWith('vigil-redrive-')),
    );
    headers[RedriveHeaders.of] = `${letter.dlqTopic}:${letter.partition}:${letter.offset}`;
    headers[RedriveHeaders.at] = at;
    if (letter.consumerGroup) headers[RedriveHeaders.forGroup] = letter.consumerGroup;
    const sent = await producer.send({ messages: [{ topic: letter.originalTopic, key: letter.key, value: letter.value, headers }] });
    const written = sent.offsets?.find((o) => o.topic === letter.originalTopic);
    const to = written ? { topic: written.topic, partition: written.partition, offset: written.offset.toString() } : undefined;
    await producer.send({
      messages: [
        {
          topic: letter.dlqTopic,
          partition: letter.partition,
          key: letter.key,
          value: JSON.stringify({ redriven: { partition: letter.partition, offset: letter.offset }, to }),
          headers: { [REDRIVE_MARKER_HEADER]: `${letter.partition}:${letter.offset}`, [RedriveHeaders.at]: at },
        },
      ],
    });
    letter.redriven = { at, to };
    results.push({ letter, outcome: 'redriven', to });
  }
  return results;
}

/** Every record of `topic` up to its end offsets at the time of the call. */
async function readWholeTopic(settings: KafkaSettings, topic: string, timeoutMs: number): Promise<RawRecord[]> {
  const consumer = new Consumer({
    clientId: `${settings.clientId}-dlq-reader`,
    ...connectionOptions(settings),
    // A group of its own that commits nothing: reading a DLQ moves no one's offsets.
    groupId: `${settings.clientId}-dlq-reader-${randomUUID()}`,
    deserializers: stringDeserializers,
    autocommit: false,
    maxWaitTime: 200,
    retries: 3,
  });
  try {
    const [starts, ends] = await Promise.all([
      consumer.listOffsets({ topics: [topic], timestamp: -2n }),
      consumer.listOffsets({ topics: [topic], timestamp: -1n }),
    ]);
    const start = starts.get(topic) ?? [];
    const end = ends.get(topic) ?? [];
    const pending = new Map<number, bigint>(); // partition → its end offset, still to be reached
    end.forEach((offset, partition) => {
      if (offset > (start[partition] ?? 0n)) pending.set(partition, offset);
    });
    if (pending.size === 0) return [];
    const stream = await consumer.consume({ topics: [topic], mode: 'earliest' });
    const records: RawRecord[] = [];
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`${topic}: not read to its end within ${timeoutMs} ms`)), timeoutMs);
        stream.on('data', (m) => {
          const until = pending.get(m.partition);
          if (until === undefined || m.offset >= until) return;
          records.push({
            partition: m.partition,
            offset: m.offset,
            key: m.key === null || m.key === undefined ? undefined : m.key,
            value: m.value === null || m.value === undefined ? undefined : m.value,
            headers: Object.fromEntries(m.headers),
          });
          if (m.offset >= until - 1n) pending.delete(m.partition);
          if (pending.size === 0) {
            clearTimeout(timer);
            resolve();
          }
        });
        stream.on('error', (error) => {
          clearTimeout(timer);
          reject(error);
        });
      });
    } finally {
      await stream.close().catch(() => undefined);
    }
    return records;
  } finally {
    await consumer.close(true).catch(() => undefined);
  }
}
