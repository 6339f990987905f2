import { isIP } from 'node:net';
import { z } from 'zod';
import { AuthConfig } from './auth/auth-config';

/** A yes/no setting: true, false, 1, 0, yes or no. */
export const flag = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

const brokerList = z
  .string()
  .min(1)
  .transform((v) => v.split(',').map((b) => b.trim()).filter(Boolean))
  .pipe(z.array(z.string().regex(/^[^\s:]+:\d{1,5}$/, 'each broker must be host:port')).min(1));

/** An address or CIDR block, IPv4 or IPv6. */
function isAddressOrBlock(value: string): boolean {
  const [address, prefix, ...rest] = value.split('/');
  const family = isIP(address);
  if (family === 0 || rest.length > 0) return false;
  if (prefix === undefined) return true;
  return /^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128);
}

/**
 * Which proxies' X-Forwarded-For to believe, for the client address (audit records, rate limits):
 * `false` (none: the address is the TCP peer), a number of proxy hops in front of the service, or
 * the proxies' addresses and CIDR blocks. Trusting any sender would let every client choose its own
 * address, so `true` is refused.
 */
export const TrustProxy = z
  .string()
  .trim()
  .transform((value, ctx): false | number | string[] => {
    if (value === 'false' || value === '0') return false;
    if (/^\d+$/.test(value)) {
      const hops = Number(value);
      if (hops <= 10) return hops;
    } else if (value !== 'true') {
      const list = value.split(',').map((v) => v.trim()).filter(Boolean);
      if (list.length > 0 && list.every(isAddressOrBlock)) return list;
    }
    ctx.addIssue({
      code: 'custom',
      message:
        'must be false, the number of proxies in front of the service (1–10), or their addresses or CIDR blocks, comma-separated (true would let any client choose its address)',
    });
    return z.NEVER;
  });

/** A duration in milliseconds between `min` and `max`; 0 turns the limit off when `off` is allowed. */
const millis = (fallback: number, min: number, max: number, off = false) =>
  z.coerce
    .number()
    .int()
    .refine((v) => (off && v === 0) || (v >= min && v <= max), { message: `must be ${off ? '0 (no limit) or ' : ''}between ${min} and ${max}` })
    .default(fallback);

/** Variables every Vigil service reads. Values marked sensitive are never logged. */
export const BaseConfig = z.object({
  PORT: z.coerce.number().int().min(1).max(65535),
  HOST: z.string().min(1).default('0.0.0.0'),
  DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/, error: 'must be a postgres:// URL' }).meta({ sensitive: true }),
  DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(200).default(10),
  DATABASE_STATEMENT_TIMEOUT_MS: millis(30_000, 100, 3_600_000, true).describe('longest a statement may run (statement_timeout); 0: no limit'),
  DATABASE_LOCK_TIMEOUT_MS: millis(10_000, 100, 3_600_000, true).describe(
    'longest a statement waits for a row, table or advisory lock (lock_timeout); 0: no limit; at most DATABASE_STATEMENT_TIMEOUT_MS',
  ),
  DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS: millis(60_000, 1000, 3_600_000, true).describe(
    'a session idle inside an open transaction this long is ended and its locks freed (idle_in_transaction_session_timeout); 0: no limit',
  ),
  PRUNE_AFTER_HOURS: z.coerce
    .number()
    .int()
    .min(48)
    .max(24 * 366)
    .default(168)
    .describe('processed event ids (inbox) and idempotency keys older than this are deleted; longer than any redelivery window'),
  PRUNE_INTERVAL_SECONDS: z.coerce.number().int().min(1).max(86_400).default(600).describe('how often the pruning job runs'),
  PRUNE_BATCH_SIZE: z.coerce.number().int().min(1).max(100_000).default(1000).describe('rows deleted per statement (short transactions, short locks)'),
  CONSUMER_CONCURRENCY: z.coerce
    .number()
    .int()
    .min(1)
    .max(64)
    .default(4)
    .describe('events the consumer applies at once, from different partitions (each partition stays in order); keep below DATABASE_POOL_SIZE'),
  CONSUMER_RUN_SIZE: z.coerce
    .number()
    .int()
    .min(1)
    .max(5000)
    .default(500)
    .describe('most events of one partition the consumer applies in one transaction (a run)'),
  CONSUMER_GROUP_ID: z
    .string()
    .regex(/^[A-Za-z0-9._-]{1,249}$/, 'must be 1–249 of A–Z, a–z, 0–9, ".", "_", "-"')
    .optional()
    .describe(
      'Kafka consumer group (default vigil-<service>); a fresh group replays the topics from the start, and the inbox (still named vigil-<service>) lets nothing be applied twice',
    ),
  KAFKA_BROKERS: brokerList,
  KAFKA_CLIENT_ID: z.string().min(1).optional(),
  KAFKA_TLS: flag.default(false).describe('connect to the brokers over TLS'),
  KAFKA_SASL_MECHANISM: z
    .enum(['plain', 'scram-sha-256', 'scram-sha-512'])
    .optional()
    .describe('SASL authentication with the brokers; needs KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD'),
  KAFKA_SASL_USERNAME: z.string().min(1).optional(),
  KAFKA_SASL_PASSWORD: z.string().min(1).optional().meta({ sensitive: true }),
  MIGRATIONS_RUN: flag.default(false).describe('run this service\'s migrations at start'),
  KAFKA_TOPICS_CREATE: flag.default(false).describe('create missing topics at start'),
  KAFKA_TOPIC_PARTITIONS: z.coerce.number().int().min(1).max(1000).default(6),
  KAFKA_REPLICATION_FACTOR: z.coerce.number().int().min(1).max(10).default(3),
  KAFKA_MIN_INSYNC_REPLICAS: z.coerce.number().int().min(1).max(10).default(2),
  KAFKA_DLQ_RETENTION_MS: z.coerce
    .number()
    .int()
    .min(3_600_000)
    .max(10 * 365 * 86_400_000)
    .default(30 * 86_400_000)
    .describe('retention.ms of the dead-letter topics, set whenever topics are provisioned (default 30 days)'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  HTTP_BODY_LIMIT_BYTES: z.coerce.number().int().min(1024).max(100 * 1024 * 1024).default(1024 * 1024),
  TRUST_PROXY: TrustProxy.default(false).describe(
    'whose X-Forwarded-For gives the client address: false (the TCP peer), a number of proxy hops, or proxy addresses/CIDR blocks',
  ),
  PUBLIC_BASE_URL: z.url().optional().describe('how clients reach this service; printed at start'),
  ...AuthConfig.shape,
});
export type BaseConfig = z.infer<typeof BaseConfig>;

