#!/usr/bin/env node
// Provisioning steps of the Helm migrations hook (and of compose), run from any Vigil image:
//
//   node deploy/docker/provision.cjs topics     creates the missing Kafka topics and their
//                                               dead-letter topics, and sets the dead-letter topics'
//                                               retention; reads KAFKA_BROKERS,
//                                               KAFKA_TOPIC_PARTITIONS, KAFKA_REPLICATION_FACTOR,
//                                               KAFKA_MIN_INSYNC_REPLICAS, KAFKA_DLQ_RETENTION_MS
//                                               (validated as the services do)
//   node deploy/docker/provision.cjs database   creates (or updates) each service's login role and
//                                               schema; reads DATABASE_ADMIN_URL and, for each
//                                               service, <SERVICE>_DATABASE_URL (role and password
//                                               are taken from that URL, the schema is the service)
//
// It uses the compiled libraries (dist/), the same code as `npm start` and the services.
'use strict';
const { join } = require('node:path');

const dist = (path) => require(join(__dirname, '..', '..', 'dist', path));
const SERVICES = ['intake', 'triage', 'tasking', 'comms', 'reporting'];
const say = (msg) => process.stdout.write(`${JSON.stringify({ level: 'info', time: new Date().toISOString(), service: 'provision', msg })}\n`);

async function topics() {
  const { BaseConfig, parseConfig } = dist('libs/platform/src/config.js');
  const { createAdmin, provisionTopics, vigilTopics } = dist('libs/messaging/src/kafka.js');
  const { kafkaSettingsOf } = dist('libs/platform/src/runtime.js');
  const schema = BaseConfig.pick({
    KAFKA_BROKERS: true,
    KAFKA_CLIENT_ID: true,
    KAFKA_TLS: true,
    KAFKA_SASL_MECHANISM: true,
    KAFKA_SASL_USERNAME: true,
    KAFKA_SASL_PASSWORD: true,
    KAFKA_TOPIC_PARTITIONS: true,
    KAFKA_REPLICATION_FACTOR: true,
    KAFKA_MIN_INSYNC_REPLICAS: true,
    KAFKA_DLQ_RETENTION_MS: true,
  });
  const config = parseConfig('provision', schema);
  const admin = createAdmin(kafkaSettingsOf(config, 'vigil-provision'));
  try {
    const settings = {
      partitions: config.KAFKA_TOPIC_PARTITIONS,
      replicationFactor: config.KAFKA_REPLICATION_FACTOR,
      minInsyncReplicas: config.KAFKA_MIN_INSYNC_REPLICAS,
      deadLetterRetentionMs: config.KAFKA_DLQ_RETENTION_MS,
    };
    const created = await provisionTopics(admin, vigilTopics(), settings);
    say(created.length ? `created topics ${created.join(', ')} (${JSON.stringify(settings)})` : 'every topic exists already');
  } finally {
    await admin.close();
  }
}

async function database() {
  const { provisionServiceDatabase } = dist('libs/platform/src/persistence.js');
  const problems = [];
  const adminUrl = process.env.DATABASE_ADMIN_URL;
  if (!adminUrl) problems.push('DATABASE_ADMIN_URL: is required but not set');
  const roles = [];
  for (const service of SERVICES) {
    const name = `${service.toUpperCase()}_DATABASE_URL`;
    const value = process.env[name];
    if (!value) {
      problems.push(`${name}: is required but not set`);
      continue;
    }
    try {
      const url = new URL(value);
      if (!url.username || !url.password) throw new Error('no user or password');
      roles.push({ schema: service, role: decodeURIComponent(url.username), password: decodeURIComponent(url.password) });
    } catch {
      problems.push(`${name}: must be a postgres:// URL with the service's user and password`);
    }
  }
  if (problems.length) throw new Error(`invalid configuration\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  await provisionServiceDatabase(adminUrl, roles);
  say(`roles and schemas ready: ${roles.map((r) => `${r.role} → ${r.schema}`).join(', ')}`);
}

const steps = { topics, database };
const step = steps[process.argv[2]];
if (!step) {
  process.stderr.write(`usage: provision.cjs ${Object.keys(steps).join('|')}\n`);
  process.exit(2);
}
step().then(
  () => process.exit(0),
  (error) => {
    process.stderr.write(`vigil provision ${process.argv[2]}: ${error.message}\n`);
    process.exit(1);
  },
);
