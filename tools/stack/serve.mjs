// Runs one piece of the local stack in the foreground until SIGTERM/SIGINT, or provisions:
//   node tools/stack/serve.mjs postgres --data-dir DIR --port N [--fresh]
//   node tools/stack/serve.mjs kafka --data-dir DIR --port N --controller-port N [--fresh]
//   node tools/stack/serve.mjs provision --database-url URL --brokers HOST:PORT [--partitions N]
//   node tools/stack/serve.mjs topics --brokers HOST:PORT [--partitions N]   (the topics alone)
// Prints one line `ready <JSON>` when up (or done). Used by tests that stop and restart a
// dependency on purpose, and handy for running the infrastructure alone.
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startKafka } from './kafka.mjs';
import { startPostgres } from './postgres.mjs';
import { provisionDatabase, provisionKafkaTopics, root, SERVICES } from './provision.mjs';

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: {
    'data-dir': { type: 'string' },
    port: { type: 'string' },
    'controller-port': { type: 'string' },
    fresh: { type: 'boolean', default: false },
    'database-url': { type: 'string' },
    brokers: { type: 'string' },
    partitions: { type: 'string', default: '1' },
  },
});

async function main() {
  const what = positionals[0];
  let server;
  if (what === 'postgres') {
    server = await startPostgres({ dataDir: values['data-dir'], port: Number(values.port), fresh: values.fresh });
    console.log(`ready ${JSON.stringify({ url: server.url })}`);
  } else if (what === 'kafka') {
    server = await startKafka({
      cacheDir: join(root, '.cache', 'kafka'),
      dataDir: values['data-dir'],
      port: Number(values.port),
      controllerPort: Number(values['controller-port']),
      logFile: join(values['data-dir'], '..', 'kafka.log'),
      fresh: values.fresh,
    });
    console.log(`ready ${JSON.stringify({ brokers: server.brokers })}`);
  } else if (what === 'provision') {
    const passwords = Object.fromEntries(SERVICES.map((s) => [s, `local-${s}-password`]));
    const urls = await provisionDatabase(values['database-url'], passwords);
    await provisionKafkaTopics(values.brokers, { partitions: Number(values.partitions), replicationFactor: 1, minInsyncReplicas: 1 });
    console.log(`ready ${JSON.stringify({ urls })}`);
    return;
  } else if (what === 'topics') {
    await provisionKafkaTopics(values.brokers, { partitions: Number(values.partitions), replicationFactor: 1, minInsyncReplicas: 1 });
    console.log(`ready ${JSON.stringify({ brokers: values.brokers })}`);
    return;
  } else {
    throw new Error(`usage: serve.mjs postgres|kafka|provision|topics …`);
  }
  const stop = async () => {
    await server.stop();
    process.exit(0);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((error) => {
  console.error(error.message);
  process.exit(1);
});
