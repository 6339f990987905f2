/**
 * PostgreSQL faults that say nothing about the message being handled, by SQLSTATE class or code
 * (https://www.postgresql.org/docs/current/errcodes-appendix.html): the database is unreachable,
 * out of room or memory, read-only, shutting down, cancelling our work, or broken. Every message
 * would fail the same way until an operator (or a failover) fixes it, so a consumer waits them out
 * like a lost connection instead of dead-lettering one partition's messages after another.
 * Everything else (data exceptions, class 22; constraint violations, 23; a handler's own errors)
 * is the message's fault and counts towards the bounded retries.
 */
export const INFRASTRUCTURE_SQLSTATES: ReadonlyArray<{ sqlstate: string; what: string }> = [
  { sqlstate: '08', what: 'connection exception (any)' },
  { sqlstate: '28', what: 'invalid authorization (credentials rotated or revoked)' },
  { sqlstate: '3D000', what: 'database does not exist (yet)' },
  { sqlstate: '25006', what: 'read-only transaction (a standby, or a primary during failover)' },
  { sqlstate: '25P03', what: 'idle-in-transaction timeout ended the session' },
  { sqlstate: '25P04', what: 'transaction timeout' },
  { sqlstate: '40001', what: 'serialization failure' },
  { sqlstate: '40P01', what: 'deadlock detected' },
  { sqlstate: '40003', what: 'statement completion unknown' },
  { sqlstate: '53', what: 'insufficient resources: disk full (53100), out of memory (53200), too many connections (53300), …' },
  { sqlstate: '55P03', what: 'lock not available (lock_timeout)' },
  { sqlstate: '55006', what: 'object in use' },
  { sqlstate: '57', what: 'operator intervention: query cancelled or statement_timeout (57014), shutdown and crash (57P01–57P03), …' },
  { sqlstate: '58', what: 'system error: I/O error (58030), …' },
  { sqlstate: 'XX001', what: 'data corrupted' },
  { sqlstate: 'XX002', what: 'index corrupted' },
];

const SQLSTATE = /^[0-9A-Z]{5}$/;

/** True when `code` is a SQLSTATE of an infrastructure fault (a class of two characters matches every code in it). */
export function isInfrastructureSqlState(code: string): boolean {
  if (!SQLSTATE.test(code)) return false;
  return INFRASTRUCTURE_SQLSTATES.some(({ sqlstate }) => (sqlstate.length === 2 ? code.startsWith(sqlstate) : code === sqlstate));
}

/** Errors of the network below the driver (Node's system error codes). */
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNABORTED']);

/**
 * Failures of infrastructure (database or broker unreachable, connection dropped, out of disk,
 * read-only, timed out, serialization conflicts): retried without limit and never sent to the
 * dead-letter topic. Everything else counts towards the bounded retries. Looks through `cause`
 * and TypeORM's `driverError`.
 */
export function isTransientInfrastructureError(error: unknown, depth = 0): boolean {
  const e = error as { code?: unknown; message?: unknown; cause?: unknown; driverError?: unknown; errors?: unknown } | undefined | null;
  if (!e || typeof e !== 'object' || depth > 8) return false;
  const code = typeof e.code === 'string' ? e.code : '';
  if (isInfrastructureSqlState(code)) return true;
  if (NETWORK_CODES.has(code)) return true;
  const message = typeof e.message === 'string' ? e.message : '';
  // pg's own words for a connection that went away under it (a restart closes it mid-query).
  if (/Connection terminated|connection timeout|Client has encountered a connection error|timeout exceeded when trying to connect|Client was closed and is not queryable/i.test(message)) {
    return true;
  }
  // Node's happy-eyeballs connect fails with an AggregateError of one error per address tried.
  if (Array.isArray(e.errors) && e.errors.length > 0 && e.errors.every((inner) => isTransientInfrastructureError(inner, depth + 1))) return true;
  return isTransientInfrastructureError(e.cause, depth + 1) || isTransientInfrastructureError(e.driverError, depth + 1);
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref?.());

/** Exponential back-off with full jitter. */
export function backoff(attempt: number, baseMs = 200, capMs = 10_000): number {
  return Math.round(Math.random() * Math.min(capMs, baseMs * 2 ** attempt));
}
