// A real, single-node Apache Kafka 4.x broker (KRaft, broker+controller in one
// JVM) for local development and tests, with nothing installed by hand: the
// broker jars come from Maven Central (via `mvn`, once) and run on the `java`
// already on the machine. No Docker, no Kafka distribution tarball.
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { assertPortFree } from './ports.mjs';
import { reapWithParent, sleep, tailFile, waitExit } from './proc.mjs';

// Tried in order when no version is asked for. 4.2 is the newest line that our
// client, @platformatic/kafka, is tested against (3.5–4.2); all are built for
// Java 17 (class files v61), which is checked after download (see fetchJars).
const KAFKA_VERSIONS = ['4.2.2', '4.1.1'];
// The kafka_2.13 POM brings slf4j-api 1.7 but no logging backend. Kafka 4 ships
// log4j2 with the slf4j-1.x binding (log4j-slf4j-impl) in its distribution.
const LOG4J_VERSION = '2.24.3';
const DEP_PLUGIN = 'org.apache.maven.plugins:maven-dependency-plugin:3.8.1';

// Fast start and a small footprint on a 2-core box: the serial GC and a C1-only
// JIT (TieredStopAtLevel=1) burn much less CPU at start-up, at some cost in peak
// throughput that a dev/test broker does not need. Override with `jvmArgs`.
const DEFAULT_JVM_ARGS = [
  '-Xms128m', '-Xmx512m', '-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1',
  '-XX:+ExitOnOutOfMemoryError', '-Djava.awt.headless=true',
];

const javaBin = () => (process.env.JAVA_HOME ? path.join(process.env.JAVA_HOME, 'bin', 'java') : 'java');

/** Run a command, collecting stdout+stderr. Rejects only if it cannot be started. */
function run(cmd, args, opts = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { ...opts, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
  });
}

async function checkJava() {
  const help =
    'Kafka needs Java 17 or newer. On Debian/Ubuntu: `apt-get install openjdk-17-jre-headless` ' +
    '(or set JAVA_HOME to a JDK/JRE 17+). Or set KAFKA_BROKERS=host:port to use an existing broker.';
  let res;
  try {
    res = await run(javaBin(), ['-version']);
  } catch {
    throw new Error(`'${javaBin()}' was not found. ${help}`);
  }
  const m = /version "(\d+)(?:\.(\d+))?/.exec(res.output);
  const major = !m ? 0 : m[1] === '1' ? Number(m[2]) : Number(m[1]); // "1.8.0" → 8
  if (major < 17) throw new Error(`found ${res.output.split('\n')[0] || 'an unknown Java'}. ${help}`);
}

const hasJars = (lib) => fs.existsSync(lib) && fs.readdirSync(lib).some((f) => f.endsWith('.jar'));
const classpathOf = (lib) => path.join(lib, '*'); // the JVM expands "dir/*" to every jar in dir

const pomXml = (version) => `<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>local.vigil</groupId><artifactId>kafka-broker-runtime</artifactId><version>1</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka_2.13</artifactId><version>${version}</version></dependency>
    <dependency><groupId>org.apache.logging.log4j</groupId><artifactId>log4j-core</artifactId><version>${LOG4J_VERSION}</version></dependency>
    <dependency><groupId>org.apache.logging.log4j</groupId><artifactId>log4j-slf4j-impl</artifactId><version>${LOG4J_VERSION}</version></dependency>
  </dependencies>
</project>
`;

// WARN and above only, plus the one INFO line saying the broker is up. It goes
// to the JVM's stdout, which startKafka redirects into logFile (never to the
// terminal). status="ERROR" silences log4j's own chatter.
const LOG4J2_XML = `<?xml version="1.0" encoding="UTF-8"?>
<Configuration status="ERROR">
  <Appenders>
    <Console name="out" target="SYSTEM_OUT"><PatternLayout pattern="[%d] %p %m (%c)%n"/></Console>
  </Appenders>
  <Loggers>
    <Logger name="kafka.server.KafkaRaftServer" level="INFO"/>
    <Root level="WARN"><AppenderRef ref="out"/></Root>
  </Loggers>
</Configuration>
`;

