import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { as, createIntegration, eventually, http, incidentAction, SERVICES, startReceiver, startService, testEnv, type ServiceName, type ServiceProcess } from '../../../test/support/harness';
import { ensurePoppler, pdfText } from '../../../test/support/poppler';

/**
 * The record of a full incident: an alert through intake, triage's lifecycle with a classification,
 * a notification delivered by comms, tasks done in tasking, a completed review with an action item,
 * and closing. Its report, as Markdown and as PDF (read back with poppler's pdftotext), holds the
 * timeline, the MTTx figures and the communications sent.
 */
describe('incident report (five services, real Kafka and PostgreSQL)', () => {
  const services = {} as Record<ServiceName, ServiceProcess>;
  const url = (s: ServiceName) => services[s].url;
  let webhook: Awaited<ReturnType<typeof startReceiver>>;
  let apiKey: string;
  let poppler: ReturnType<typeof ensurePoppler>;
  const outDir = join(testEnv().workDir, 'reports');

  beforeAll(async () => {
    poppler = ensurePoppler();
    mkdirSync(outDir, { recursive: true });
    webhook = await startReceiver();
    const started = await Promise.all(SERVICES.map((s) => startService(s, s === 'comms' ? { COMMS_WEBHOOK_URL: `${webhook.url}/ir-team`, COMMS_RETRY_BASE_MS: '100' } : {})));
    started.forEach((s) => (services[s.name as ServiceName] = s));
    ({ apiKey } = await createIntegration(url('intake'), 'canonical'));
  }, 240_000);

  afterAll(async () => {
    await Promise.all(Object.values(services).map((s) => s.stop()));
    await webhook?.close();
  });

  it('holds the timeline, the MTTx and the communications of the incident, in Markdown and in PDF', async () => {
    const alice = await as('alice');
    const irene = await as('irene');
    const sam = await as('sam');
    const title = `Ransomware note on fs-01 ${randomUUID().slice(0, 8)}`;
    const occurredAt = new Date(Date.now() - 150_000).toISOString();
    const sent = await http(
      'POST',
      `${url('intake')}/v1/alerts`,
      {
        title,
        source: 'edr:crowdstrike',
        severity: 'critical',
        category: 'ransomware',
        occurredAt,
        assets: [{ hostname: 'fs-01', ip: '10.0.8.15' }],
        observables: [{ type: 'hash', value: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855' }],
      },
      { authorization: `Bearer ${apiKey}` },
    );
    expect(sent.status).toBe(202);
    const { incidentId } = await eventually(async () => {
      const a = await http('GET', `${url('triage')}/v1/alerts/${sent.json.alertId}`);
      return a.status === 200 && a.json.incidentId ? a.json : undefined;
    }, 60_000);
    const path = `${url('triage')}/v1/incidents/${incidentId}`;
    await eventually(async () => ((await http('GET', `${url('comms')}/v1/incidents/${incidentId}/notifications`)).json.items[0]?.status === 'delivered' ? true : undefined), 60_000);

    expect((await incidentAction(path, 'acknowledge', {}, alice)).status).toBe(200);
    expect((await incidentAction(path, 'classify', { functionalImpact: 'high', informationImpact: 'integrity', recoverability: 'extended', reason: 'shares encrypted on fs-01' }, alice)).status).toBe(200);
    expect((await incidentAction(path, 'assignment', { owner: 'u-irene', responders: ['u-alice', 'u-sam'] }, irene)).status).toBe(200);
    for (const to of ['triaged', 'contained', 'eradicated', 'recovered', 'post_incident']) expect((await incidentAction(path, 'transition', { to }, sam)).status).toBe(200);

    // Sam did the containment task.
    const tasks = await eventually(async () => {
      const items = (await http('GET', `${url('tasking')}/v1/incidents/${incidentId}/tasks`, undefined, sam)).json.items;
      return items.length >= 6 ? items : undefined;
    });
    const contain = tasks.find((t: { title: string }) => t.title.startsWith('Contain'));
    expect((await http('POST', `${url('tasking')}/v1/incidents/${incidentId}/tasks/${contain.taskId}/completion`, { note: 'fs-01 isolated' }, sam)).status).toBe(200);

    // The review, written and completed, with an action item.
    const reviewUrl = `${url('reporting')}/v1/incidents/${incidentId}/review`;
    const etag = async () =>
      (
        await eventually(async () => {
          const r = await http('GET', reviewUrl, undefined, alice);
          return r.status === 200 ? r : undefined;
        }, 60_000)
      ).headers.get('etag')!;
    expect(
      (
        await http(
          'PATCH',
          reviewUrl,
          { summary: 'Ransomware encrypted the shares of fs-01.', impact: 'Finance shares offline for three hours.', rootCause: 'An exposed RDP service with a reused password.', whatWorked: ['Isolation within the hour'] },
          { ...alice, 'if-match': await etag() },
        )
      ).status,
    ).toBe(200);
    expect((await http('POST', `${reviewUrl}/action-items`, { title: 'Close RDP to the internet', type: 'control', owner: 'u-sam', dueAt: new Date(Date.now() + 7 * 86_400_000).toISOString() }, alice)).status).toBe(201);
    expect((await http('POST', `${reviewUrl}/transition`, { to: 'in_review' }, { ...alice, 'if-match': await etag() })).status).toBe(200);
    expect((await http('POST', `${reviewUrl}/completion`, {}, { ...irene, 'if-match': await etag() })).status).toBe(200);
    await eventually(async () => ((await incidentAction(path, 'transition', { to: 'closed' }, irene)).status === 200 ? true : undefined));

    // Everything has reached reporting: the close, the task done, the notification.
    const timeline = await eventually(async () => {
      const entries: Array<{ type: string; summary: string }> = (await http('GET', `${url('reporting')}/v1/incidents/${incidentId}/timeline`, undefined, alice)).json?.entries ?? [];
      const types = new Set(entries.map((e) => e.type));
      return ['vigil.notification.delivered.v1', 'vigil.task.completed.v1', 'vigil.review.state-changed.v1'].every((t) => types.has(t)) &&
        entries.some((e) => e.summary.includes('post_incident → closed'))
        ? entries
        : undefined;
    }, 60_000);
    const clock = (await http('GET', path, undefined, alice)).json.timestamps;
    const minutesSeconds = (from: string, to: string) => {
      const s = Math.round((Date.parse(to) - Date.parse(from)) / 1000);
      return s < 60 ? `${s} s` : `${Math.floor(s / 60)} min ${s % 60} s`;
    };
    const mttd = minutesSeconds(clock.occurredAt, clock.detectedAt);
    const mtta = minutesSeconds(clock.detectedAt, clock.acknowledgedAt);

    const md = await http('GET', `${url('reporting')}/v1/incidents/${incidentId}/report`, undefined, await as('maria'));
    expect(md.status).toBe(200);
    expect(md.headers.get('content-type')).toContain('text/markdown');
    expect(md.headers.get('content-disposition')).toBe(`attachment; filename="incident-${incidentId}.md"`);
    writeFileSync(join(outDir, `incident-${incidentId}.md`), md.text);
    for (const section of ['## Classification and severity', '## Clock and response times', '## Timeline', '## Tasks and who did them', '## Communications sent', '## Post-incident review', '## Audit digest']) {
      expect(md.text).toContain(section);
    }
    expect(md.text).toContain(`| MTTD (time to detect) | detectedAt − occurredAt | ${mttd} |`);
    expect(md.text).toContain(`| MTTA (time to acknowledge) | acknowledgedAt − detectedAt | ${mtta} |`);
    expect(md.text).toContain('shares encrypted on fs-01');
    expect(md.text).toContain('Notification to ir_team via webhook delivered after 1 attempt(s)');
    expect(md.text).toMatch(/\| Contain: isolate affected hosts.* \| done \| u-sam \|/);
    expect(md.text).toContain('Close RDP to the internet');
    expect(md.text).toMatch(/- \*\*Records naming this incident:\*\* [1-9]\d* \(sequence \d+ to \d+\)/);

    const pdf = await fetch(`${url('reporting')}/v1/incidents/${incidentId}/report?format=pdf`, { headers: await as('maria') });
    expect(pdf.status).toBe(200);
    expect(pdf.headers.get('content-type')).toBe('application/pdf');
    const file = join(outDir, `incident-${incidentId}.pdf`);
    writeFileSync(file, Buffer.from(await pdf.arrayBuffer()));
    const text = pdfText(poppler.pdftotext, file);
    // pdftotext lays tables out in columns: compare with runs of spaces folded.
    const flat = text.replace(/\s+/g, ' ');
    expect(flat).toContain(`Incident report: ${title}`);
    expect(flat).toContain('Timeline');
    for (const entry of timeline.filter((e) => e.type === 'vigil.incident.phase-changed.v1')) {
      expect(flat).toContain(entry.summary.replace('→', '->').replace(/ by .*$/, ''));
    }
    // …and may drop the space between a figure and its unit ("1s").
    const tight = flat.replace(/ /g, '');
    expect(tight).toContain(`MTTD(timetodetect)detectedAt-occurredAt${mttd.replace(/ /g, '')}`);
    expect(tight).toContain(`MTTA(timetoacknowledge)acknowledgedAt-detectedAt${mtta.replace(/ /g, '')}`);
    expect(flat).toContain('Communications sent');
    expect(flat).toContain('Notification to ir_team via webhook delivered after 1 attempt(s)');
    expect(flat).toContain('Close RDP to the internet');
    expect(flat).toMatch(/page 1 of \d+/);

    // A page as an image, to look at.
    execFileSync(poppler.pdftoppm, ['-png', '-r', '60', '-f', '1', '-l', '2', file, join(outDir, `incident-${incidentId}`)]);
    const page = [`incident-${incidentId}-1.png`, `incident-${incidentId}-01.png`].map((f) => join(outDir, f)).find((f) => existsSync(f))!;
    expect(statSync(page).size).toBeGreaterThan(5_000);
    if (process.env.VIGIL_REPORT_DIR) {
      mkdirSync(process.env.VIGIL_REPORT_DIR, { recursive: true });
      for (const [from, to] of [
        [file, 'incident-report.pdf'],
        [page, 'incident-report-page-1.png'],
        [join(outDir, `incident-${incidentId}.md`), 'incident-report.md'],
      ]) execFileSync('cp', [from, join(process.env.VIGIL_REPORT_DIR, to)]);
    }

    // Hidden where the incident is: an analyst not on a restricted incident gets a 404.
    expect((await http('GET', `${url('reporting')}/v1/incidents/${randomUUID()}/report`, undefined, alice)).status).toBe(404);
  });
});
