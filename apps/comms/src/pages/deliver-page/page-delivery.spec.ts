import type { EmailParts } from '../../channels/providers/email.channel';
import { canPage, formatPage, routeOf } from './page-delivery';

const page = {
  pageId: '6f1c1f9e-3a57-4c38-9a43-0c3b7e2f4c11',
  escalationId: '5d6e7f80-1a2b-4c3d-8e4f-5a6b7c8d9e0f',
  incidentId: '3f1c2b4a-5d6e-4f70-8a9b-0c1d2e3f4a5b',
  step: { number: 1, cycle: 0, key: '0.1' },
  person: { personId: '9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a', name: 'Alice', timeZone: 'UTC', contactMethods: [] },
  incident: { title: 'Beacon to evil.example from ws-17', severity: 'SEV2' as const, category: 'malware' as const, exercise: false, restricted: false, link: 'https://triage.example/v1/incidents/3f1c' },
  acknowledge: { url: 'https://triage.example/v1/incidents/3f1c/acknowledge', escalationUrl: 'https://tasking.example/v1/escalations/5d6e/acknowledge', instructions: 'POST with If-Match.' },
  reason: 'SEV2 incident opened and not acknowledged',
  requestedAt: '2026-11-24T06:41:07Z',
};

describe(formatPage.name, () => {
  it('formats an e-mail page with the provider: from COMMS_SMTP_FROM to the person, the title defanged, the links kept', () => {
    const outgoing = formatPage({ channel: 'email', target: 'alice@soc.example' }, page, { COMMS_SMTP_FROM: 'Vigil <vigil@soc.example>' });
    const parts = JSON.parse(outgoing.body) as EmailParts;
    expect(outgoing.recipients).toEqual(['alice@soc.example']);
    expect(parts).toMatchObject({ from: 'Vigil <vigil@soc.example>', to: ['alice@soc.example'], subject: '[Vigil] SEV2 malware: Beacon to evil[.]example from ws-17' });
    expect(parts.text).toContain(`Acknowledge: POST ${page.acknowledge.url}`);
    expect(parts.html).toContain(page.incident.link);
    expect(parts.html).not.toContain('evil.example');
  });

  it('formats a webhook page as JSON with the page itself as data', () => {
    const outgoing = formatPage({ channel: 'webhook', target: 'https://chat.example/hook' }, page, { COMMS_SMTP_FROM: 'x@y.z' });
    const body = JSON.parse(outgoing.body);
    expect(body).toMatchObject({ type: 'vigil.page', subject: '[Vigil] SEV2 malware: Beacon to evil[.]example from ws-17', page: { pageId: page.pageId } });
    expect(body.text).toContain(`Incident: ${page.incident.link}`);
    expect(outgoing.recipients).toEqual(['https://chat.example/hook']);
  });
});

describe(routeOf.name, () => {
  it('routes e-mail and webhook methods, and not yet chat ids or phone numbers', () => {
    expect(routeOf({ kind: 'email', address: 'a@b.example' })).toEqual({ channel: 'email', target: 'a@b.example' });
    expect(routeOf({ kind: 'webhook', url: 'https://chat.example/hook' })).toEqual({ channel: 'webhook', target: 'https://chat.example/hook' });
    expect(routeOf({ kind: 'phone', number: '+4915112345678' })).toBeNull();
  });

  it('pages by e-mail only with an SMTP server', () => {
    expect(canPage({ COMMS_SMTP_URL: undefined }, 'email')).toBe(false);
    expect(canPage({ COMMS_SMTP_URL: 'smtp://127.0.0.1:25' }, 'email')).toBe(true);
    expect(canPage({ COMMS_SMTP_URL: undefined }, 'webhook')).toBe(true);
  });
});
