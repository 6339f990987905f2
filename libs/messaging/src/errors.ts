/**
 * Failures of infrastructure (database or broker unreachable, connection dropped, serialization
 * conflicts) say nothing about the message: they are retried without limit and never send a
 * message to the dead-letter topic. Everything else counts towards the bounded retries.
 */
export function isTransientInfrastructureError(error: unknown): boolean {
  const e = error as { code?: string; message?: string; cause?: unknown } | undefined;
  if (!e) return false;
  const code = String(e.code ?? '');
  if (/^08/.test(code)) return true; // connection exceptions
  if (['40001', '40P01', '57P01', '57P02', '57P03', '53300'].includes(code)) return true;
  if (['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN'].includes(code)) return true;
  if (/Connection terminated|connection timeout|Client has encountered a connection error|timeout exceeded when trying to connect/i.test(e.message ?? '')) {
    return true;
  }
  return e.cause ? isTransientInfrastructureError(e.cause) : false;
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref?.());

/** Exponential back-off with full jitter. */
export function backoff(attempt: number, baseMs = 200, capMs = 10_000): number {
  return Math.round(Math.random() * Math.min(capMs, baseMs * 2 ** attempt));
}
