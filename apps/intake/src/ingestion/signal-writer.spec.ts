// @nestjs/common 12 ships only as ES modules, which the unit project does not transform; the
// writer only needs its decorators (and the problem module HttpException for an instanceof).
jest.mock('@nestjs/common', () => ({
  Injectable: () => () => undefined,
  Inject: () => () => undefined,
  Catch: () => () => undefined,
  HttpException: class HttpException extends Error {},
}));
// '@vigil/platform' re-exports its NestJS bootstrap too; the writer needs Problem and two tokens.
jest.mock('@vigil/platform', () => ({ ...jest.requireActual('../../../../libs/platform/src/http/problem'), CONFIG: 'CONFIG', LOGGER: 'LOGGER' }));

import { Problem } from '@vigil/platform';
import type { Logger } from 'pino';
import type { DataSource } from 'typeorm';
import type { AlertSignal } from '../formats/signal';
import { SignalWriter, type WriteRequest } from './signal-writer';

const logger = { warn: () => undefined, info: () => undefined, error: () => undefined } as unknown as Logger;

/**
 * A stand-in for PostgreSQL: every transaction runs the writer's statements against nothing; one
 * whose statements carry `poison` fails as PostgreSQL fails a value it refuses, and `pause()` holds
 * every transaction until `resume()` (a database that has stopped answering).
 */
function fakeDatabase() {
  let gate: Promise<void> | undefined;
  let open: (() => void) | undefined;
  let transactions = 0;
  let down = false;
  const dataSource = {
    async transaction<T>(work: (manager: unknown) => Promise<T>): Promise<T> {
      transactions++;
      await gate;
      if (down) throw Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
      const manager = {
        async query(sql: string, params: unknown[] = []) {
          if (/^\s*SELECT/.test(sql)) return [];
          if (JSON.stringify(params).includes('poison')) throw Object.assign(new Error('new row violates check constraint'), { code: '23514' });
          return [];
        },
      };
      return work(manager);
    },
  };
  return {
    dataSource: dataSource as unknown as DataSource,
    get transactions() {
      return transactions;
    },
    pause() {
      gate = new Promise((r) => (open = r));
    },
    resume() {
      gate = undefined;
      open?.();
    },
    set down(value: boolean) {
      down = value;
    },
  };
}

const signal = (title: string): AlertSignal => ({
  action: 'trigger',
  format: 'canonical',
  alert: { title, source: 'test', severity: 'low', dedupKey: `k-${title}` },
  raw: null,
});

const request = (title: string, bytes = 100): WriteRequest => ({
  signals: [signal(title)],
  bytes,
  integrationId: null,
  dedupNamespace: 'integration:test',
  respond: (outcomes) => ({ statusCode: 202, body: { title, outcome: outcomes[0].outcome } }),
});

describe('SignalWriter', () => {
  it('writes requests that arrive together in one transaction', async () => {
    const db = fakeDatabase();
    const writer = new SignalWriter(db.dataSource, logger, { INTAKE_MAX_QUEUED_BYTES: 1 << 20 });
    const results = await Promise.all(['a', 'b', 'c', 'd'].map((t) => writer.submit(request(t))));
    expect(results.map((r) => r.kind)).toEqual(['written', 'written', 'written', 'written']);
    expect(db.transactions).toBeLessThan(4);
  });

  describe('when a group commit fails', () => {
    it('writes its requests one by one, so that only the request the database refuses fails (422)', async () => {
      const db = fakeDatabase();
      const writer = new SignalWriter(db.dataSource, logger, { INTAKE_MAX_QUEUED_BYTES: 1 << 20 });
      db.pause(); // so that all six requests wait for, and share, a flush
      const answers = ['a', 'b', 'poison', 'c', 'd', 'e'].map((t) => writer.submit(request(t)).then((r) => r, (e: unknown) => e));
      db.resume();
      const settled = await Promise.all(answers);
      expect(settled.filter((r) => (r as { kind?: string }).kind === 'written')).toHaveLength(5);
      const refused = settled[2] as Problem;
      expect(refused).toBeInstanceOf(Problem);
      expect(refused.status).toBe(422);
      expect(refused.detail).toContain('23514');
    });

    it('fails every request of the flush with the fault itself when the database is away (503 upstream)', async () => {
      const db = fakeDatabase();
      const writer = new SignalWriter(db.dataSource, logger, { INTAKE_MAX_QUEUED_BYTES: 1 << 20 });
      db.down = true;
      db.pause();
      const answers = ['a', 'b', 'c'].map((t) => writer.submit(request(t)).then((r) => r, (e: unknown) => e));
      db.resume();
      const settled = (await Promise.all(answers)) as Array<{ code?: string }>;
      expect(settled.map((e) => e.code)).toEqual(['ECONNREFUSED', 'ECONNREFUSED', 'ECONNREFUSED']);
      // No one-by-one retries against a database that is not there: one attempt per flush.
      expect(db.transactions).toBeLessThanOrEqual(2);
    });
  });

  describe('a bounded queue', () => {
    it('answers 503 with Retry-After beyond INTAKE_MAX_QUEUED_BYTES while the database is slow, and takes requests again once it drains', async () => {
      const db = fakeDatabase();
      const writer = new SignalWriter(db.dataSource, logger, { INTAKE_MAX_QUEUED_BYTES: 1000 });
      db.pause();
      const held = Array.from({ length: 4 }, (_, i) => writer.submit(request(`held-${i}`, 250)));
      expect(writer.queuedBytes).toBe(1000);
      const refused = await writer.submit(request('one too many', 250)).catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(Problem);
      expect((refused as Problem).status).toBe(503);
      expect((refused as Problem).headers).toEqual({ 'retry-after': '1' });

      db.resume();
      expect((await Promise.all(held)).map((r) => r.kind)).toEqual(['written', 'written', 'written', 'written']);
      expect(writer.queuedBytes).toBe(0);
      expect((await writer.submit(request('after', 250))).kind).toBe('written');
    });

    it('takes a request larger than the bound when nothing else waits', async () => {
      const db = fakeDatabase();
      const writer = new SignalWriter(db.dataSource, logger, { INTAKE_MAX_QUEUED_BYTES: 1024 });
      expect((await writer.submit(request('big', 5000))).kind).toBe('written');
    });

    it('frees the bytes of a request that failed', async () => {
      const db = fakeDatabase();
      const writer = new SignalWriter(db.dataSource, logger, { INTAKE_MAX_QUEUED_BYTES: 1024 });
      await writer.submit(request('poison', 500)).catch(() => undefined);
      expect(writer.queuedBytes).toBe(0);
    });
  });
});
