import fc from 'fast-check';
import { backoff, INFRASTRUCTURE_SQLSTATES, isInfrastructureSqlState, isTransientInfrastructureError } from './errors';

const pgError = (code: string, message = 'pg error') => Object.assign(new Error(message), { code });

describe(isTransientInfrastructureError.name, () => {
  it.each([
    ['pg 08006 connection failure', pgError('08006'), true],
    ['pg 08001 unable to connect', pgError('08001'), true],
    ['pg 57P01 admin shutdown', pgError('57P01'), true],
    ['pg 57P03 cannot connect now', pgError('57P03'), true],
    ['pg 40001 serialization failure', pgError('40001'), true],
    ['pg 40P01 deadlock', pgError('40P01'), true],
    ['pg 53300 too many connections', pgError('53300'), true],
    ['pg 23505 unique violation', pgError('23505'), false],
    ['pg 22P02 invalid text representation', pgError('22P02'), false],
    ['pg 23503 foreign key violation', pgError('23503'), false],
    ['pg 42P01 undefined table', pgError('42P01'), false],
    ['ECONNREFUSED', pgError('ECONNREFUSED'), true],
    ['ECONNRESET', pgError('ECONNRESET'), true],
    ['ETIMEDOUT', pgError('ETIMEDOUT'), true],
    ['ENOTFOUND', pgError('ENOTFOUND'), true],
    ['EACCES', pgError('EACCES'), false],
    ['node-postgres "Connection terminated unexpectedly"', new Error('Connection terminated unexpectedly'), true],
    ['pool "timeout exceeded when trying to connect"', new Error('timeout exceeded when trying to connect'), true],
    ['a transient cause', new Error('query failed', { cause: pgError('ECONNREFUSED') }), true],
    ['a transient cause two levels down', new Error('a', { cause: new Error('b', { cause: pgError('57P01') }) }), true],
    ['a non-transient cause', new Error('query failed', { cause: pgError('23505') }), false],
    ['a plain Error', new Error('boom'), false],
    ['a TypeError', new TypeError('x is undefined'), false],
    ['undefined', undefined, false],
    ['null', null, false],
    ['a plain object with a transient code', { code: '08006' }, true],
  ])('classifies %s as transient: %s', (_, error, expected) => {
    expect(isTransientInfrastructureError(error)).toBe(expected);
  });

  it('does not read "08" inside a longer code as a connection exception', () => {
    expect(isTransientInfrastructureError(pgError('2208F'))).toBe(false);
  });

  // Faults of the database that every message would meet alike: waited out, never dead-lettered.
  it.each([
    ['53100', 'disk full'],
    ['53200', 'out of memory'],
    ['53300', 'too many connections'],
    ['53400', 'configuration limit exceeded'],
    ['25006', 'read-only transaction (failover)'],
    ['25P03', 'idle-in-transaction session timeout'],
    ['57014', 'query cancelled (statement_timeout)'],
    ['57P01', 'admin shutdown'],
    ['57P02', 'crash shutdown'],
    ['57P03', 'cannot connect now'],
    ['57P05', 'idle session timeout'],
    ['55P03', 'lock not available (lock_timeout)'],
    ['58030', 'I/O error'],
    ['58P01', 'undefined file'],
    ['08000', 'connection exception'],
    ['08003', 'connection does not exist'],
    ['08P01', 'protocol violation'],
    ['28P01', 'invalid password'],
    ['3D000', 'database does not exist'],
    ['40001', 'serialization failure'],
    ['40P01', 'deadlock detected'],
    ['XX001', 'data corrupted'],
  ])('waits out SQLSTATE %s (%s)', (code) => {
    expect(isTransientInfrastructureError(pgError(code))).toBe(true);
  });

  // Faults of the message (or of the handler's code): bounded retries, then the DLQ.
  it.each([
    ['22001', 'string data right truncation'],
    ['22003', 'numeric value out of range'],
    ['22007', 'invalid datetime format'],
    ['22008', 'datetime field overflow (year 0000)'],
    ['22021', 'character not in repertoire (NUL)'],
    ['22P05', 'untranslatable character'],
    ['23502', 'not-null violation'],
    ['23505', 'unique violation'],
    ['23514', 'check violation'],
    ['23P01', 'exclusion violation'],
    ['40002', 'transaction integrity constraint violation'],
    ['42601', 'syntax error'],
    ['42703', 'undefined column'],
    ['54000', 'program limit exceeded (index row too large)'],
    ['P0001', 'raise exception'],
    ['XX000', 'internal error'],
    ['0A000', 'feature not supported'],
  ])('counts SQLSTATE %s (%s) against the message', (code) => {
    expect(isTransientInfrastructureError(pgError(code))).toBe(false);
  });

  it('finds the fault in TypeORM\'s driverError', () => {
    const queryFailed = Object.assign(new Error('could not extend file: No space left on device'), { driverError: pgError('53100') });
    expect(isTransientInfrastructureError(queryFailed)).toBe(true);
  });

  it('counts a connect that failed on every address (AggregateError) and a client closed under a query', () => {
    const refused = (address: string) => Object.assign(new Error(`connect ECONNREFUSED ${address}:5432`), { code: 'ECONNREFUSED' });
    expect(isTransientInfrastructureError(new AggregateError([refused('::1'), refused('127.0.0.1')]))).toBe(true);
    expect(isTransientInfrastructureError(new AggregateError([refused('::1'), new Error('a bug')]))).toBe(false);
    expect(isTransientInfrastructureError(new AggregateError([]))).toBe(false);
    expect(isTransientInfrastructureError(new Error('Client was closed and is not queryable'))).toBe(true);
  });

  it('does not loop on an error that is its own cause', () => {
    const e: Error & { cause?: unknown } = new Error('self');
    e.cause = e;
    expect(isTransientInfrastructureError(e)).toBe(false);
  });
});

