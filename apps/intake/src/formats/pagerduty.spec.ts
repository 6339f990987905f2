import fc from 'fast-check';
import { errors, fixture, onlySignal, problems } from './__fixtures__/harness';
import { REDACTED, mapPagerDuty, pagerDutyFieldName, pagerDutyInvalidEvent } from './pagerduty';

const signal = onlySignal;

describe('mapPagerDuty, documented events', () => {
  it('maps the trigger example', () => {
    const result = mapPagerDuty(fixture('pagerduty-trigger.json'));
    const s = signal(result);
    expect(s.action).toBe('trigger');
    expect(s.format).toBe('pagerduty');
    expect(s.alert).toEqual({
      title: 'Example alert on host1.example.com',
      source: 'pagerduty:Sample Monitoring Service',
      severity: 'info',
      occurredAt: '2015-07-17T08:42:58.315Z',
      dedupKey: 'samplekeyhere',
      description: [
        'Example alert on host1.example.com',
        'Source: monitoringtool:cloudvendor:central-region-dc-01:852559987:cluster/api-stats-prod-003',
        'Links:\n- Link text: https://example.com/',
        'Images:\n- Example text: https://www.pagerduty.com/wp-content/uploads/2016/05/pagerduty-logo-green.png (links to https://example.com/)',
        'Details:\n{\n  "ping time": "1500ms",\n  "load avg": 0.75\n}',
      ].join('\n\n'),
      labels: {
        'pagerduty.source': 'monitoringtool:cloudvendor:central-region-dc-01:852559987:cluster/api-stats-prod-003',
        component: 'postgres',
        group: 'prod-datapipe',
        class: 'deploy',
        client: 'Sample Monitoring Service',
        client_url: 'https://monitoring.example.com',
        'details.ping time': '1500ms',
        'details.load avg': '0.75',
      },
      assets: [{ name: 'monitoringtool:cloudvendor:central-region-dc-01:852559987:cluster/api-stats-prod-003' }],
      observables: [{ type: 'domain', value: 'host1.example.com' }],
    });
    expect(result.ok && result.meta).toEqual({ dedupKey: 'samplekeyhere', generatedDedupKey: false });
  });

  it('generates and returns a dedup key for a trigger without one, as PagerDuty does', () => {
    const body = fixture('pagerduty-trigger-without-dedup-key.json');
    const result = mapPagerDuty(body);
    const s = signal(result);
    expect(s.alert.dedupKey).toMatch(/^[0-9a-f]{32}$/);
    expect(result.ok && result.meta).toEqual({ dedupKey: s.alert.dedupKey, generatedDedupKey: true });
    // Each trigger without a key is a new alert.
    expect(signal(mapPagerDuty(body)).alert.dedupKey).not.toBe(s.alert.dedupKey);
    expect(signal(mapPagerDuty(body, { generateDedupKey: () => 'fixed-key' })).alert.dedupKey).toBe('fixed-key');
    expect(s.alert).toMatchObject({
      title: 'DISK at 99% on machine prod-datapipe03.example.com',
      severity: 'critical',
      source: 'pagerduty',
      assets: [{ hostname: 'prod-datapipe03.example.com' }],
      labels: { component: 'mysql', group: 'prod-datapipe', class: 'disk', 'details.free space': '1%' },
    });
    expect(s.alert.occurredAt).toBeUndefined();
  });

  it.each([
    ['acknowledge', 'pagerduty-acknowledge.json'],
    ['resolve', 'pagerduty-resolve.json'],
  ])('maps the %s example onto the dedup key', (action, file) => {
    const s = signal(mapPagerDuty(fixture(file)));
    expect(s.action).toBe(action);
    expect(s.alert).toEqual({ title: `PagerDuty ${action}: dedupkeyhere`, source: 'pagerduty', severity: 'info', dedupKey: 'dedupkeyhere' });
  });

  it('redacts the routing key (the Vigil API key) in the raw payload and keeps everything else', () => {
    const body = fixture('pagerduty-trigger.json');
    const s = signal(mapPagerDuty(body));
    expect(s.raw).toEqual({ ...body, routing_key: REDACTED });
    expect(JSON.stringify(s)).not.toContain(body.routing_key);
  });
});