async function fetchJars(cacheDir, version) {
  const lib = path.join(cacheDir, version, 'lib');
  // Download next to the final place and rename at the end, so a half-finished
  // download is never mistaken for a cache hit (and parallel runs don't clash).
  const partial = `${lib}.partial-${process.pid}-${crypto.randomBytes(4).toString('hex')}`;
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-kafka-pom-'));
  fs.writeFileSync(path.join(work, 'pom.xml'), pomXml(version));
  console.log(`[kafka] fetching Kafka ${version} jars from Maven Central (first run only)…`);
  const t0 = Date.now();
  const secs = () => Math.round((Date.now() - t0) / 1000);
  const ticker = setInterval(() => console.log(`[kafka] …still fetching (${secs()} s)`), 15_000);
  try {
    const args = ['-q', '-B', `${DEP_PLUGIN}:copy-dependencies`, `-DoutputDirectory=${partial}`, '-DincludeScope=runtime'];
    const res = await run('mvn', args, { cwd: work }).catch(() => {
      throw new Error('Maven (`mvn`) is needed once to fetch the Kafka jars: `apt-get install maven`, or set KAFKA_BROKERS to use an existing broker.');
    });
    if (res.code !== 0) {
      const text = res.output.replace(/\x1b\[[0-9;]*m/g, ''); // Maven 3.8 prints colour codes even with -B
      throw new Error(`mvn failed (exit ${res.code}):\n${text.slice(-3000)}`);
    }
    // A future Kafka may need a newer Java: make sure this JVM can load it.
    const check = await run(javaBin(), ['-cp', classpathOf(partial), 'kafka.tools.StorageTool', 'random-uuid']);
    if (check.code !== 0) throw new Error(`Kafka ${version} does not run on this Java:\n${check.output.slice(0, 1000)}`);
    try {
      fs.renameSync(partial, lib);
    } catch (e) {
      if (!hasJars(lib)) throw e; // otherwise a parallel run won the race: use its copy
    }
  } finally {
    clearInterval(ticker);
    fs.rmSync(work, { recursive: true, force: true });
    fs.rmSync(partial, { recursive: true, force: true });
  }
  console.log(`[kafka] Kafka ${version} jars cached in ${lib} (${secs()} s)`);
  return classpathOf(lib);
}

/**
 * Make sure the broker jars are in `cacheDir/<version>/lib` (downloading them
 * once with Maven) and return a Java classpath for them. Without `version`, the
 * newest entry of KAFKA_VERSIONS that is cached, or else that resolves and runs
 * on this Java, is used.
 */
export async function ensureKafkaJars({ cacheDir, version } = {}) {
  if (!cacheDir) throw new Error('ensureKafkaJars: cacheDir is required');
  await checkJava();
  fs.mkdirSync(cacheDir, { recursive: true });
  fs.writeFileSync(path.join(cacheDir, 'log4j2.xml'), LOG4J2_XML);
  const candidates = version ? [version] : KAFKA_VERSIONS;
  for (const v of candidates) {
    const lib = path.join(cacheDir, v, 'lib');
    if (hasJars(lib)) return classpathOf(lib);
  }
  const failures = [];
  for (const [i, v] of candidates.entries()) {
    try {
      return await fetchJars(cacheDir, v);
    } catch (e) {
      if (/`mvn`/.test(e.message)) throw e; // no Maven: no point trying other versions
      failures.push(`Kafka ${v}: ${e.message}`);
      if (i + 1 < candidates.length) console.log(`[kafka] Kafka ${v} unusable here, trying ${candidates[i + 1]}`);
    }
  }
  throw new Error(`could not get Kafka jars:\n${failures.join('\n\n')}`);
}

function serverProperties({ port, controllerPort, logDirs, extraProps }) {
  const props = {
    'node.id': 1,
    'process.roles': 'broker,controller',
    'controller.quorum.bootstrap.servers': `127.0.0.1:${controllerPort}`,
    'controller.listener.names': 'CONTROLLER',
    listeners: `PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort}`,
    'advertised.listeners': `PLAINTEXT://127.0.0.1:${port}`,
    'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
    'inter.broker.listener.name': 'PLAINTEXT',
    'log.dirs': logDirs.replaceAll('\\', '/'),
    // Topics are created explicitly by the code, never by a typo in a topic name.
    'auto.create.topics.enable': false,
    'num.partitions': 1,
    // One node: every internal topic must live with a single replica.
    'offsets.topic.replication.factor': 1,
    'transaction.state.log.replication.factor': 1,
    'transaction.state.log.min.isr': 1,
    'share.coordinator.state.topic.replication.factor': 1,
    'share.coordinator.state.topic.min.isr': 1,
    // Internal topics default to 50 partitions each: fewer files, faster first use.
    'offsets.topic.num.partitions': 5,
    'transaction.state.log.num.partitions': 5,
    'share.coordinator.state.topic.num.partitions': 5,
    'group.initial.rebalance.delay.ms': 0,
    // Small thread pools for a 2-core box; the log cleaner's dedupe buffer
    // (default 128 MiB, taken from the heap at start) shrunk to 16 MiB.
    'num.network.threads': 2,
    'num.io.threads': 2,
    'background.threads': 2,
    'num.recovery.threads.per.data.dir': 1,
    'log.cleaner.dedupe.buffer.size': 16 * 1024 * 1024,
    ...extraProps,
  };
  return Object.entries(props).map(([k, v]) => `${k}=${v}`).join('\n') + '\n';
}

/** Kafka cluster ids are 16 random bytes in URL-safe base64 (22 chars). */
function newClusterId() {
  let id;
  do id = crypto.randomBytes(16).toString('base64url');
  while (id.startsWith('-')); // would look like a command-line option
  return id;
}

/**
 * Cheapest real "are you serving?" check, with no client library: send a
 * Metadata v4 request (the oldest version Kafka 4 still accepts) and require a
 * response that lists at least one broker.
 */
function brokerAnswers(port) {
  return new Promise((resolve) => {
    const sock = net.connect({ host: '127.0.0.1', port });
    const done = (ok) => {
      sock.destroy();
      resolve(ok);
    };
    sock.setTimeout(2000, () => done(false));
    sock.on('error', () => done(false));
    sock.on('end', () => done(false));
    const clientId = Buffer.from('vigil-stack');
    // header v1: api_key=3 (Metadata), api_version=4, correlation_id, client_id;
    // body: topics = [] (none), allow_auto_topic_creation = false
    const req = Buffer.alloc(4 + 2 + 2 + 4 + 2 + clientId.length + 4 + 1);
    let o = req.writeInt32BE(req.length - 4, 0);
    o = req.writeInt16BE(3, o);
    o = req.writeInt16BE(4, o);
    o = req.writeInt32BE(42, o);
    o = req.writeInt16BE(clientId.length, o);
    o += clientId.copy(req, o);
    req.writeInt32BE(0, o); // the final byte (false) is already 0
    sock.on('connect', () => sock.write(req));
    let buf = Buffer.alloc(0);
    sock.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      if (buf.length < 16) return;
      // response: size, correlation_id, throttle_time_ms, brokers array length
      done(buf.readInt32BE(4) === 42 && buf.readInt32BE(12) > 0);
    });
  });
}

