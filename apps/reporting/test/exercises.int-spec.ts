import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { as, createIntegration, eventually, http, incidentAction, startService, testEnv, type ServiceProcess } from '../../../test/support/harness';
import { ensurePoppler, pdfText } from '../../../test/support/poppler';

/**
 * A ransomware exercise run from its scenario over the real path: injects posted to intake with
 * the exercise integration keys, through Kafka to triage, which opens the exercise incident the
 * team works. The team acknowledges and triages in time but deliberately never contains: the
 * after-action report marks containment missed. Nothing of it enters the real KPIs.
 */
describe('a ransomware exercise (real Kafka and PostgreSQL)', () => {
  let intake: ServiceProcess;
  let triage: ServiceProcess;
  let tasking: ServiceProcess;
  let reporting: ServiceProcess;

  beforeAll(async () => {
    intake = await startService('intake');
    // Later alerts name the exercise incident (vigil_incident): intake keeps that label only from a trusted integration.
    const [alerts, reports] = [await createIntegration(intake.url, 'canonical', { allowIncidentReference: true }), await createIntegration(intake.url, 'report')];
    [triage, tasking, reporting] = await Promise.all([
      startService('triage'),
      startService('tasking'),
      startService('reporting', {
        REPORTING_EXERCISE_INTAKE_URL: intake.url,
        REPORTING_EXERCISE_ALERT_KEY: alerts.apiKey,
        REPORTING_EXERCISE_REPORT_KEY: reports.apiKey,
        REPORTING_EXERCISE_TICK_MS: '200',
      }),
    ]);
  }, 240_000);

  afterAll(async () => {
    await Promise.all([intake, triage, tasking, reporting].filter(Boolean).map((s) => s.stop()));
  });

  it('lists the scenario library with ATT&CK techniques, and only an IR manager starts an exercise', async () => {
    const list = (await http('GET', `${reporting.url}/v1/exercise-scenarios`, undefined, await as('maria'))).json.items;
    expect(list.map((s: { key: string }) => s.key).sort()).toEqual(['customer-data-breach', 'ddos', 'insider-exfiltration', 'phishing-credential-theft', 'ransomware']);
    const ransomware = (await http('GET', `${reporting.url}/v1/exercise-scenarios/ransomware`, undefined, await as('alice'))).json;
    expect(ransomware.attack).toContain('T1486');
    expect((await http('POST', `${reporting.url}/v1/exercises`, { scenario: 'ransomware' }, await as('alice'))).status).toBe(403);
    expect((await http('POST', `${reporting.url}/v1/exercises`, { scenario: 'no-such-scenario' }, await as('irene'))).status).toBe(404);
  });

  it('runs the scenario, judges each expected action, and reports the missed containment as missed', async () => {
    const irene = await as('irene');
    const alice = await as('alice');
    const started = await http('POST', `${reporting.url}/v1/exercises`, { scenario: 'ransomware', title: `Q4 ransomware drill ${randomUUID().slice(0, 8)}` }, irene);
    expect(started.status).toBe(201);
    const exerciseId: string = started.json.exerciseId;
    expect(started.json).toMatchObject({ scenario: 'ransomware', state: 'running', startedBy: 'u-irene', score: null });
    expect(started.json.injects.map((i: { key: string; atMinutes: number }) => [i.key, i.atMinutes])).toEqual([
      ['edr-mass-rename', 0],
      ['service-desk-calls', 4],
      ['edr-second-server', 10],
      ['rdp-gateway-logins', 15],
      ['extortion-mail', 25],
      ['backup-status', 45],
    ]);
    const exercise = async () => (await http('GET', `${reporting.url}/v1/exercises/${exerciseId}`, undefined, irene)).json;

    // T+0: the first alert goes through intake, Kafka and triage, and opens the exercise incident.
    const opened = await eventually(async () => {
      const e = await exercise();
      return e.incidentId ? e : undefined;
    }, 60_000);
    expect(opened.injects[0]).toMatchObject({ key: 'edr-mass-rename', status: 'sent', alertId: expect.any(String) });
    const incidentPath = `${triage.url}/v1/incidents/${opened.incidentId}`;
    const incident = (await http('GET', incidentPath, undefined, alice)).json;
    expect(incident).toMatchObject({ exercise: true, category: 'ransomware', severity: 'SEV1' });
    const raw = (await http('GET', `${intake.url}/v1/alerts/${opened.injects[0].alertId}`, undefined, irene)).json;
    expect(raw).toMatchObject({ format: 'canonical', dedupKey: `exercise:${exerciseId}:edr-mass-rename`, alert: { exercise: true } });

    // The team: acknowledges and triages within their targets. It never contains.
    expect((await incidentAction(incidentPath, 'acknowledge', {}, alice)).status).toBe(200);
    expect((await incidentAction(incidentPath, 'transition', { to: 'triaged' }, alice)).status).toBe(200);

    // The controller moves the exercise on: the next alert joins the same exercise incident.
    const released = await http('POST', `${reporting.url}/v1/exercises/${exerciseId}/injects/edr-second-server/release`, {}, irene);
    expect(released.status).toBe(200);
    await eventually(async () => ((await http('GET', incidentPath, undefined, alice)).json.alertCount === 2 ? true : undefined), 60_000);
    // Once the worker has recorded the inject as sent (triage may place its alert a moment before
    // that), releasing it again is refused; until then a second release only keeps it due.
    const again = await eventually(async () => {
      const res = await http('POST', `${reporting.url}/v1/exercises/${exerciseId}/injects/edr-second-server/release`, {}, irene);
      return res.status === 409 ? res : undefined;
    }, 30_000);
    expect(again.json).toMatchObject({ status: 'sent' });
    const running = await eventually(async () => {
      const e = await exercise();
      return e.expectedActions.find((a: { key: string }) => a.key === 'triage').outcome === 'met' ? e : undefined;
    });
    expect(running.expectedActions.find((a: { key: string }) => a.key === 'contain')).toMatchObject({ outcome: 'pending', targetMinutes: 60 });

    // The evaluator: the regulator's clock was started (seen, not recorded by any event); ratings.
    const observed = await http('POST', `${reporting.url}/v1/exercises/${exerciseId}/observations`, { expectedAction: 'regulator-clock', at: new Date().toISOString(), note: 'DPO called the authority' }, irene);
    expect(observed.status).toBe(200);
    expect((await http('POST', `${reporting.url}/v1/exercises/${exerciseId}/observations`, { expectedAction: 'dance', at: new Date().toISOString() }, irene)).json.errors[0].pointer).toBe('/expectedAction');
    expect((await http('PUT', `${reporting.url}/v1/exercises/${exerciseId}/ratings/detection`, { rating: 'P', strengths: ['Acknowledged in under a minute'] }, irene)).status).toBe(200);
    expect((await http('PUT', `${reporting.url}/v1/exercises/${exerciseId}/ratings/containment`, { rating: 'U', areasForImprovement: ['Nobody isolated the file servers'] }, irene)).status).toBe(200);

    // The end: what was not seen is missed; the score is kept.
    const ended = await http('POST', `${reporting.url}/v1/exercises/${exerciseId}/end`, {}, irene);
    expect(ended.status).toBe(200);
    expect(ended.json.state).toBe('ended');
    const outcomes = Object.fromEntries(ended.json.expectedActions.map((a: { key: string; outcome: string }) => [a.key, a.outcome]));
    expect(outcomes).toEqual({
      acknowledge: 'met',
      triage: 'met',
      contain: 'missed',
      recover: 'missed',
      'notify-ir-team': 'missed', // comms is not part of this run: nobody was notified
      'regulator-clock': 'met',
      'customer-notice': 'missed',
    });
    expect(ended.json.score).toBeCloseTo(3 / 7, 10);
    expect(ended.json.injects.filter((i: { status: string }) => i.status === 'cancelled').map((i: { key: string }) => i.key)).toEqual(
      expect.arrayContaining(['rdp-gateway-logins', 'extortion-mail', 'backup-status']),
    );
    expect(ended.json.capabilities.find((c: { key: string }) => c.key === 'containment')).toMatchObject({ met: 0, missed: 1, rating: 'U' });
    expect((await http('POST', `${reporting.url}/v1/exercises/${exerciseId}/end`, {}, irene)).status).toBe(409);

    // The improvement plan: its item becomes an action item and a task, like a review's.
    const item = await http(
      'POST',
      `${reporting.url}/v1/exercises/${exerciseId}/improvement-items`,
      { title: 'Rehearse isolating the file servers', capability: 'containment', type: 'training', owner: 'u-sam', dueAt: new Date(Date.now() + 30 * 86_400_000).toISOString() },
      irene,
    );
    expect(item.status).toBe(201);
    expect(item.json).toMatchObject({ origin: 'exercise', exerciseId, incidentId: opened.incidentId, capability: 'containment', status: 'open' });
    const task = await eventually(async () =>
      (await http('GET', `${tasking.url}/v1/incidents/${opened.incidentId}/tasks`, undefined, alice)).json.items.find((t: { actionItemId?: string }) => t.actionItemId === item.json.actionItemId),
    );
    expect(task).toMatchObject({ assignee: 'u-sam', title: 'Training: Rehearse isolating the file servers' });

    // The after-action report, Markdown and PDF.
    const md = await http('GET', `${reporting.url}/v1/exercises/${exerciseId}/after-action-report`, undefined, await as('maria'));
    expect(md.status).toBe(200);
    writeFileSync(join(testEnv().workDir, `after-action-report-${exerciseId}.md`), md.text);
    expect(md.text).toMatch(/\| Contain the incident \(file servers isolated, accounts disabled\) \| containment \| T\+60 min \| — \| MISSED \| incident clock: containedAt \|/);
    expect(md.text).toMatch(/\| Acknowledge the incident \| detection \| T\+5 min \| T\+\d+(\.\d)? min \| MET \| incident clock: acknowledgedAt \|/);
    expect(md.text).toContain('| Regulator clock started on awareness of a personal-data breach (GDPR art. 33, 72 h) | communications | T+60 min |');
    expect(md.text).toContain('U (Unable to be performed)');
    expect(md.text).toContain('| Rehearse isolating the file servers | containment | training | u-sam |');
    expect(md.text).toContain('T1486');
    const pdf = await fetch(`${reporting.url}/v1/exercises/${exerciseId}/after-action-report?format=pdf`, { headers: irene });
    expect(pdf.headers.get('content-type')).toBe('application/pdf');
    const file = join(testEnv().workDir, `after-action-report-${exerciseId}.pdf`);
    writeFileSync(file, Buffer.from(await pdf.arrayBuffer()));
    const text = pdfText(ensurePoppler().pdftotext, file).replace(/\s+/g, ' ');
    expect(text).toMatch(/Contain the incident \(file servers isolated, containment T\+60 min — MISSED/);
    expect(text).toContain('Rehearse isolating the file servers');

    // Exercises stay out of the real figures: the exercise incident counts only where asked for.
    const window = `from=${new Date(Date.parse(started.json.startedAt) - 1000).toISOString()}&to=${new Date(Date.now() + 60_000).toISOString()}`;
    const real = (await http('GET', `${reporting.url}/v1/kpis?${window}&category=ransomware`)).json;
    expect(real.incidents.count).toBe(0);
    expect(real.mtta.count).toBe(0);
    // (reporting's clock of the exercise incident follows its events: wait for the acknowledgement.
    // The injects may join an exercise incident an earlier suite's ransomware exercise opened, so the
    // window starts at that incident's detection.)
    const detected = (await http('GET', incidentPath, undefined, alice)).json.timestamps.detectedAt as string;
    const since = `from=${new Date(Date.parse(detected) - 1000).toISOString()}&to=${new Date(Date.now() + 60_000).toISOString()}`;
    const withExercises = await eventually(async () => {
      const summary = (await http('GET', `${reporting.url}/v1/metrics/summary?includeExercises=true&${since}&category=ransomware`)).json;
      return summary.mtta.count >= 1 ? summary : undefined;
    }, 30_000);
    expect(withExercises.mtta.count).toBeGreaterThanOrEqual(1);
    // …and its score is on /metrics for Grafana.
    const metrics = (await http('GET', `${reporting.url}/metrics`)).text;
    expect(metrics).toMatch(/vigil_exercise_score\{[^}]*scenario="ransomware"[^}]*\} 0\.428571/);
  });

  it('sends a report inject in intake\'s report format, and a later alert joins its incident', async () => {
    const irene = await as('irene');
    const started = await http('POST', `${reporting.url}/v1/exercises`, { scenario: 'phishing-credential-theft' }, irene);
    expect(started.status).toBe(201);
    const exerciseId = started.json.exerciseId;
    const opened = await eventually(async () => {
      const e = (await http('GET', `${reporting.url}/v1/exercises/${exerciseId}`, undefined, irene)).json;
      return e.incidentId ? e : undefined;
    }, 60_000);
    expect(opened.injects[0]).toMatchObject({ key: 'user-report', kind: 'report', status: 'sent' });
    const raw = (await http('GET', `${intake.url}/v1/alerts/${opened.injects[0].alertId}`, undefined, irene)).json;
    expect(raw).toMatchObject({ format: 'report', alert: { exercise: true, category: 'phishing' } });
    expect((await http('POST', `${reporting.url}/v1/exercises/${exerciseId}/injects/impossible-travel/release`, {}, irene)).status).toBe(200);
    await eventually(async () => ((await http('GET', `${triage.url}/v1/incidents/${opened.incidentId}`, undefined, irene)).json.alertCount === 2 ? true : undefined), 60_000);
    expect((await http('POST', `${reporting.url}/v1/exercises/${exerciseId}/end`, {}, irene)).json.score).toBe(0);
  });
});
