import { escapePlain, escapeSlack } from '../../channels/escaping';
import { pageMessage } from './page-message';

const page = {
  pageId: '6f1c1f9e-3a57-4c38-9a43-0c3b7e2f4c11',
  escalationId: '5d6e7f80-1a2b-4c3d-8e4f-5a6b7c8d9e0f',
  incidentId: '3f1c2b4a-5d6e-4f70-8a9b-0c1d2e3f4a5b',
  step: { number: 2, cycle: 1, key: '1.2' },
  person: { personId: '9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a', name: 'Bob', timeZone: 'UTC', contactMethods: [] },
  incident: { title: 'Ransomware on fs-02', severity: 'SEV1' as const, category: 'ransomware' as const, exercise: true, restricted: false, link: 'https://triage.example/v1/incidents/3f1c' },
  acknowledge: { url: 'https://triage.example/v1/incidents/3f1c/acknowledge', escalationUrl: 'https://tasking.example/v1/escalations/5d6e/acknowledge', instructions: 'POST with If-Match.' },
  reason: 'SEV1 incident opened and not acknowledged',
  requestedAt: '2026-11-24T06:41:07Z',
};

describe(pageMessage.name, () => {
  it('says what, how bad, why, where to read it and how to acknowledge it, marked as an exercise', () => {
    const { subject, text } = pageMessage(page, escapePlain);
    expect(subject).toBe('[EXERCISE] [Vigil] SEV1 ransomware: Ransomware on fs-02');
    expect(text).toContain('Bob, you are paged');
    expect(text).toContain('escalation step 2, repeat 1');
    expect(text).toContain(`Incident: ${page.incident.link}`);
    expect(text).toContain(`Acknowledge: POST ${page.acknowledge.url}`);
    expect(text).toContain(page.acknowledge.escalationUrl);
  });

  it("escapes the alert's text for the channel but keeps Vigil's own links usable", () => {
    const hostile = { ...page, incident: { ...page.incident, exercise: false, title: '<!channel> see https://evil.example/x @here' } };
    const plain = pageMessage(hostile, escapePlain);
    expect(plain.subject).toBe('[Vigil] SEV1 ransomware: <!channel> see https[:]//evil[.]example/x ＠here');
    expect(plain.text).not.toContain('https://evil.example');
    expect(plain.text).toContain(`Acknowledge: POST ${page.acknowledge.url}`);
    const slack = pageMessage(hostile, escapeSlack);
    expect(slack.subject).not.toContain('<!channel>');
    expect(slack.text).toContain('&lt;!channel&gt;');
  });
});
