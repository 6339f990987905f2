import fc from 'fast-check';
import { BaseConfig, ConfigError, parseConfig, redactConfig } from './config';

const validEnv = {
  PORT: '3000',
  DATABASE_URL: 'postgres://vigil:s3cret@db:5432/vigil',
  KAFKA_BROKERS: 'kafka-1:9092, kafka-2:9093,',
  AUTH_ISSUER: 'https://idp.example/realms/soc',
  AUTH_AUDIENCE: 'urn:vigil:api',
};

/** Returns the ConfigError that parseConfig throws for `env`. */
function configErrorOf(env: NodeJS.ProcessEnv): ConfigError {
  try {
    parseConfig('intake', BaseConfig, env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('expected a ConfigError, but the configuration parsed');
}

describe(parseConfig.name, () => {
  it('parses a minimal environment and applies the defaults', () => {
    expect(parseConfig('intake', BaseConfig, validEnv)).toEqual({
      PORT: 3000,
      HOST: '0.0.0.0',
      DATABASE_URL: 'postgres://vigil:s3cret@db:5432/vigil',
      DATABASE_POOL_SIZE: 10,
      DATABASE_STATEMENT_TIMEOUT_MS: 30_000,
      DATABASE_LOCK_TIMEOUT_MS: 10_000,
      DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS: 60_000,
      PRUNE_AFTER_HOURS: 168,
      PRUNE_INTERVAL_SECONDS: 600,
      PRUNE_BATCH_SIZE: 1000,
      CONSUMER_CONCURRENCY: 4,
      KAFKA_BROKERS: ['kafka-1:9092', 'kafka-2:9093'],
      MIGRATIONS_RUN: false,
      KAFKA_TOPICS_CREATE: false,
      KAFKA_TOPIC_PARTITIONS: 6,
      KAFKA_REPLICATION_FACTOR: 3,
      KAFKA_TLS: false,
      KAFKA_MIN_INSYNC_REPLICAS: 2,
      KAFKA_DLQ_RETENTION_MS: 30 * 24 * 3_600_000,
      LOG_LEVEL: 'info',
      HTTP_BODY_LIMIT_BYTES: 1024 * 1024,
      TRUST_PROXY: false,
      AUTH_ISSUER: 'https://idp.example/realms/soc',
      AUTH_AUDIENCE: 'urn:vigil:api',
      AUTH_ROLES_CLAIM: 'roles',
      AUTH_ALGORITHMS: ['RS256', 'PS256', 'ES256', 'EdDSA'],
      AUTH_JWKS_COOLDOWN_SECONDS: 30,
      AUTH_CLOCK_SKEW_SECONDS: 30,
    });
  });

  it('coerces numbers and keeps given values over defaults', () => {
    const config = parseConfig('intake', BaseConfig, {
      ...validEnv,
      HOST: '127.0.0.1',
      DATABASE_POOL_SIZE: '25',
      CONSUMER_CONCURRENCY: '6',
      KAFKA_TOPIC_PARTITIONS: '12',
      KAFKA_REPLICATION_FACTOR: '1',
      KAFKA_MIN_INSYNC_REPLICAS: '1',
      LOG_LEVEL: 'debug',
      KAFKA_CLIENT_ID: 'vigil-intake-1',
      PUBLIC_BASE_URL: 'https://vigil.example/intake',
    });
    expect(config).toMatchObject({
      HOST: '127.0.0.1',
      DATABASE_POOL_SIZE: 25,
      CONSUMER_CONCURRENCY: 6,
      KAFKA_TOPIC_PARTITIONS: 12,
      KAFKA_REPLICATION_FACTOR: 1,
      KAFKA_MIN_INSYNC_REPLICAS: 1,
      LOG_LEVEL: 'debug',
      KAFKA_CLIENT_ID: 'vigil-intake-1',
      PUBLIC_BASE_URL: 'https://vigil.example/intake',
    });
  });

  it('accepts a postgresql:// URL too', () => {
    expect(parseConfig('intake', BaseConfig, { ...validEnv, DATABASE_URL: 'postgresql://db/vigil' }).DATABASE_URL).toBe('postgresql://db/vigil');
  });

  it.each([
    ['true', true],
    ['1', true],
    ['yes', true],
    ['false', false],
    ['0', false],
    ['no', false],
  ])('reads the flag value %p as %p', (value, expected) => {
    const config = parseConfig('intake', BaseConfig, { ...validEnv, MIGRATIONS_RUN: value, KAFKA_TOPICS_CREATE: value });
    expect(config.MIGRATIONS_RUN).toBe(expected);
    expect(config.KAFKA_TOPICS_CREATE).toBe(expected);
  });

  it('ignores unrelated environment variables', () => {
    expect(parseConfig('intake', BaseConfig, { ...validEnv, PATH: '/usr/bin', HOME: '/root' })).not.toHaveProperty('PATH');
  });

  it.each(['PORT', 'DATABASE_URL', 'KAFKA_BROKERS'])('reports a missing %s as required but not set', (name) => {
    const env: NodeJS.ProcessEnv = { ...validEnv };
    delete env[name];
    expect(configErrorOf(env).problems).toEqual([`${name}: is required but not set`]);
  });

  it.each(['PORT', 'DATABASE_URL', 'KAFKA_BROKERS'])('reports an empty %s as required but not set', (name) => {
    expect(configErrorOf({ ...validEnv, [name]: '' }).problems).toEqual([`${name}: is required but not set`]);
  });

  it.each([
    ['KAFKA_BROKERS', 'nohostport', 'each broker must be host:port'],
    ['KAFKA_BROKERS', 'kafka-1:9092,kafka 2:9092', 'each broker must be host:port'],
    ['KAFKA_BROKERS', 'kafka-1:port', 'each broker must be host:port'],
    ['DATABASE_URL', 'mysql://db/vigil', 'must be a postgres:// URL'],
    ['DATABASE_URL', 'not a url', 'must be a postgres:// URL'],
    ['PORT', '70000', '<=65535'],
    ['PORT', 'http', 'expected number, received NaN'],
    ['PORT', '80.5', 'expected int'],
    ['DATABASE_POOL_SIZE', '0', '>=1'],
    ['CONSUMER_CONCURRENCY', '0', '>=1'],
    ['CONSUMER_CONCURRENCY', '65', '<=64'],
    ['MIGRATIONS_RUN', 'maybe', 'expected one of "0"|"1"|"true"|"false"|"yes"|"no"'],
    ['LOG_LEVEL', 'loud', '"silent"'],
    ['HTTP_BODY_LIMIT_BYTES', '100', '>=1024'],
    ['DATABASE_STATEMENT_TIMEOUT_MS', '50', 'must be 0 (no limit) or between 100 and 3600000'],
    ['DATABASE_STATEMENT_TIMEOUT_MS', '-1', 'must be 0 (no limit) or between 100 and 3600000'],
    ['DATABASE_STATEMENT_TIMEOUT_MS', 'soon', 'expected number'],
    ['DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS', '500', 'between 1000 and 3600000'],
    ['PRUNE_AFTER_HOURS', '24', '>=48'],
    ['PRUNE_INTERVAL_SECONDS', '0', '>=1'],
    ['PRUNE_BATCH_SIZE', '0', '>=1'],
    ['KAFKA_DLQ_RETENTION_MS', '1000', '>=3600000'],
  ])('names %s and the reason when it is %p', (name, value, reason) => {
    const { problems } = configErrorOf({ ...validEnv, [name]: value });
    expect(problems).toHaveLength(1);
    expect(problems[0].startsWith(`${name}: `)).toBe(true);
    expect(problems[0]).toContain(reason);
    expect(problems[0]).not.toContain('is required but not set');
  });

  it('takes the session limits, 0 turning one off', () => {
    const config = parseConfig('intake', BaseConfig, {
      ...validEnv,
      DATABASE_STATEMENT_TIMEOUT_MS: '0',
      DATABASE_LOCK_TIMEOUT_MS: '0',
      DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS: '120000',
    });
    expect(config).toMatchObject({ DATABASE_STATEMENT_TIMEOUT_MS: 0, DATABASE_LOCK_TIMEOUT_MS: 0, DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS: 120_000 });
  });

  it.each([
    ['5000', '6000'],
    ['5000', '0'],
  ])('refuses a lock timeout its statement timeout would always cut short (statement %s ms, lock %s ms)', (statement, lock) => {
    expect(configErrorOf({ ...validEnv, DATABASE_STATEMENT_TIMEOUT_MS: statement, DATABASE_LOCK_TIMEOUT_MS: lock }).problems).toEqual([
      `DATABASE_LOCK_TIMEOUT_MS: must not exceed DATABASE_STATEMENT_TIMEOUT_MS (${statement})`,
    ]);
  });

  it('reports every problem at once, in the error message too', () => {
    const error = configErrorOf({ PORT: 'abc', KAFKA_BROKERS: 'nohostport', LOG_LEVEL: 'loud' });
    expect(error.service).toBe('intake');
    expect(error.problems).toHaveLength(6);
    expect(error.problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^PORT: /),
        'DATABASE_URL: is required but not set',
        'AUTH_ISSUER: is required but not set',
        'AUTH_AUDIENCE: is required but not set',
        'KAFKA_BROKERS: each broker must be host:port',
        expect.stringMatching(/^LOG_LEVEL: /),
      ]),
    );
    expect(error.message.split('\n')[0]).toBe('vigil-intake: invalid configuration');
    for (const problem of error.problems) expect(error.message).toContain(`  - ${problem}`);
  });

  it('never echoes the value of a bad variable, so a mistyped secret stays out of the logs', () => {
    const error = configErrorOf({ ...validEnv, DATABASE_URL: 'mysql://vigil:hunter2@db/vigil' });
    expect(error.message).not.toContain('hunter2');
  });
});

