import fc from 'fast-check';
import { errors, problems, signals } from './__fixtures__/harness';
import { IncidentReport, mapReport } from './report';
import type { MappingResult } from './signal';

const signal = (result: MappingResult) => signals(result)[0];

const report = {
  reporter: { name: 'Dana Whitfield', email: 'Dana.Whitfield@Example.COM' },
  whatHappened:
    'I got an e-mail from "IT support" <it-support@examp1e-helpdesk.com> asking me to log in at http://examp1e-login.com/reset\n' +
    'and I entered my password before I noticed the address. Dana.Whitfield@example.com is my address.',
  seenAt: '2026-11-24T08:15:00+01:00',
  affectedAsset: { hostname: 'lt-dwhitfield', name: "Dana's laptop" },
  category: 'phishing',
  severityGuess: 'high',
};

describe('mapReport', () => {
  it('maps a report into a trigger signal', () => {
    const s = signal(mapReport(report));
    expect(s).toMatchObject({ action: 'trigger', format: 'report', raw: report });
    expect(s.alert).toEqual({
      title: 'Reported: I got an e-mail from "IT support" <it-support@examp1e-helpdesk.com> asking me to log in at http://examp1e-login.com/reset',
      source: 'report:Dana.Whitfield@example.com',
      severity: 'high',
      occurredAt: '2026-11-24T07:15:00.000Z',
      dedupKey: expect.stringMatching(/^report:[0-9a-f]{40}$/),
      description: `${report.whatHappened}\n\nReported by Dana Whitfield <Dana.Whitfield@example.com>.`,
      category: 'phishing',
      labels: { 'reporter.name': 'Dana Whitfield', 'reporter.email': 'Dana.Whitfield@example.com' },
      assets: [{ hostname: 'lt-dwhitfield', name: "Dana's laptop" }],
      observables: [
        { type: 'email', value: 'it-support@examp1e-helpdesk.com' },
        { type: 'url', value: 'http://examp1e-login.com/reset' },
        { type: 'domain', value: 'examp1e-login.com' },
      ],
    });
  });

  it('defaults the severity to medium and passes the exercise flag', () => {
    const { severityGuess: _s, category: _c, affectedAsset: _a, ...minimal } = report;
    const s = signal(mapReport({ ...minimal, exercise: true }));
    expect(s.alert).toMatchObject({ severity: 'medium', exercise: true });
    expect(s.alert.assets).toBeUndefined();
    expect(s.alert.category).toBeUndefined();
  });

  it('gives the same report sent twice the same key, and another report another', () => {
    const key = (r: unknown) => signal(mapReport(r)).alert.dedupKey;
    expect(key(structuredClone(report))).toBe(key(report));
    expect(key({ ...report, reporter: { ...report.reporter, email: 'dana.whitfield@example.com' } })).toBe(key(report));
    expect(key({ ...report, seenAt: '2026-11-24T07:15:00Z' })).toBe(key(report));
    expect(key({ ...report, whatHappened: 'Something else.' })).not.toBe(key(report));
    expect(key({ ...report, seenAt: '2026-11-24T09:15:00+01:00' })).not.toBe(key(report));
  });

  it('cuts a long first line to a 500-character title', () => {
    expect(signal(mapReport({ ...report, whatHappened: 'x'.repeat(5000) })).alert.title).toHaveLength(500);
  });

  it('rejects unknown fields and names each bad field', () => {
    const bad = {
      reporter: { name: '', email: 'not-an-address', phone: '123' },
      whatHappened: '   ',
      seenAt: '2026-11-24T08:15:00',
      affectedAsset: { hostname: 'x', os: 'windows' },
      category: 'spam',
      severityGuess: 'urgent',
      attachments: [],
    };
    expect(errors(mapReport(bad))).toEqual([
      { pointer: '/reporter/name', detail: 'must not be empty' },
      { pointer: '/reporter/email', detail: 'must be an e-mail address' },
      { pointer: '/reporter/phone', detail: 'is not a known field' },
      { pointer: '/whatHappened', detail: 'must not be empty' },
      { pointer: '/seenAt', detail: 'must be an RFC 3339 date-time with offset, e.g. 2026-11-24T06:40:00Z' },
      { pointer: '/affectedAsset/os', detail: 'is not a known field' },
      { pointer: '/category', detail: expect.stringMatching(/^must be one of: malware, ransomware, phishing/) },
      { pointer: '/severityGuess', detail: 'must be one of: critical, high, medium, low, info' },
      { pointer: '/attachments', detail: 'is not a known field' },
    ]);
  });

  it('refuses a date PostgreSQL cannot store (year 0000, past 9999 in UTC) at validation', () => {
    for (const seenAt of ['0000-06-01T00:00:00Z', '9999-12-31T23:00:00-02:00']) {
      expect(errors(mapReport({ ...report, seenAt }))).toEqual([{ pointer: '/seenAt', detail: expect.stringContaining('between 0001-01-01 and 9999-12-31') }]);
    }
  });

  it('names missing fields', () => {
    expect(errors(mapReport({}))).toEqual([
      { pointer: '/reporter', detail: 'is required' },
      { pointer: '/whatHappened', detail: 'is required' },
      { pointer: '/seenAt', detail: 'is required' },
    ]);
    expect(errors(mapReport({ ...report, affectedAsset: {} }))).toEqual([{ pointer: '/affectedAsset', detail: 'an asset needs at least one of id, hostname, ip or name' }]);
  });

  it('exports its schema for OpenAPI', () => {
    expect(IncidentReport.meta()?.id).toBe('IncidentReport');
    expect(IncidentReport.safeParse((IncidentReport.meta()?.examples as unknown[])[0]).success).toBe(true);
  });

  it('never throws, and maps any valid report into a canonical alert (property)', () => {
    fc.assert(
      fc.property(fc.anything({ withNullPrototype: true, withObjectString: true }), (body) => {
        expect(problems(mapReport(body))).toEqual([]);
      }),
    );
    fc.assert(
      fc.property(
        fc.record({
          reporter: fc.record({ name: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 200 }), email: fc.emailAddress() }),
          whatHappened: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 3000 }),
          seenAt: fc.date({ min: new Date('1970-01-01'), max: new Date('9999-12-31'), noInvalidDate: true }).map((d) => d.toISOString()),
        }),
        (body) => {
          expect(problems(mapReport(body))).toEqual([]);
        },
      ),
    );
  });
});
