// '@vigil/platform' re-exports its NestJS bootstrap too, and @nestjs/* ship only as ES modules,
// which the unit project does not transform: this spec gets the real configuration module alone.
jest.mock('@vigil/platform', () => jest.requireActual('../../../libs/platform/src/config'));

import { ConfigError, parseConfig } from '@vigil/platform';
import { DEFAULT_SEVERITY_MATRIX } from './classification/severity-matrix';
import { TriageConfig } from './config';

const baseEnv = {
  PORT: '3002',
  DATABASE_URL: 'postgres://vigil:s3cret@db:5432/vigil',
  KAFKA_BROKERS: 'kafka-1:9092',
  AUTH_ISSUER: 'https://idp.example/realms/soc',
  AUTH_AUDIENCE: 'urn:vigil:api',
};

/** Returns the ConfigError that parseConfig throws for `env`. */
function configErrorOf(env: NodeJS.ProcessEnv): ConfigError {
  try {
    parseConfig('triage', TriageConfig, env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('expected a ConfigError, but the configuration parsed');
}

describe('TriageConfig', () => {
  it('opens incidents from low alerts and uses the default severity matrix when neither is set', () => {
    const config = parseConfig('triage', TriageConfig, baseEnv);
    expect(config.TRIAGE_OPEN_INCIDENTS_FROM).toBe('low');
    expect(config.TRIAGE_SEVERITY_MATRIX).toEqual(DEFAULT_SEVERITY_MATRIX);
  });

  it('treats an empty TRIAGE_SEVERITY_MATRIX as unset', () => {
    expect(parseConfig('triage', TriageConfig, { ...baseEnv, TRIAGE_SEVERITY_MATRIX: '' }).TRIAGE_SEVERITY_MATRIX).toEqual(DEFAULT_SEVERITY_MATRIX);
  });

  it('keeps the base variables', () => {
    expect(parseConfig('triage', TriageConfig, baseEnv)).toMatchObject({ PORT: 3002, KAFKA_BROKERS: ['kafka-1:9092'] });
  });

  it.each(['critical', 'high', 'medium', 'low', 'info'])('takes TRIAGE_OPEN_INCIDENTS_FROM=%s', (severity) => {
    expect(parseConfig('triage', TriageConfig, { ...baseEnv, TRIAGE_OPEN_INCIDENTS_FROM: severity }).TRIAGE_OPEN_INCIDENTS_FROM).toBe(severity);
  });

  it('applies a partial TRIAGE_SEVERITY_MATRIX over the defaults', () => {
    const override = { matrix: { none: { critical: 'SEV2' } }, categoryFloor: { insider: 'SEV3' }, unregisteredAssetCriticality: 'high' };
    const matrix = parseConfig('triage', TriageConfig, { ...baseEnv, TRIAGE_SEVERITY_MATRIX: JSON.stringify(override) }).TRIAGE_SEVERITY_MATRIX;

    expect(matrix.matrix.none).toEqual({ low: 'SEV4', medium: 'SEV4', high: 'SEV3', critical: 'SEV2' });
    expect(matrix.matrix.high).toEqual(DEFAULT_SEVERITY_MATRIX.matrix.high);
    expect(matrix.categoryFloor).toEqual({ ransomware: 'SEV2', data_breach: 'SEV2', insider: 'SEV3' });
    expect(matrix.unregisteredAssetCriticality).toBe('high');
  });

  it.each([
    ['not JSON', '{matrix: nope', 'must be JSON'],
    ['JSON with an unknown impact level', '{"matrix":{"extreme":{"low":"SEV1"}}}', 'matrix'],
    ['JSON with an unknown severity', '{"matrix":{"high":{"low":"SEV0"}}}', 'matrix.high.low: '],
    ['JSON with an unknown key', '{"floors":{}}', '(root): '],
    ['JSON that is not an object', '[1, 2]', '(root): '],
  ])('refuses a TRIAGE_SEVERITY_MATRIX that is %s, naming the variable', (_, value, reason) => {
    const error = configErrorOf({ ...baseEnv, TRIAGE_SEVERITY_MATRIX: value });
    expect(error.problems).toHaveLength(1);
    expect(error.problems[0].startsWith('TRIAGE_SEVERITY_MATRIX: ')).toBe(true);
    expect(error.problems[0]).toContain(reason);
    expect(error.message).toContain('TRIAGE_SEVERITY_MATRIX');
  });

  it.each(['urgent', 'LOW', 'SEV1'])('refuses TRIAGE_OPEN_INCIDENTS_FROM=%s, naming the variable', (value) => {
    const error = configErrorOf({ ...baseEnv, TRIAGE_OPEN_INCIDENTS_FROM: value });
    expect(error.problems).toHaveLength(1);
    expect(error.problems[0]).toMatch(/^TRIAGE_OPEN_INCIDENTS_FROM: /);
    expect(error.message).toContain('TRIAGE_OPEN_INCIDENTS_FROM');
  });

  it('watches recovered incidents for 14 days unless TRIAGE_RECOVERY_WATCH_DAYS says otherwise', () => {
    expect(parseConfig('triage', TriageConfig, baseEnv).TRIAGE_RECOVERY_WATCH_DAYS).toBe(14);
    expect(parseConfig('triage', TriageConfig, { ...baseEnv, TRIAGE_RECOVERY_WATCH_DAYS: '30' }).TRIAGE_RECOVERY_WATCH_DAYS).toBe(30);
  });

  it.each(['0', '-3', '1.5', 'two weeks', '4000'])('refuses TRIAGE_RECOVERY_WATCH_DAYS=%s, naming the variable', (value) => {
    const error = configErrorOf({ ...baseEnv, TRIAGE_RECOVERY_WATCH_DAYS: value });
    expect(error.problems).toHaveLength(1);
    expect(error.problems[0]).toMatch(/^TRIAGE_RECOVERY_WATCH_DAYS: /);
  });

  it('still requires the base variables', () => {
    expect(configErrorOf({ TRIAGE_OPEN_INCIDENTS_FROM: 'high' }).problems).toEqual(
      expect.arrayContaining(['PORT: is required but not set', 'DATABASE_URL: is required but not set', 'KAFKA_BROKERS: is required but not set']),
    );
  });
});