describe(redactConfig.name, () => {
  it('masks the password of a URL and keeps the rest of it', () => {
    expect(redactConfig({ DATABASE_URL: 'postgres://vigil:s3cret@db:5432/vigil?sslmode=require' })).toEqual({
      DATABASE_URL: 'postgres://vigil:***@db:5432/vigil?sslmode=require',
    });
  });

  it('leaves a URL without a password as it is', () => {
    expect(redactConfig({ PUBLIC_BASE_URL: 'https://vigil.example/intake' })).toEqual({ PUBLIC_BASE_URL: 'https://vigil.example/intake' });
  });

  it.each(['KAFKA_SASL_PASSWORD', 'COMMS_WEBHOOK_SECRET', 'API_KEY', 'OIDC_CLIENT_SECRET', 'GITHUB_TOKEN'])('masks the whole value of %s', (key) => {
    expect(redactConfig({ [key]: 'hunter2-is-long-enough' })).toEqual({ [key]: '***' });
  });

  it('keeps values that are not secret', () => {
    const config = { PORT: 3000, HOST: '0.0.0.0', KAFKA_BROKERS: ['kafka-1:9092'], MIGRATIONS_RUN: true, LOG_LEVEL: 'info', KAFKA_CLIENT_ID: 'vigil-intake' };
    expect(redactConfig(config)).toEqual(config);
  });

  it('does not change the configuration it is given', () => {
    const config = { DATABASE_URL: 'postgres://vigil:s3cret@db/vigil' };
    redactConfig(config);
    expect(config.DATABASE_URL).toBe('postgres://vigil:s3cret@db/vigil');
  });

  it('never shows a URL password, whatever its characters (property)', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[A-Za-z0-9._-]{1,40}$/), (password) => {
        const redacted = redactConfig({ DATABASE_URL: `postgres://vigil:${password}@db:5432/vigil` });
        expect(redacted.DATABASE_URL).toBe('postgres://vigil:***@db:5432/vigil');
      }),
    );
  });
});

