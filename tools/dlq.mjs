// `npm run dlq`: lists and redrives dead letters (messages a consumer gave up on, parked on
// `<topic>.dlq` with the error).
//
//   npm run dlq -- list [--topic vigil.alerts.v1] [--json]
//   npm run dlq -- redrive --topic vigil.alerts.v1 (--event-id <ce_id> | --all) [--json]
//
// `list` prints every dead letter of one topic (or of every Vigil topic): where it came from, the
// event, the error, the attempts, when, and whether it has been redriven. `redrive` republishes
// dead letters to their original topic with their original key and headers, for the consumer
// group that gave up on them only, and records each redrive on the DLQ topic, so that a second
// redrive of the same dead letter does nothing. Fix the cause first (deploy the fix, or bring back
// what was missing): a redriven message that fails again is dead-lettered again.
//
// Kafka: KAFKA_BROKERS (default: the local stack of `npm start`, 127.0.0.1:VIGIL_KAFKA_PORT),
// KAFKA_TLS, KAFKA_SASL_MECHANISM, KAFKA_SASL_USERNAME, KAFKA_SASL_PASSWORD, as the services read them.
// Exit codes: 0 done, 1 nothing matched, 2 usage or connection error.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { build } from './build.mjs';
import { root } from './stack/provision.mjs';

const require = createRequire(import.meta.url);
const usage = `usage: npm run dlq -- list [--topic <topic>] [--json]
       npm run dlq -- redrive --topic <topic> (--event-id <id> | --all) [--json]`;

function fail(message, code = 2) {
  console.error(`dlq: ${message}`);
  process.exit(code);
}

let parsed;
try {
  parsed = parseArgs({
    allowPositionals: true,
    options: { topic: { type: 'string' }, 'event-id': { type: 'string' }, all: { type: 'boolean', default: false }, json: { type: 'boolean', default: false } },
  });
} catch (error) {
  fail(`${error.message}\n${usage}`);
}
const { positionals, values } = parsed;
const command = positionals[0];
if (!['list', 'redrive'].includes(command) || positionals.length > 1) fail(usage);
if (command === 'redrive') {
  if (!values.topic) fail(`redrive needs --topic\n${usage}`);
  if (values.all === (values['event-id'] !== undefined)) fail(`redrive needs either --event-id or --all\n${usage}`);
}

if (!existsSync(join(root, 'dist', 'libs', 'messaging', 'src', 'dead-letters.js'))) await build({ quiet: true });
const dist = (path) => require(join(root, 'dist', path));
const { BaseConfig, parseConfig } = dist('libs/platform/src/config.js');
const { kafkaSettingsOf } = dist('libs/platform/src/runtime.js');
const { createProducer, vigilTopics, readDeadLetters, redriveDeadLetters, dlqTopicFor } = dist('libs/messaging/src/index.js');

let config;
try {
  const env = { ...process.env, KAFKA_BROKERS: process.env.KAFKA_BROKERS || `127.0.0.1:${process.env.VIGIL_KAFKA_PORT || 7492}` };
  config = parseConfig(
    'dlq',
    BaseConfig.pick({ KAFKA_BROKERS: true, KAFKA_CLIENT_ID: true, KAFKA_TLS: true, KAFKA_SASL_MECHANISM: true, KAFKA_SASL_USERNAME: true, KAFKA_SASL_PASSWORD: true }),
    env,
  );
} catch (error) {
  fail(error.message);
}
const settings = kafkaSettingsOf(config, 'vigil-dlq');

const topics = values.topic ? [dlqTopicFor(values.topic)] : vigilTopics().filter((t) => t.endsWith('.dlq'));

async function read(topic) {
  try {
    return await readDeadLetters(settings, topic);
  } catch (error) {
    fail(`cannot read ${topic} from ${config.KAFKA_BROKERS.join(',')} (${error.message}); is Kafka running, or is KAFKA_BROKERS set?`);
  }
}

const summary = (l) => ({
  dlqTopic: l.dlqTopic,
  partition: l.partition,
  offset: l.offset,
  topic: l.originalTopic,
  originalPartition: l.originalPartition,
  originalOffset: l.originalOffset,
  consumerGroup: l.consumerGroup,
  eventId: l.eventId,
  eventType: l.eventType,
  key: l.key,
  error: l.error,
  errorClass: l.errorClass,
  attempts: l.attempts,
  deadLetteredAt: l.deadLetteredAt,
  redriven: l.redriven ?? null,
});

function printLetter(l) {
  const where = `${l.dlqTopic} ${l.partition}:${l.offset}`;
  const from = `from ${l.originalTopic} ${l.originalPartition ?? '?'}:${l.originalOffset ?? '?'}`;
  const state = l.redriven ? `  redriven ${l.redriven.at}` : '';
  console.log(`${where}  ${from}  group ${l.consumerGroup ?? '?'}  event ${l.eventId ?? '?'} ${l.eventType ?? '?'}  attempts ${l.attempts ?? '?'}  at ${l.deadLetteredAt ?? '?'}${state}`);
  console.log(`  error (${l.errorClass ?? '?'}): ${l.error}`);
}

if (command === 'list') {
  let count = 0;
  for (const topic of topics) {
    for (const letter of await read(topic)) {
      count += 1;
      if (values.json) console.log(JSON.stringify(summary(letter)));
      else printLetter(letter);
    }
  }
  if (!values.json) console.log(`${count} dead letter(s) in ${topics.join(', ')}`);
  process.exit(0);
}

// redrive
const letters = (await read(topics[0])).filter((l) => values.all || l.eventId === values['event-id']);
if (letters.length === 0) fail(values.all ? `${topics[0]} holds no dead letters` : `no dead letter of event ${values['event-id']} in ${topics[0]}`, 1);
const producer = createProducer(settings);
try {
  for (const { letter, outcome, to } of await redriveDeadLetters(producer, letters)) {
    if (values.json) console.log(JSON.stringify({ ...summary(letter), outcome, to: to ?? null }));
    else {
      const target = to ? `${to.topic} ${to.partition}:${to.offset}` : letter.originalTopic;
      const verb = outcome === 'redriven' ? 'redriven to' : 'already redriven to';
      console.log(`${letter.dlqTopic} ${letter.partition}:${letter.offset}  event ${letter.eventId ?? '?'}  ${verb} ${target}  for group ${letter.consumerGroup ?? '(every group)'}`);
    }
  }
} catch (error) {
  fail(`redrive failed (${error.message}); what was redriven before it is recorded, run it again`);
} finally {
  await producer.close().catch(() => undefined);
}
process.exit(0);
