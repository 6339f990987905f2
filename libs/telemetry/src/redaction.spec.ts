import { redactQuery, redactUrl, redactUrlsIn } from './redaction';

describe('redaction of credentials in URLs', () => {
  const key = 'abcdefgh0123456789abcdefghijklmn';

  it('replaces the value of api_key (and other credential parameters) whatever their case, and keeps the rest', () => {
    expect(redactUrl(`/v1/integrations/splunk?api_key=${key}&dry=1`)).toBe('/v1/integrations/splunk?api_key=REDACTED&dry=1');
    expect(redactQuery(`API_KEY=${key}&token=t&Api%5Fkey=${key}&q=x`)).toBe('API_KEY=REDACTED&token=REDACTED&Api%5Fkey=REDACTED&q=x');
    expect(redactUrl(`https://h.example/p?x=1&api_key=${key}#frag`)).toBe('https://h.example/p?x=1&api_key=REDACTED#frag');
    expect(redactUrl('/v1/alerts')).toBe('/v1/alerts');
    expect(redactQuery('api_key')).toBe('api_key=REDACTED');
  });

  it('finds URLs inside text', () => {
    expect(redactUrlsIn(`POST /v1/alerts?api_key=${key} failed`)).toBe('POST /v1/alerts?api_key=REDACTED failed');
    expect(redactUrlsIn('nothing here')).toBe('nothing here');
  });
});