describe('mapPagerDuty, choices', () => {
  const trigger = fixture('pagerduty-trigger.json');

  it('cuts a 1,024-character summary to a 500-character title and keeps it whole in the description', () => {
    const summary = 'word '.repeat(204) + 'end.';
    expect(summary.length).toBe(1024);
    const s = signal(mapPagerDuty({ ...trigger, payload: { ...trigger.payload, summary } }));
    expect(s.alert.title).toHaveLength(500);
    expect(s.alert.title.endsWith('…')).toBe(true);
    expect(s.alert.description!.startsWith(summary)).toBe(true);
  });

  it('keeps a dedup key of 255 characters verbatim', () => {
    const key = 'k'.repeat(255);
    expect(signal(mapPagerDuty({ ...trigger, dedup_key: key })).alert.dedupKey).toBe(key);
  });

  it('uses a payload on resolve when one is sent', () => {
    const s = signal(mapPagerDuty({ ...fixture('pagerduty-resolve.json'), payload: { summary: 'Disk OK again', severity: 'warning' } }));
    expect(s.alert).toMatchObject({ title: 'Disk OK again', severity: 'medium' });
  });

  it('ignores a malformed payload on acknowledge, as PagerDuty does', () => {
    expect(signal(mapPagerDuty({ ...fixture('pagerduty-acknowledge.json'), payload: 'whatever' })).action).toBe('acknowledge');
  });

  it('labels custom_details that are not an object as a whole', () => {
    const s = signal(mapPagerDuty({ ...trigger, payload: { ...trigger.payload, custom_details: 'free text from 192.0.2.7' } }));
    expect(s.alert.labels?.details).toBe('free text from 192.0.2.7');
    expect(s.alert.observables).toContainEqual({ type: 'ip', value: '192.0.2.7' });
  });
});

describe('mapPagerDuty, malformed events', () => {
  const trigger = fixture('pagerduty-trigger.json');
  const ack = fixture('pagerduty-acknowledge.json');
  const payload = (patch: Record<string, unknown>) => ({ ...trigger, payload: { ...trigger.payload, ...patch } });

  it.each([
    ['no routing_key', { ...trigger, routing_key: undefined }, [["/routing_key", 'is missing or blank']]],
    ['a short routing_key', { ...trigger, routing_key: 'samplekeyhere' }, [['/routing_key', 'length is incorrect (should be 32 characters)']]],
    ['no event_action', { ...trigger, event_action: undefined }, [['/event_action', 'is missing or blank']]],
    ['an unknown event_action', { ...trigger, event_action: 'escalate' }, [['/event_action', 'must be one of: trigger, acknowledge, resolve']]],
    ['a dedup_key of 256 characters', { ...trigger, dedup_key: 'k'.repeat(256) }, [['/dedup_key', 'must be at most 255 characters long']]],
    ['acknowledge without dedup_key', { ...ack, dedup_key: undefined }, [['/dedup_key', 'is missing or blank (required to acknowledge or resolve)']]],
    ['resolve with an empty dedup_key', { ...ack, event_action: 'resolve', dedup_key: '' }, [['/dedup_key', 'is missing or blank']]],
    ['trigger without payload', { ...trigger, payload: undefined }, [['/payload', 'is missing or blank']]],
    ['a blank summary', payload({ summary: '   ' }), [['/payload/summary', 'is missing or blank']]],
    ['a summary over 1,024 characters', payload({ summary: 'x'.repeat(1025) }), [['/payload/summary', 'must be at most 1024 characters long']]],
    ['no source', payload({ source: undefined }), [['/payload/source', 'is missing or blank']]],
    ['an unknown severity', payload({ severity: 'high' }), [['/payload/severity', 'must be one of: critical, error, warning, info']]],
    ['an unreadable timestamp', payload({ timestamp: 'yesterday' }), [['/payload/timestamp', 'is invalid (must be an ISO 8601 date-time)']]],
    ['a link without href', { ...trigger, links: [{ text: 'x' }] }, [['/links/0/href', 'is missing or blank']]],
    ['an image without src', { ...trigger, images: [{ alt: 'x' }] }, [['/images/0/src', 'is missing or blank']]],
    ['a body that is not an object', [1, 2], [['', 'must be an object']]],
  ])('names the bad field: %s', (_, body, expected) => {
    expect(errors(mapPagerDuty(body)).map((e) => [e.pointer, e.detail])).toEqual(expected);
  });

  it('names every bad field at once', () => {
    const body = { routing_key: 'short', event_action: 'trigger', payload: { severity: 'bad' } };
    expect(errors(mapPagerDuty(body)).map((e) => e.pointer)).toEqual(['/routing_key', '/payload/summary', '/payload/source', '/payload/severity']);
  });
});