/**
 * Start a single-node KRaft Kafka broker on 127.0.0.1:`port` (controller on
 * `controllerPort`), with data in `dataDir` (wiped first when `fresh`) and all
 * output in `logFile`. Resolves once the broker answers Metadata requests.
 *
 * Optional: `version` (see ensureKafkaJars), `jvmArgs`, `extraProps` (merged
 * into server.properties), `timeoutMs` (default 90 s).
 */
export async function startKafka({
  cacheDir, dataDir, port, controllerPort, logFile, fresh = false,
  version, jvmArgs = DEFAULT_JVM_ARGS, extraProps = {}, timeoutMs = 90_000,
}) {
  await checkJava();
  const useExisting = 'or set KAFKA_BROKERS=host:port to use a broker that is already running';
  await assertPortFree(port, `set VIGIL_KAFKA_PORT to another port, ${useExisting}`);
  await assertPortFree(controllerPort, `set VIGIL_KAFKA_CONTROLLER_PORT to another port, ${useExisting}`);
  const classpath = await ensureKafkaJars({ cacheDir, version });

  if (fresh) fs.rmSync(dataDir, { recursive: true, force: true });
  const logDirs = path.join(dataDir, 'logs');
  const propsFile = path.join(dataDir, 'server.properties');
  fs.mkdirSync(dataDir, { recursive: true });
  fs.mkdirSync(path.dirname(logFile), { recursive: true });
  // Rewritten on every start: ports may change between runs, the data stays valid.
  fs.writeFileSync(propsFile, serverProperties({ port, controllerPort, logDirs, extraProps }));
  const javaArgs = (...args) => [
    ...jvmArgs, `-Dlog4j2.configurationFile=${path.join(cacheDir, 'log4j2.xml')}`, '-cp', classpath, ...args,
  ];

  if (!fs.existsSync(path.join(logDirs, 'meta.properties'))) {
    // --standalone: this node is the one and only voter of the KRaft quorum.
    const res = await run(javaBin(), javaArgs(
      'kafka.tools.StorageTool', 'format', '--standalone', '-t', newClusterId(), '-c', propsFile,
    ));
    if (res.code !== 0) throw new Error(`formatting Kafka storage in ${logDirs} failed:\n${res.output}`);
  }

  fs.appendFileSync(logFile, `\n--- kafka starting on 127.0.0.1:${port} at ${new Date().toISOString()} ---\n`);
  const out = fs.openSync(logFile, 'a');
  const child = spawn(javaBin(), javaArgs('kafka.Kafka', propsFile), { stdio: ['ignore', out, out] });
  fs.closeSync(out); // the child has its own copy
  child.on('error', () => {}); // java was found above; an exit is handled below
  const disarm = reapWithParent(child.pid, 'TERM', 20);

  let stopping;
  const stop = () =>
    (stopping ??= (async () => {
      child.kill('SIGTERM'); // Kafka shuts down cleanly on SIGTERM (~2 s)
      if (!(await waitExit(child, 20_000))) {
        child.kill('SIGKILL');
        await waitExit(child, 5_000);
      }
      disarm();
    })());

  const t0 = Date.now();
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      disarm();
      throw new Error(
        `Kafka exited during start-up (${child.exitCode ?? child.signalCode}). Last lines of ${logFile}:\n${tailFile(logFile, 30)}`,
      );
    }
    if (await brokerAnswers(port)) break;
    if (Date.now() - t0 > timeoutMs) {
      await stop();
      throw new Error(
        `Kafka did not answer on 127.0.0.1:${port} within ${timeoutMs / 1000} s. Last lines of ${logFile}:\n${tailFile(logFile, 30)}`,
      );
    }
    await sleep(200);
  }
  return { brokers: `127.0.0.1:${port}`, stop, pid: child.pid };
}
