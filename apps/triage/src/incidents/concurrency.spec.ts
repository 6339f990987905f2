// @nestjs/common 12 ships only as ES modules, which the unit project does not transform. This file
// and the problem module only need decorators from it (and HttpException for an instanceof).
jest.mock('@nestjs/common', () => ({
  Injectable: () => () => undefined,
  Catch: () => () => undefined,
  HttpException: class HttpException extends Error {},
}));
// '@vigil/platform' re-exports its NestJS bootstrap too; Problem alone is what this file uses.
jest.mock('@vigil/platform', () => jest.requireActual('../../../../libs/platform/src/http/problem'));

import { Problem } from '@vigil/platform';
import { assertVersion, expectedVersion, type ExpectedVersion } from './concurrency';

/** The Problem that `fn` throws. */
function problemOf(fn: () => unknown): Problem {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(Problem);
    return error as Problem;
  }
  throw new Error('expected a Problem, but nothing was thrown');
}

describe(expectedVersion.name, () => {
  it.each([undefined, '', '   '])('refuses a missing If-Match (%p) with 428', (ifMatch) => {
    const problem = problemOf(() => expectedVersion(ifMatch));
    expect(problem.status).toBe(428);
    expect(problem.detail).toContain('If-Match');
  });

  it.each(['*', ' * '])('reads %p as any version', (ifMatch) => {
    expect(expectedVersion(ifMatch)).toBe('*');
  });

  it.each<[string, number[]]>([
    ['"3"', [3]],
    ['3', [3]],
    [' "3" ', [3]],
    ['"0"', [0]],
    ['"123456789"', [123456789]],
    ['"3", "4"', [3, 4]],
    ['"3","4"', [3, 4]],
    ['"7", 8, "9"', [7, 8, 9]],
  ])('reads %p as the versions %p', (ifMatch, versions) => {
    expect(expectedVersion(ifMatch)).toEqual(versions);
  });

  it.each([
    ['a weak tag', 'W/"3"'],
    ['a weak tag in a list', '"2", W/"3"'],
    ['a word', 'latest'],
    ['a negative number', '"-1"'],
    ['a fraction', '"3.5"'],
    ['a number of ten digits', '"1234567890"'],
    ['an empty entry in a list', '"3",'],
    ['* in a list', '*, "3"'],
    ['a tag that is not a version', '"abc"'],
  ])('refuses %s (%p) with 400 on /headers/if-match', (_, ifMatch) => {
    const problem = problemOf(() => expectedVersion(ifMatch));
    expect(problem.status).toBe(400);
    expect(problem.extra.errors).toEqual([{ pointer: '/headers/if-match', detail: expect.stringContaining('ETag') }]);
  });
});

describe(assertVersion.name, () => {
  it.each<[number, ExpectedVersion]>([
    [3, [3]],
    [3, [2, 3]],
    [0, [0]],
    [3, '*'],
    [42, '*'],
  ])('lets version %p through when %p was expected', (current, expected) => {
    expect(() => assertVersion(current, expected, 'Incident')).not.toThrow();
  });

  it.each<[number, number[]]>([
    [4, [3]],
    [2, [3]],
    [5, [3, 4]],
  ])('refuses version %p when %p was expected, with 412 and the current version', (current, expected) => {
    const problem = problemOf(() => assertVersion(current, expected, 'Incident 3f1c2b4a'));
    expect(problem.status).toBe(412);
    expect(problem.extra).toEqual({ currentVersion: current });
    expect(problem.headers).toEqual({ etag: `"${current}"` });
    expect(problem.detail).toContain(`Incident 3f1c2b4a is at version ${current}`);
  });

  it('names every version that was expected', () => {
    expect(problemOf(() => assertVersion(5, [3, 4], 'Incident')).detail).toContain('not 3 or 4');
  });

  it('accepts what expectedVersion reads from the ETag it sends back', () => {
    const { etag } = problemOf(() => assertVersion(7, [6], 'Incident')).headers;
    expect(() => assertVersion(7, expectedVersion(etag), 'Incident')).not.toThrow();
  });
});
