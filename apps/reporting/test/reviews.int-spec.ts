import { randomUUID } from 'node:crypto';
import { as, createIntegration, eventually, finishTasks, http, incidentAction, startService, type ServiceProcess } from '../../../test/support/harness';

/**
 * The post-incident review over the real path: an incident entering post_incident opens a review
 * in reporting; triage refuses to close the incident until the review is completed; action items
 * become tasks in tasking, whose completion closes them in the review.
 */
describe('post-incident review (real Kafka and PostgreSQL)', () => {
  let intake: ServiceProcess;
  let triage: ServiceProcess;
  let tasking: ServiceProcess;
  let reporting: ServiceProcess;
  let apiKey: string;

  beforeAll(async () => {
    [intake, triage, tasking, reporting] = await Promise.all([startService('intake'), startService('triage'), startService('tasking'), startService('reporting')]);
    ({ apiKey } = await createIntegration(intake.url, 'canonical'));
  }, 180_000);

  afterAll(async () => {
    await Promise.all([intake, triage, tasking, reporting].filter(Boolean).map((s) => s.stop()));
  });

  async function incidentInPostIncident(): Promise<{ incidentId: string; path: string }> {
    const res = await http('POST', `${intake.url}/v1/alerts`, { title: `Review ${randomUUID()}`, source: 'edr', severity: 'high', category: 'malware' }, { authorization: `Bearer ${apiKey}` });
    expect(res.status).toBe(202);
    const { incidentId } = await eventually(async () => {
      const a = await http('GET', `${triage.url}/v1/alerts/${res.json.alertId}`);
      return a.status === 200 && a.json.incidentId ? a.json : undefined;
    }, 60_000);
    const path = `${triage.url}/v1/incidents/${incidentId}`;
    expect((await incidentAction(path, 'acknowledge', {}, await as('alice'))).status).toBe(200);
    for (const to of ['triaged', 'contained', 'eradicated', 'recovered', 'post_incident']) {
      expect([to, (await incidentAction(path, 'transition', { to }, await as('alice'))).status]).toEqual([to, 200]);
    }
    return { incidentId, path };
  }

  const review = (incidentId: string, headers: Record<string, string> = {}) => http('GET', `${reporting.url}/v1/incidents/${incidentId}/review`, undefined, headers);

  async function changeReview(incidentId: string, method: string, suffix: string, body: unknown, headers: Record<string, string>) {
    const etag = (await review(incidentId, headers)).headers.get('etag') ?? '';
    return http(method, `${reporting.url}/v1/incidents/${incidentId}/review${suffix}`, body, { ...headers, 'if-match': etag });
  }

  it('takes an incident through its review; action items become tasks and close; closing waits for the completed review', async () => {
    const alice = await as('alice');
    const irene = await as('irene');
    const { incidentId, path } = await incidentInPostIncident();

    // The review opens as a draft; closing is refused, naming why.
    const opened = await eventually(async () => {
      const r = await review(incidentId, alice);
      return r.status === 200 ? r : undefined;
    }, 60_000);
    expect(opened.json).toMatchObject({ incidentId, state: 'draft', version: 1, summary: '', actionItems: [] });
    expect(opened.headers.get('etag')).toBe('"1"');
    // The playbook's mandatory tasks, which hold up closing before the review does, are done.
    await finishTasks(tasking.url, incidentId, irene);
    // Triage hears of the done tasks a moment later; from then on, only the review stands in the way.
    const refused = await eventually(async () => {
      const r = await incidentAction(path, 'transition', { to: 'closed' }, irene);
      return r.status !== 409 || !r.json.openMandatoryTasks ? r : undefined;
    });
    expect(refused.status).toBe(409);
    expect(refused.json.detail).toMatch(new RegExp(`Incident ${incidentId} cannot be closed: its post-incident review (is a draft|has not been opened yet)`));
    await eventually(async () => {
      const r = await incidentAction(path, 'transition', { to: 'closed' }, irene);
      return r.status === 409 && r.json.reviewState === 'draft' ? r : undefined;
    });

    // Written under If-Match: none is a 428, a stale one a 412.
    const entries: Array<{ eventId: string; type: string }> = opened.json.timeline;
    const contained = entries.find((e) => e.type === 'vigil.incident.phase-changed.v1')!;
    expect((await http('PATCH', `${reporting.url}/v1/incidents/${incidentId}/review`, { summary: 'x' }, alice)).status).toBe(428);
    expect((await http('PATCH', `${reporting.url}/v1/incidents/${incidentId}/review`, { summary: 'x' }, { ...alice, 'if-match': '"7"' })).status).toBe(412);
    const badMoment = await changeReview(incidentId, 'PATCH', '', { keyMoments: [{ eventId: 'not-on-this-timeline', label: 'x' }] }, alice);
    expect(badMoment.status).toBe(422);
    expect(badMoment.json.errors[0].pointer).toBe('/keyMoments/0/eventId');
    const written = await changeReview(
      incidentId,
      'PATCH',
      '',
      {
        summary: 'Malware on a workstation, cleaned and restored.',
        rootCause: 'A macro-enabled attachment ran.',
        contributingFactors: ['Macros allowed for all users'],
        whatWorked: ['Fast acknowledgement'],
        whatDidNot: ['Containment waited for the asset owner'],
        keyMoments: [{ eventId: contained.eventId, label: 'Triage began' }],
      },
      alice,
    );
    expect(written.status).toBe(200);
    expect(written.json).toMatchObject({ state: 'draft', version: 2, rootCause: 'A macro-enabled attachment ran.' });
    expect(written.json.timeline.find((e: { eventId: string }) => e.eventId === contained.eventId).keyMoment).toBe('Triage began');

    // Completion: not from draft; not by an analyst; not without its impact.
    const fromDraft = await changeReview(incidentId, 'POST', '/completion', {}, irene);
    expect(fromDraft.status).toBe(409);
    expect(fromDraft.json.allowedTransitions).toEqual(['in_review']);
    expect((await changeReview(incidentId, 'POST', '/transition', { to: 'in_review' }, alice)).status).toBe(200);
    expect((await changeReview(incidentId, 'POST', '/completion', {}, alice)).status).toBe(403);
    const incomplete = await changeReview(incidentId, 'POST', '/completion', {}, irene);
    expect(incomplete.status).toBe(409);
    expect(incomplete.json.missing).toEqual(['impact']);

    // Action items: each becomes a task for its owner.
    const due = new Date(Date.now() + 14 * 86_400_000).toISOString();
    const items = [
      { title: 'Block macros from the internet', type: 'control', owner: 'u-sam', dueAt: due },
      { title: 'Add a step: check mail gateway quarantine', type: 'playbook_change', owner: 'u-irene', dueAt: due },
    ];
    const added: Array<{ actionItemId: string }> = [];
    for (const item of items) {
      const res = await http('POST', `${reporting.url}/v1/incidents/${incidentId}/review/action-items`, item, alice);
      expect(res.status).toBe(201);
      expect(res.json).toMatchObject({ ...item, status: 'open', origin: 'review', overdue: false });
      added.push(res.json);
    }
    const tasks = await eventually(async () => {
      const list: Array<{ taskId: string; actionItemId?: string; assignee: string; title: string; role: string; status: string }> = (
        await http('GET', `${tasking.url}/v1/incidents/${incidentId}/tasks`, undefined, alice)
      ).json.items.filter((t: { actionItemId?: string }) => t.actionItemId);
      return list.length === 2 ? list : undefined;
    });
    const control = tasks.find((t) => t.actionItemId === added[0].actionItemId)!;
    expect(control).toMatchObject({ assignee: 'u-sam', role: 'system_administrator', status: 'open', title: 'Control: Block macros from the internet' });
    await eventually(async () => ((await review(incidentId, alice)).json.actionItems.every((a: { taskId: string | null }) => a.taskId) ? true : undefined));

    // The playbook change links the playbook version that carries it; another kind cannot.
    const linked = await http('PATCH', `${reporting.url}/v1/incidents/${incidentId}/review/action-items/${added[1].actionItemId}`, { playbookVersionId: 'malware@2' }, alice);
    expect(linked.status).toBe(200);
    expect(linked.json.playbookVersionId).toBe('malware@2');
    expect((await http('PATCH', `${reporting.url}/v1/incidents/${incidentId}/review/action-items/${added[0].actionItemId}`, { playbookVersionId: 'x@1' }, alice)).status).toBe(409);

    // The review is completed by the IR manager; the incident can then be closed.
    const sentBack = await changeReview(incidentId, 'POST', '/transition', { to: 'draft', reason: 'impact missing' }, irene);
    expect(sentBack.json).toMatchObject({ state: 'draft' });
    expect((await changeReview(incidentId, 'PATCH', '', { impact: 'One workstation out for four hours.' }, alice)).status).toBe(200);
    expect((await changeReview(incidentId, 'POST', '/transition', { to: 'in_review' }, alice)).status).toBe(200);
    const completed = await changeReview(incidentId, 'POST', '/completion', {}, irene);
    expect(completed.status).toBe(200);
    expect(completed.json).toMatchObject({ state: 'completed', completedBy: 'u-irene' });
    const closed = await eventually(async () => {
      const r = await incidentAction(path, 'transition', { to: 'closed' }, irene);
      return r.status === 200 ? r : undefined;
    });
    expect(closed.json.phase).toBe('closed');

    // The tasks are done by their owners; the review shows its action items done, by whom.
    for (const [task, who] of [
      [control, 'sam'],
      [tasks.find((t) => t.actionItemId === added[1].actionItemId)!, 'irene'],
    ] as const) {
      const done = await http('POST', `${tasking.url}/v1/incidents/${incidentId}/tasks/${task.taskId}/completion`, { note: 'done' }, await as(who));
      expect(done.status).toBe(200);
      expect(done.json).toMatchObject({ status: 'done', completedBy: `u-${who}` });
    }
    const final = await eventually(async () => {
      const r = (await review(incidentId, alice)).json;
      return r.actionItems.every((a: { status: string }) => a.status === 'done') ? r : undefined;
    });
    expect(final.actionItems.map((a: { completedBy: string }) => a.completedBy).sort()).toEqual(['u-irene', 'u-sam']);
    const timeline = (await http('GET', `${reporting.url}/v1/incidents/${incidentId}/timeline`, undefined, alice)).json.entries.map((e: { summary: string }) => e.summary);
    expect(timeline).toEqual(expect.arrayContaining(['Post-incident review opened (draft)', 'Post-incident review completed by u-irene', 'Task done by u-sam: Control: Block macros from the internet (done)']));
  });

  it('leaves the review gate to closing only: a false positive closes without a review', async () => {
    const res = await http('POST', `${intake.url}/v1/alerts`, { title: `Noise ${randomUUID()}`, source: 'edr', severity: 'high' }, { authorization: `Bearer ${apiKey}` });
    const { incidentId } = await eventually(async () => {
      const a = await http('GET', `${triage.url}/v1/alerts/${res.json.alertId}`);
      return a.status === 200 && a.json.incidentId ? a.json : undefined;
    }, 60_000);
    const fp = await incidentAction(`${triage.url}/v1/incidents/${incidentId}`, 'transition', { to: 'false_positive', reason: 'scanner' }, await as('alice'));
    expect(fp.status).toBe(200);
    expect((await review(incidentId)).status).toBe(404);
  });
});
