import pino, { type Logger } from 'pino';
import { redactUrlsIn } from './redaction';

/**
 * JSON logs on stdout. The pino instrumentation (started with the SDK) adds trace_id and
 * span_id to every record written inside a span.
 */
export function createLogger(service: string, level = process.env.LOG_LEVEL ?? 'info', destination?: pino.DestinationStream): Logger {
  const options: pino.LoggerOptions = {
    level,
    base: { service: `vigil-${service}` },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: {
      level: (label) => ({ level: label }),
      // A URL with ?api_key= (or another credential parameter) may reach a log line in a field, an
      // error or the message: its value is masked wherever it appears.
      log: (record) => redactRecord(record),
    },
    hooks: {
      logMethod(args, method) {
        method.apply(this, args.map((a) => (typeof a === 'string' ? redactUrlsIn(a) : a)) as Parameters<typeof method>);
      },
    },
  };
  return destination ? pino(options, destination) : pino(options);
}

/** The record with credential parameters masked in its strings, one level into objects (errors included). */
function redactRecord(record: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(record)) {
    if (typeof value === 'string') out[key] = redactUrlsIn(value);
    else if (value instanceof Error) out[key] = Object.assign(Object.create(Object.getPrototypeOf(value) as object) as Error, value, { message: redactUrlsIn(value.message), stack: value.stack && redactUrlsIn(value.stack) });
    else if (value && typeof value === 'object' && !Array.isArray(value)) {
      out[key] = Object.fromEntries(Object.entries(value).map(([k, v]) => [k, typeof v === 'string' ? redactUrlsIn(v) : v]));
    } else out[key] = value;
  }
  return out;
}

export type { Logger };
