// Shared by the ESM stack scripts (proc.mjs) and the CommonJS service supervisor (services.cjs).
'use strict';
const { spawn } = require('node:child_process');

/**
 * Make sure the server process `pid` does not outlive this Node process.
 *
 * - Normal exit / process.exit(): an 'exit' handler sends `signal` (it must be
 *   synchronous, so it cannot wait; the server then shuts itself down).
 * - Node killed by SIGKILL / OOM / crash (no handler runs): a tiny detached `sh`
 *   watchdog blocks reading a pipe from us. The kernel closes that pipe when we
 *   die, `read` returns, and the watchdog sends `signal`, then SIGKILL after
 *   `graceSec` seconds.
 * Limits: needs `sh` (not on Windows: there only the 'exit' handler works), and
 * nothing helps if the watchdog itself is SIGKILLed together with us (e.g.
 * `kill -9` of a whole cgroup/container — then everything dies anyway).
 *
 * Returns `disarm()`: call it once the server has been stopped normally.
 */
function reapWithParent(pid, signal = 'TERM', graceSec = 20) {
  const script =
    `read _; kill -${signal} ${pid} 2>/dev/null || exit 0; i=0; ` +
    `while [ $i -lt ${graceSec} ] && kill -0 ${pid} 2>/dev/null; do sleep 1; i=$((i+1)); done; ` +
    `kill -0 ${pid} 2>/dev/null && kill -KILL ${pid}; exit 0`;
  // detached: own process group, so a Ctrl-C to our group does not kill the
  // watchdog before it has done its job.
  const dog = spawn('sh', ['-c', script], { stdio: ['pipe', 'ignore', 'ignore'], detached: true });
  dog.on('error', () => {}); // no `sh`: rely on the 'exit' handler alone
  dog.stdin.on('error', () => {});
  // Neither the watchdog nor its pipe may keep our event loop alive.
  dog.unref();
  dog.stdin.unref?.();

  const onExit = () => {
    try { process.kill(pid, `SIG${signal}`); } catch { /* already gone */ }
  };
  process.on('exit', onExit);
  return () => {
    process.off('exit', onExit);
    try { dog.kill('SIGKILL'); } catch { /* already gone */ }
  };
}

module.exports = { reapWithParent };
