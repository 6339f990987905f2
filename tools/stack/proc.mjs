// Child-process helpers shared by kafka.mjs and postgres.mjs.
import fs from 'node:fs';

export { reapWithParent } from './reaper.cjs';

/** Resolves true when `child` has exited (now or within `ms`), false on timeout. */
export function waitExit(child, ms) {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

/** Last `n` lines of a (small) log file, for error messages. */
export function tailFile(file, n = 30) {
  try {
    return fs.readFileSync(file, 'utf8').trimEnd().split('\n').slice(-n).join('\n');
  } catch {
    return `(no log at ${file})`;
  }
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
