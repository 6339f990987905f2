import pino, { type Logger } from 'pino';

/**
 * JSON logs on stdout. The pino instrumentation (started with the SDK) adds trace_id and
 * span_id to every record written inside a span.
 */
export function createLogger(service: string, level = process.env.LOG_LEVEL ?? 'info'): Logger {
  return pino({
    level,
    base: { service: `vigil-${service}` },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
  });
}

export type { Logger };
