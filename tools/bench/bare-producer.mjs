// The ceiling for intake: a bare Fastify route that only produces each alert to Kafka (same
// producer settings as intake's relay: idempotent, acks=all) and answers 202. No validation, no
// database. Started by tools/bench/intake.mjs as its own process.
import { Producer, stringSerializers } from '@platformatic/kafka';
import Fastify from 'fastify';
import { randomUUID } from 'node:crypto';

const [port, brokers] = [Number(process.env.PORT), process.env.KAFKA_BROKERS.split(',')];
const producer = new Producer({ clientId: 'bench-bare', bootstrapBrokers: brokers, serializers: stringSerializers, idempotent: true, acks: -1, autocreateTopics: false });
const app = Fastify({ logger: false, bodyLimit: 16 * 1024 * 1024 });
const send = (alerts) =>
  producer.send({ messages: alerts.map((a) => ({ topic: 'vigil.alerts.v1', key: a.dedupKey ?? randomUUID(), value: JSON.stringify(a) })) });
app.post('/v1/alerts', async (req, reply) => {
  await send([req.body]);
  reply.code(202);
  return { status: 'accepted' };
});
app.post('/v1/alerts::batch', async (req, reply) => {
  await send(req.body.alerts);
  reply.code(202);
  return { accepted: req.body.alerts.length };
});
await app.listen({ port, host: '127.0.0.1' });
process.on('SIGTERM', async () => {
  await app.close();
  await producer.close();
  process.exit(0);
});