describe(isInfrastructureSqlState.name, () => {
  it('matches every code of a listed class and only well-formed codes', () => {
    for (const { sqlstate } of INFRASTRUCTURE_SQLSTATES) {
      const code = sqlstate.length === 2 ? `${sqlstate}ABC` : sqlstate;
      expect(isInfrastructureSqlState(code)).toBe(true);
    }
    expect(isInfrastructureSqlState('53')).toBe(false);
    expect(isInfrastructureSqlState('531000')).toBe(false);
    expect(isInfrastructureSqlState('')).toBe(false);
  });

  it('never counts a data exception (22) or an integrity violation (23) as infrastructure (property)', () => {
    const alnum = fc.constantFrom(...'0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ'.split(''));
    fc.assert(
      fc.property(fc.constantFrom('22', '23'), fc.array(alnum, { minLength: 3, maxLength: 3 }), (cls, rest) => {
        expect(isInfrastructureSqlState(`${cls}${rest.join('')}`)).toBe(false);
      }),
    );
  });
});

describe(backoff.name, () => {
  afterEach(() => jest.restoreAllMocks());

  it('stays an integer within [0, min(cap, base * 2^attempt)] (property)', () => {
    fc.assert(
      fc.property(fc.nat(64), fc.integer({ min: 1, max: 10_000 }), fc.integer({ min: 1, max: 600_000 }), (attempt, base, cap) => {
        const delay = backoff(attempt, base, cap);
        expect(Number.isInteger(delay)).toBe(true);
        expect(delay).toBeGreaterThanOrEqual(0);
        expect(delay).toBeLessThanOrEqual(Math.min(cap, base * 2 ** attempt));
      }),
    );
  });

  it.each([
    [0, 200],
    [1, 400],
    [5, 6_400],
    [6, 10_000],
    [50, 10_000],
  ])('with the defaults, can wait up to %s → %s ms and no longer', (attempt, ceiling) => {
    jest.spyOn(Math, 'random').mockReturnValue(0.999_999_9);
    expect(backoff(attempt)).toBe(ceiling);
  });

  it('can wait no time at all (full jitter)', () => {
    jest.spyOn(Math, 'random').mockReturnValue(0);
    expect(backoff(3)).toBe(0);
  });

  it('scales the draw to the ceiling', () => {
    jest.spyOn(Math, 'random').mockReturnValue(0.5);
    expect(backoff(2, 100, 1_000)).toBe(200);
    expect(backoff(10, 100, 1_000)).toBe(500);
  });
});
