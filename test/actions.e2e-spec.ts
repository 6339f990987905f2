import { createEvent, IncidentOpenedV1, toKafkaHeaders, Topics, type IncidentSnapshot } from '@vigil/contracts';
import { verifySignature } from '../libs/platform/src/outbound/signature';
import { randomUUID } from 'node:crypto';
import { as, eventually, http, kafkaProducer, startReceiver, startService, withDatabase, type RecordedRequest, type ServiceProcess } from './support/harness';

/**
 * Response actions end to end over the real broker and database: an incident on a critical asset
 * reaches tasking from Kafka; an admin configures an EDR connector (a local receiver that checks
 * each request's signature) and an IR manager an approval policy; an analyst asks to isolate the
 * host, sees the dry run; two others approve; the receiver gets the signed call; every step is on
 * the incident's timeline in reporting. Permissions and secrets are checked on the way.
 */
describe('response actions (real Kafka and PostgreSQL, tasking and reporting)', () => {
  const SECRET = 'e2e-signing-key-0123456789abcdef';
  let tasking: ServiceProcess;
  let reporting: ServiceProcess;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  const checks: boolean[] = [];
  let policyId: string | undefined;

  beforeAll(async () => {
    receiver = await startReceiver((req: RecordedRequest) => {
      const ok = verifySignature({ header: req.headers['vigil-signature'], body: req.body, secret: SECRET }).valid;
      checks.push(ok);
      return ok ? 200 : 401;
    });
    [tasking, reporting] = await Promise.all([startService('tasking'), startService('reporting')]);
  }, 240_000);

  afterAll(async () => {
    if (policyId) await http('DELETE', `${tasking.url}/v1/action-approval-policies/${policyId}`, undefined, await as('irene')).catch(() => undefined);
    await Promise.all([tasking, reporting].filter(Boolean).map((s) => s.stop()));
    await receiver?.close();
  });

  async function openIncident(assetCriticality: 'critical' | 'low'): Promise<string> {
    const incidentId = randomUUID();
    const now = new Date().toISOString();
    const incident: IncidentSnapshot = {
      incidentId,
      title: 'Beacon from dc-01',
      severity: 'SEV2',
      category: 'malware',
      phase: 'detected',
      exercise: false,
      alertCount: 1,
      version: 1,
      timestamps: { occurredAt: now, detectedAt: now, declaredAt: now, acknowledgedAt: null, containedAt: null, eradicatedAt: null, recoveredAt: null, closedAt: null },
      classification: { functionalImpact: 'medium', informationImpact: 'none', recoverability: 'regular', assetCriticality, classifiedBy: null },
    };
    const alert = { alertId: randomUUID(), dedupKey: `edr-${incidentId}`, title: 'Beacon', source: 'edr:test', receivedAt: now };
    const opened = createEvent(IncidentOpenedV1, { source: '/vigil/triage', subject: incidentId, data: { incident, alert } });
    const producer = kafkaProducer();
    try {
      await producer.send({ messages: [{ topic: Topics.incidents, key: incidentId, value: JSON.stringify(opened.data), headers: toKafkaHeaders(opened) }] });
    } finally {
      await producer.close();
    }
    await eventually(async () => ((await withDatabase((db) => db.query(`SELECT 1 FROM tasking.incident_facts WHERE incident_id = $1`, [incidentId]))).rowCount ? true : undefined), 60_000);
    return incidentId;
  }

  it('isolates a domain controller after two approvals, signed, and puts every step on the timeline', async () => {
    // Connectors are the admin's; the signing key is never shown.
    const connectorBody = { name: `EDR ${randomUUID().slice(0, 8)}`, kind: 'edr', baseUrl: `${receiver.url}/edr`, secret: SECRET, allowPrivateNetwork: true, allowHttp: true, retries: 0 };
    expect((await http('POST', `${tasking.url}/v1/action-connectors`, connectorBody, await as('alice'))).status).toBe(403);
    const created = await http('POST', `${tasking.url}/v1/action-connectors`, connectorBody, await as('adam'));
    expect(created.status).toBe(201);
    expect(created.text).not.toContain(SECRET);
    expect(created.json).toMatchObject({ secret: 'set', actionKinds: ['isolate_host', 'unisolate_host'] });
    const connectorId: string = created.json.connectorId;
    expect((await http('GET', `${tasking.url}/v1/action-connectors/${connectorId}`, undefined, await as('audrey'))).text).not.toContain(SECRET);
    // Plain http without the flag is refused, naming the field.
    const insecure = await http('POST', `${tasking.url}/v1/action-connectors`, { ...connectorBody, name: `${connectorBody.name} 2`, allowHttp: false }, await as('adam'));
    expect(insecure.status).toBe(400);
    expect(insecure.json.errors).toEqual([expect.objectContaining({ pointer: '/baseUrl' })]);

    const policy = await http(
      'POST',
      `${tasking.url}/v1/action-approval-policies`,
      { name: 'servers and domain controllers', criticalities: ['critical'], actionKinds: ['isolate_host'], approverRoles: ['ir_manager', 'security_analyst'], approvals: 2, expiresAfterMinutes: 30 },
      await as('irene'),
    );
    expect(policy.status).toBe(201);
    policyId = policy.json.policyId;

    const incidentId = await openIncident('critical');
    const body = { connectorId, kind: 'isolate_host', target: { type: 'host', value: 'dc-01' }, reason: 'beaconing to a known C2' };
    expect((await http('POST', `${tasking.url}/v1/incidents/${incidentId}/actions`, body, await as('carol'))).status).toBe(403);
    const dry = await http('POST', `${tasking.url}/v1/incidents/${incidentId}/actions/dry-run`, body, await as('alice'));
    expect(dry.status).toBe(200);
    expect(dry.json).toMatchObject({ criticality: 'critical', criticalitySource: 'incident', policy: { name: 'servers and domain controllers', approvals: 2 }, request: { method: 'POST', url: `${receiver.url}/edr/hosts/isolate` } });

    const requested = await http('POST', `${tasking.url}/v1/incidents/${incidentId}/actions`, body, await as('alice'));
    expect(requested.status).toBe(201);
    const actionId: string = requested.json.actionId;
    const approve = async (who: string) => http('POST', `${tasking.url}/v1/incidents/${incidentId}/actions/${actionId}/approvals`, {}, await as(who));
    expect((await approve('alice')).status).toBe(403);
    expect((await approve('irene')).json.status).toBe('awaiting_approval');
    expect(receiver.requests.filter((r) => r.path === '/edr/hosts/isolate')).toHaveLength(0);
    const done = await approve('bob');
    expect(done.status).toBe(200);
    expect(done.json).toMatchObject({ status: 'succeeded', attempts: [expect.objectContaining({ statusCode: 200 })] });
    const calls = receiver.requests.filter((r) => r.path === '/edr/hosts/isolate');
    expect(calls).toHaveLength(1);
    expect(checks).toEqual([true]);
    expect(calls[0].body).toBe(done.json.request.body);
    // Measured: the request by its route, its outcome, and the time from request to outcome (approvals included).
    const exposed = (await http('GET', `${tasking.url}/metrics`)).text;
    const sample = (name: string, ...labels: string[]) => {
      const line = exposed.split('\n').find((l) => l.startsWith(`${name}{`) && labels.every((label) => l.includes(label)));
      return line === undefined ? undefined : Number(line.split(' ').pop());
    };
    expect(sample('vigil_actions_requested_total', 'kind="isolate_host"', 'route="approval"')).toBe(1);
    expect(sample('vigil_actions_outcomes_total', 'kind="isolate_host"', 'outcome="succeeded"')).toBe(1);
    expect(sample('vigil_actions_time_to_outcome_seconds_count', 'kind="isolate_host"', 'outcome="succeeded"')).toBe(1);
    expect(sample('vigil_actions_time_to_outcome_seconds_sum', 'kind="isolate_host"', 'outcome="succeeded"')).toBeGreaterThan(0);

    const timeline = await eventually(async () => {
      const entries: Array<{ type: string; summary: string }> = (await http('GET', `${reporting.url}/v1/incidents/${incidentId}/timeline`)).json?.entries ?? [];
      const actions = entries.filter((e) => e.type.startsWith('vigil.action.'));
      return actions.length >= 4 ? actions : undefined;
    }, 60_000);
    expect(timeline.map((e) => e.type)).toEqual(['vigil.action.requested.v1', 'vigil.action.approved.v1', 'vigil.action.approved.v1', 'vigil.action.executed.v1']);
    expect(timeline.at(-1)!.summary).toMatch(/^Action isolate host on dc-01 carried out \(HTTP 200/);
  });
});
