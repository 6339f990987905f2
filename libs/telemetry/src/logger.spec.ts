import { Writable } from 'node:stream';
import { createLogger } from './logger';

describe(createLogger.name, () => {
  const key = 'abcdefgh0123456789abcdefghijklmn';

  function captured() {
    const lines: string[] = [];
    const stream = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    return { logger: createLogger('test', 'info', stream), lines };
  }

  it('masks ?api_key= wherever a URL reaches a log line: a field, an object, an error, the message', () => {
    const { logger, lines } = captured();
    logger.info({ url: `/v1/alerts?api_key=${key}`, request: { target: `/v1/integrations/splunk?x=1&api_key=${key}` } }, `POST /v1/alerts?api_key=${key}`);
    logger.error({ err: Object.assign(new Error(`fetch http://intake/v1/alerts?api_key=${key} failed`), { code: 'E1' }) }, 'boom');
    const text = lines.join('');
    expect(text).not.toContain(key);
    expect(text).toContain('api_key=REDACTED');
    const [first, second] = lines.map((l) => JSON.parse(l));
    expect(first).toMatchObject({ url: '/v1/alerts?api_key=REDACTED', request: { target: '/v1/integrations/splunk?x=1&api_key=REDACTED' }, msg: 'POST /v1/alerts?api_key=REDACTED' });
    expect(second.err).toMatchObject({ type: 'Error', message: 'fetch http://intake/v1/alerts?api_key=REDACTED failed', code: 'E1' });
    expect(second.err.stack).toContain('api_key=REDACTED');
  });
});