describe('pagerDutyInvalidEvent', () => {
  it("answers field errors in PagerDuty's 400 body", () => {
    const result = mapPagerDuty({ routing_key: 'abcdefghijklmnopqrstuvwxyz012345', event_action: 'trigger', payload: { source: 'x', severity: 'info' } });
    expect(result.ok).toBe(false);
    expect(pagerDutyInvalidEvent(result.ok ? [] : result.errors)).toEqual({
      status: 'invalid event',
      message: 'Event object is invalid',
      errors: ["'payload.summary' is missing or blank"],
    });
  });

  it('names the body itself and unescapes pointers', () => {
    expect(pagerDutyInvalidEvent([{ pointer: '', detail: 'must be an object' }]).errors).toEqual(['Event must be an object']);
    expect(pagerDutyFieldName('/payload/custom_details/a~1b~0c')).toBe('payload.custom_details.a/b~c');
    expect(pagerDutyFieldName('/links/0/href')).toBe('links.0.href');
  });
});

describe('mapPagerDuty, any input (property)', () => {
  it('never throws on anything', () => {
    fc.assert(
      fc.property(fc.anything({ withNullPrototype: true, withObjectString: true }), (body) => {
        expect(problems(mapPagerDuty(body))).toEqual([]);
      }),
    );
  });

  it('maps near-valid events into canonical alerts or names the bad fields', () => {
    const key = fc.string({ unit: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz0123456789'), minLength: 31, maxLength: 33 });
    fc.assert(
      fc.property(
        fc.record(
          {
            routing_key: key,
            event_action: fc.constantFrom('trigger', 'acknowledge', 'resolve', 'other'),
            dedup_key: fc.string({ maxLength: 260 }),
            payload: fc.record(
              {
                summary: fc.string({ unit: 'grapheme', maxLength: 1100 }),
                source: fc.oneof(fc.domain(), fc.ipV4(), fc.string({ maxLength: 400 })),
                severity: fc.constantFrom('critical', 'error', 'warning', 'info', 'fatal'),
                timestamp: fc.oneof(fc.date({ noInvalidDate: true }).map((d) => d.toISOString()), fc.string()),
                custom_details: fc.jsonValue(),
                component: fc.string(),
              },
              { requiredKeys: [] },
            ),
            links: fc.array(fc.record({ href: fc.webUrl(), text: fc.string() }), { maxLength: 3 }),
            client: fc.string({ maxLength: 300 }),
          },
          { requiredKeys: ['routing_key', 'event_action'] },
        ),
        (body) => {
          const result = mapPagerDuty(body);
          expect(problems(result)).toEqual([]);
          if (result.ok) expect(result.signals[0].raw).toMatchObject({ routing_key: REDACTED });
        },
      ),
    );
  });
});
