import fc from 'fast-check';
import { errors, fixture, onlySignal, problems } from './__fixtures__/harness';
import { mapSplunk, searchOfSid } from './splunk';

const signal = onlySignal;

describe('mapSplunk, documented payloads', () => {
  it("maps Splunk's webhook example, whose search_name is null", () => {
    const body = fixture('splunk-webhook.json');
    const s = signal(mapSplunk(body));
    expect(s).toMatchObject({ action: 'trigger', format: 'splunk', raw: body });
    expect(s.alert).toEqual({
      title: 'Splunk alert: scheduler_admin_search_W2',
      source: 'splunk:search',
      severity: 'medium',
      dedupKey: expect.stringMatching(/^splunk:[0-9a-f]{40}$/),
      description:
        'Splunk search "scheduler_admin_search_W2" in app search triggered an alert.\n\n' +
        'Results: http://web.example.local:8000/app/search/@go?sid=scheduler_admin_search_W2_at_14232356_132\n\n' +
        'First result:\nsourcetype: mongod\ncount: 8',
      labels: {
        'splunk.sid': 'scheduler_admin_search_W2_at_14232356_132',
        'splunk.app': 'search',
        'splunk.owner': 'admin',
        'splunk.results_link': 'http://web.example.local:8000/app/search/@go?sid=scheduler_admin_search_W2_at_14232356_132',
        'result.sourcetype': 'mongod',
        'result.count': '8',
      },
    });
  });

  it('maps a named search with a result row: host and dest as assets, indicators from the raw event', () => {
    const s = signal(mapSplunk(fixture('splunk-webhook-failed-logins.json')));
    expect(s.alert).toMatchObject({
      title: 'Excessive failed SSH logins',
      source: 'splunk:search',
      severity: 'high',
      occurredAt: '2025-11-24T16:00:00.000Z',
      assets: [{ hostname: 'web-01.corp.example.com' }, { ip: '10.0.4.21' }],
    });
    expect(s.alert.labels).toMatchObject({ 'splunk.search_name': 'Excessive failed SSH logins', 'result.src': '203.0.113.9', 'result.urgency': 'high' });
    expect(s.alert.observables).toEqual([
      { type: 'domain', value: 'web-01.corp.example.com' },
      { type: 'ip', value: '203.0.113.9' },
      { type: 'ip', value: '10.0.4.21' },
      { type: 'user', value: 'svc_backup' },
      { type: 'url', value: 'http://malicious.example.net/stage2.sh' },
      { type: 'domain', value: 'malicious.example.net' },
      { type: 'hash', value: '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08' },
    ]);
  });
});

describe('mapSplunk, deduplication', () => {
  const body = fixture('splunk-webhook-failed-logins.json');
  const key = (b: unknown) => signal(mapSplunk(b)).alert.dedupKey;

  it('is the same when the same search fires again for the same host', () => {
    const again = { ...body, sid: 'scheduler__admin__search__RMD5473cbac83d6c9db7_at_1764003600_124', result: { ...body.result, count: '52', src: '198.51.100.4' } };
    expect(key(again)).toBe(key(body));
  });

  it('differs for another host, another search or another app', () => {
    expect(key({ ...body, result: { ...body.result, host: 'web-02' } })).not.toBe(key(body));
    expect(key({ ...body, search_name: 'Other search' })).not.toBe(key(body));
    expect(key({ ...body, app: 'SplunkEnterpriseSecuritySuite' })).not.toBe(key(body));
  });

  it('names the search by its sid without the per-run suffix when search_name is null', () => {
    expect(searchOfSid('scheduler_admin_search_W2_at_14232356_132')).toBe('scheduler_admin_search_W2');
    expect(searchOfSid('1764000000.123')).toBe('1764000000.123');
    const doc = fixture('splunk-webhook.json');
    expect(key({ ...doc, sid: 'scheduler_admin_search_W2_at_14239956_133' })).toBe(key(doc));
  });
});

describe('mapSplunk, choices', () => {
  const body = fixture('splunk-webhook-failed-logins.json');

  it('joins multivalue fields and reads ISO _time', () => {
    const s = signal(mapSplunk({ ...body, result: { host: ['web-01', 'web-02'], _time: '2026-11-24T06:40:00.000+01:00', tag: ['a', 'b'] } }));
    expect(s.alert.labels).toMatchObject({ 'result.host': 'web-01, web-02', 'result.tag': 'a, b' });
    expect(s.alert.assets).toEqual([{ hostname: 'web-01' }]);
    expect(s.alert.occurredAt).toBe('2026-11-24T05:40:00.000Z');
  });

  it('ignores an unreadable _time and a missing result', () => {
    expect(signal(mapSplunk({ ...body, result: { _time: 'now' } })).alert.occurredAt).toBeUndefined();
    expect(signal(mapSplunk({ sid: 'adhoc_1' })).alert).toMatchObject({ title: 'Splunk alert: adhoc_1', source: 'splunk' });
  });

  it('keeps a result of 300 fields within 100 labels', () => {
    const result = Object.fromEntries(Array.from({ length: 300 }, (_, i) => [`f${i}`, 'v'.repeat(3000)]));
    const s = signal(mapSplunk({ ...body, result }));
    expect(Object.keys(s.alert.labels!)).toHaveLength(100);
    expect(s.alert.labels!['splunk.sid']).toBe(body.sid);
  });
});

describe('mapSplunk, malformed payloads', () => {
  const body = fixture('splunk-webhook.json');

  it.each([
    ['no sid', { ...body, sid: undefined }, [['/sid', 'is required']]],
    ['a blank sid', { ...body, sid: ' ' }, [['/sid', 'must not be empty']]],
    ['a result that is a list', { ...body, result: ['a'] }, [['/result', 'must be an object']]],
    ['a search_name that is a number', { ...body, search_name: 5 }, [['/search_name', 'must be a string']]],
    ['an app that is an object', { ...body, app: {} }, [['/app', 'must be a string']]],
    ['not an object', null, [['', 'must be an object, not null']]],
  ])('names the bad field: %s', (_, payload, expected) => {
    expect(errors(mapSplunk(payload)).map((e) => [e.pointer, e.detail])).toEqual(expected);
  });
});

describe('mapSplunk, any input (property)', () => {
  it('never throws on anything', () => {
    fc.assert(
      fc.property(fc.anything({ withNullPrototype: true, withObjectString: true }), (b) => {
        expect(problems(mapSplunk(b))).toEqual([]);
      }),
    );
  });

  it('maps near-valid payloads into canonical alerts or names the bad fields', () => {
    fc.assert(
      fc.property(
        fc.record(
          {
            result: fc.dictionary(fc.string({ maxLength: 250 }), fc.oneof(fc.string({ maxLength: 2500 }), fc.array(fc.string()), fc.jsonValue()), { maxKeys: 120 }),
            sid: fc.string({ maxLength: 400 }),
            search_name: fc.option(fc.string({ unit: 'grapheme', maxLength: 700 })),
            results_link: fc.option(fc.webUrl()),
            app: fc.option(fc.string({ maxLength: 300 })),
            owner: fc.option(fc.string()),
          },
          { requiredKeys: ['sid'] },
        ),
        (b) => {
          expect(problems(mapSplunk(b))).toEqual([]);
        },
      ),
    );
  });
});
