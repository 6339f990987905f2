// Starts, watches and stops Vigil service processes (the compiled apps in dist/). CommonJS so that
// both `npm start` (ESM) and the Jest end-to-end tests can use it.
'use strict';
const { spawn } = require('node:child_process');
const { createWriteStream, mkdirSync } = require('node:fs');
const { join, resolve } = require('node:path');
const { reapWithParent } = require('./reaper.cjs');

const root = resolve(__dirname, '..', '..');

/**
 * @param {string} name service name (intake, triage, …)
 * @param {Record<string, string>} env environment for the process (merged over process.env)
 * @param {{ logDir?: string, onLine?: (name: string, line: string) => void }} [options]
 */
function startServiceProcess(name, env, options = {}) {
  const entry = join(root, 'dist', 'apps', name, 'src', 'main.js');
  const child = spawn(process.execPath, ['--enable-source-maps', entry], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log;
  if (options.logDir) {
    mkdirSync(options.logDir, { recursive: true });
    log = createWriteStream(join(options.logDir, `${name}.log`), { flags: 'a' });
  }
  const tail = [];
  const onData = (chunk) => {
    log?.write(chunk);
    for (const line of chunk.toString().split('\n')) {
      if (!line) continue;
      tail.push(line);
      if (tail.length > 50) tail.shift();
      options.onLine?.(name, line);
    }
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  // A service must not outlive whoever started it (a crashed test runner, a killed `npm start`).
  const disarm = reapWithParent(child.pid, 'TERM', 20);
  const exited = new Promise((resolveExit) =>
    child.on('exit', (code, signal) => {
      disarm();
      resolveExit({ code, signal });
    }),
  );
  const url = `http://127.0.0.1:${env.PORT}`;
  return {
    name,
    url,
    child,
    exited,
    tail: () => tail.join('\n'),
    /** Resolves when /health/ready answers 200; rejects if the process exits or time runs out. */
    async waitReady(timeoutMs = 60_000) {
      const deadline = Date.now() + timeoutMs;
      let exit;
      exited.then((e) => (exit = e));
      while (Date.now() < deadline) {
        if (exit) throw new Error(`vigil-${name} exited (${exit.code ?? exit.signal}) during start:\n${tail.join('\n')}`);
        try {
          const res = await fetch(`${url}/health/ready`, { signal: AbortSignal.timeout(2000) });
          if (res.ok) return;
        } catch {
          /* not listening yet */
        }
        await new Promise((r) => setTimeout(r, 250));
      }
      throw new Error(`vigil-${name} not ready after ${timeoutMs} ms:\n${tail.join('\n')}`);
    },
    /** Graceful stop (SIGTERM), SIGKILL after the grace period. */
    async stop(graceMs = 20_000) {
      if (child.exitCode !== null || child.signalCode !== null) return exited;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      const result = await exited;
      clearTimeout(timer);
      log?.end();
      return result;
    },
    /** Abrupt death, as a crashed pod. */
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      const result = await exited;
      log?.end();
      return result;
    },
  };
}

module.exports = { startServiceProcess, root };