describe('redactConfig, secrets that are not URLs', () => {
  it('masks secrets, keys and tokens entirely, even when they look like URLs', () => {
    expect(redactConfig({ COMMS_WEBHOOK_SECRET: 'whsec:0123456789abcdef', API_KEY_PEPPER: 'pa:ss', LOG_LEVEL: 'info' })).toEqual({
      COMMS_WEBHOOK_SECRET: '***',
      API_KEY_PEPPER: '***',
      LOG_LEVEL: 'info',
    });
  });

  it('hides the path and query of a webhook URL, where the credential usually is', () => {
    expect(redactConfig({ COMMS_WEBHOOK_URL: 'https://hooks.slack.example/services/T000/B000/XXXXSECRET?x=1' })).toEqual({
      COMMS_WEBHOOK_URL: 'https://hooks.slack.example/***',
    });
  });
});

describe('parseConfig, empty variables', () => {
  const base = { PORT: '8080', DATABASE_URL: 'postgres://u:p@db:5432/vigil', KAFKA_BROKERS: 'k:9092', AUTH_ISSUER: 'https://idp.example/', AUTH_AUDIENCE: 'vigil' };

  it('treats an empty optional variable as unset, so its default applies', () => {
    expect(parseConfig('intake', BaseConfig, { ...base, HOST: '' }).HOST).toBe('0.0.0.0');
  });

  it('reports an empty required variable as missing', () => {
    expect(() => parseConfig('intake', BaseConfig, { ...base, DATABASE_URL: '' })).toThrow(/DATABASE_URL: is required but not set/);
  });
});