export class ConfigError extends Error {
  constructor(
    readonly service: string,
    readonly problems: string[],
  ) {
    super(`vigil-${service}: invalid configuration\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

/** Validates the environment once, at boot. Every missing or bad variable is named. */
export function parseConfig<S extends z.ZodType>(service: string, schema: S, env: NodeJS.ProcessEnv = process.env): z.infer<S> {
  // An empty variable is an unset one: its default applies, or it is reported as missing.
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const result = schema.safeParse(present);
  if (result.success) {
    // Rules across variables (kept out of the schema so that services can extend it).
    const data = result.data as Record<string, unknown>;
    const missing = data.KAFKA_SASL_MECHANISM ? ['KAFKA_SASL_USERNAME', 'KAFKA_SASL_PASSWORD'].filter((n) => !data[n]) : [];
    const problems = missing.map((n) => `${n}: is required when KAFKA_SASL_MECHANISM is set`);
    const [statement, lock] = [data.DATABASE_STATEMENT_TIMEOUT_MS, data.DATABASE_LOCK_TIMEOUT_MS];
    // A lock wait is part of its statement: a longer one could never be reached.
    if (typeof statement === 'number' && typeof lock === 'number' && statement > 0 && (lock === 0 || lock > statement)) {
      problems.push(`DATABASE_LOCK_TIMEOUT_MS: must not exceed DATABASE_STATEMENT_TIMEOUT_MS (${statement})`);
    }
    if (problems.length === 0) return result.data;
    throw new ConfigError(service, problems);
  }
  throw new ConfigError(
    service,
    result.error.issues.map((i) => {
      const name = String(i.path[0] ?? '(environment)');
      const value = env[name];
      return `${name}: ${value === undefined || value === '' ? 'is required but not set' : i.message}`;
    }),
  );
}

/** Same as parseConfig, but a bad configuration ends the process with exit code 1 (for main.ts). */
export function loadConfigOrExit<S extends z.ZodType>(service: string, schema: S): z.infer<S> {
  try {
    return parseConfig(service, schema);
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`);
    process.exit(1);
  }
}

/**
 * The configuration with sensitive values masked, fit for a log line: secrets, keys and tokens
 * entirely; URLs keep their scheme, host and port, but never a password, and a webhook URL (whose
 * path often is the credential) loses its path and query too.
 */
export function redactConfig(config: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(config).map(([key, value]) => {
      if (/_URL$/i.test(key) && typeof value === 'string') return [key, redactUrl(value, /WEBHOOK/i.test(key))];
      if (/PASSWORD|SECRET|KEY|TOKEN|PEPPER|CREDENTIAL/i.test(key) && value !== undefined) return [key, '***'];
      return [key, value];
    }),
  );
}

function redactUrl(value: string, hidePath: boolean): string {
  try {
    const url = new URL(value);
    if (url.password) url.password = '***';
    if (hidePath) return `${url.protocol}//${url.host}/***`;
    return url.toString();
  } catch {
    return '***';
  }
}
