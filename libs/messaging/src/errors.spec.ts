import fc from 'fast-check';
import { backoff, isTransientInfrastructureError } from './errors';

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