describe('parseConfig, Kafka authentication', () => {
  const base = { PORT: '8080', DATABASE_URL: 'postgres://u:p@db:5432/vigil', KAFKA_BROKERS: 'k:9093', AUTH_ISSUER: 'https://idp.example/', AUTH_AUDIENCE: 'vigil' };

  it('takes TLS and SASL settings', () => {
    const config = parseConfig('intake', BaseConfig, { ...base, KAFKA_TLS: 'true', KAFKA_SASL_MECHANISM: 'scram-sha-512', KAFKA_SASL_USERNAME: 'vigil', KAFKA_SASL_PASSWORD: 's3cret' });
    expect(config).toMatchObject({ KAFKA_TLS: true, KAFKA_SASL_MECHANISM: 'scram-sha-512', KAFKA_SASL_USERNAME: 'vigil' });
  });

  it('names the credentials a SASL mechanism needs', () => {
    expect(() => parseConfig('intake', BaseConfig, { ...base, KAFKA_SASL_MECHANISM: 'plain' })).toThrow(/KAFKA_SASL_USERNAME: is required when KAFKA_SASL_MECHANISM is set[\s\S]*KAFKA_SASL_PASSWORD/);
  });

  it('refuses an unknown mechanism', () => {
    expect(() => parseConfig('intake', BaseConfig, { ...base, KAFKA_SASL_MECHANISM: 'kerberos' })).toThrow(/KAFKA_SASL_MECHANISM/);
  });
});

describe('TRUST_PROXY', () => {
  const trust = (value: string) => parseConfig('intake', BaseConfig, { ...validEnv, TRUST_PROXY: value }).TRUST_PROXY;

  it('trusts no proxy by default', () => {
    expect(parseConfig('intake', BaseConfig, validEnv).TRUST_PROXY).toBe(false);
    expect(trust('false')).toBe(false);
    expect(trust('0')).toBe(false);
  });

  it('takes a number of hops, or proxy addresses and CIDR blocks', () => {
    expect(trust('1')).toBe(1);
    expect(trust('10.0.0.0/8, 192.0.2.7 ,2001:db8::/32,::1')).toEqual(['10.0.0.0/8', '192.0.2.7', '2001:db8::/32', '::1']);
  });

  it.each([['true'], ['11'], ['10.0.0.0/33'], ['2001:db8::/129'], ['proxy.example'], ['10.0.0.1/8/1'], [' , ']])('refuses %p, naming the variable', (value) => {
    expect(() => trust(value)).toThrow(/TRUST_PROXY: must be false, the number of proxies/);
  });
});
