import {
  ACTION_KINDS,
  ActionApprovedV1,
  ActionExecutedV1,
  ActionFailedV1,
  ActionRequestedV1,
  ActionReviewedV1,
  ActionUndoneV1,
  createEvent,
  type ActionDryRun,
  type ActionKind,
  type ActionTarget,
  type ActionView,
  type BreakGlassAction,
  type EventData,
  type EventDefinition,
  type RequestAction,
  type VigilRole,
} from '@vigil/contracts';
import { metrics } from '@opentelemetry/api';
import { enqueueEvents } from '@vigil/messaging';
import { assertIncidentVisible, auditTouch, decodeCursor, digest, pageOf, Problem, sendOutbound, visibleIncidentCondition, type OutboundResult, type Principal, type Resolver, type Transport } from '@vigil/platform';
import { randomUUID } from 'node:crypto';
import { isIP } from 'node:net';
import type { Logger } from 'pino';
import type { DataSource, EntityManager } from 'typeorm';
import type { Clock } from '../escalation/clock';
import { readFacts, TERMINAL_PHASES, type IncidentFacts } from '../escalation/incident-facts';
import { loadActionRows, previewOf, toActionViews, type ActionPolicySnapshot, type ActionRow } from './action-store';
import { loadApprovalPolicies } from './approval-policies/approval-policy-store';
import { chooseApprovalPolicy, effectiveCriticality } from './approval-policies/choose-approval-policy';
import { loadConnector, type ConnectorRow } from './connectors/connector-store';
import { templatesOf } from './connectors/registry';
import { renderRequest, TemplateError, type RenderedRequest, type TemplateValue } from './templates/render-request';

type Db = Pick<EntityManager, 'query'>;
type OutboxEntry = Parameters<typeof enqueueEvents>[2][number];

/** What tests replace: the resolver and transport of the outbound guard, and the backoff's sleep. */
export interface ActionOutbound {
  resolve?: Resolver;
  transport?: Transport;
  sleep?: (ms: number) => Promise<void>;
}

const TARGET_FORMATS: Record<ActionTarget['type'], { ok: (v: string) => boolean; detail: string }> = {
  ip: { ok: (v) => isIP(v) !== 0, detail: 'must be an IPv4 or IPv6 address' },
  domain: { ok: (v) => /^(?=.{1,253}$)([a-z0-9_]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,62}$/i.test(v), detail: 'must be a domain name' },
  host: { ok: (v) => /^[A-Za-z0-9][A-Za-z0-9._-]{0,254}$/.test(v), detail: 'must be a host name (letters, digits, dot, dash, underscore)' },
  account: { ok: (v) => /^[^\s\p{Cc}]{1,255}$/u.test(v), detail: 'must be an account name without spaces or control characters' },
  other: { ok: (v) => !/\p{Cc}/u.test(v), detail: 'must not contain control characters' },
};

/** How an action ended, for the metrics (counted once its transaction has committed). */
type Outcome = 'succeeded' | 'failed' | 'refused' | 'expired' | 'rejected' | 'interrupted';
interface Settled {
  kind: ActionKind;
  outcome: Outcome;
  requestedAt: Date;
  at: Date;
}

/**
 * What response actions measure (OpenTelemetry; Prometheus adds `_total` to counters): requests by
 * kind and route, outcomes by kind, and the time from request to outcome. Counted after the
 * transaction that settled them commits, so a rolled-back change counts nothing.
 */
function actionMetrics() {
  const meter = metrics.getMeter('vigil');
  const requested = meter.createCounter('vigil.actions.requested', { description: 'response actions requested, by kind and route (approval, break_glass, undo)' });
  const outcomes = meter.createCounter('vigil.actions.outcomes', {
    description: 'response actions ended, by kind and outcome (succeeded, failed, refused, expired, rejected, interrupted)',
  });
  const timeToOutcome = meter.createHistogram('vigil.actions.time_to_outcome_seconds', {
    description: "seconds from a response action's request to its outcome (approvals and sending included), by kind and outcome",
    unit: 's',
    advice: { explicitBucketBoundaries: [1, 5, 15, 60, 300, 900, 1800, 3600, 14_400, 86_400] },
  });
  return {
    requested: (kind: ActionKind, route: 'approval' | 'break_glass' | 'undo') => requested.add(1, { kind, route }),
    settled: (settled: readonly Settled[]) => {
      for (const s of settled) {
        outcomes.add(1, { kind: s.kind, outcome: s.outcome });
        timeToOutcome.record(Math.max(0, (s.at.getTime() - s.requestedAt.getTime()) / 1000), { kind: s.kind, outcome: s.outcome });
      }
    },
  };
}

interface Prepared {
  facts: IncidentFacts;
  connector: ConnectorRow;
  criticality: ReturnType<typeof effectiveCriticality>;
  policy: ActionPolicySnapshot;
  request: RenderedRequest;
}

const event = <D extends EventDefinition>(definition: D, incidentId: string, at: Date, data: EventData<D>): OutboxEntry => ({
  event: createEvent(definition, { source: '/vigil/tasking', subject: incidentId, time: at, data }),
  topic: definition.topic,
  key: incidentId,
});

/**
 * Response actions on incidents: requested under the approval policy their asset's criticality
 * chooses, approved by distinct people other than the requester within the policy's expiry, then
 * sent once through the outbound guard; or at once by break-glass (reviewed afterwards); undone by
 * their inverse where there is one. Every state change publishes its event in the same
 * transaction; every outbound attempt is recorded.
 */
export class ResponseActions {
  constructor(
    private readonly dataSource: DataSource,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly outbound: ActionOutbound = {},
  ) {}

  private readonly measure = actionMetrics();

  /** Checks a request and builds the exact HTTP request it would send. */
  private async prepare(m: Db, caller: Principal, incidentId: string, input: RequestAction, actionId: string, kind: ActionKind = input.kind, allow: { ended?: boolean } = {}): Promise<Prepared> {
    await assertIncidentVisible(m, 'tasking', incidentId, caller);
    const facts = await readFacts(m, incidentId);
    if (!facts) throw Problem.notFound(`Incident ${incidentId}`);
    // An undo restores what was changed: still allowed once the incident has ended (un-isolate after recovery).
    if (TERMINAL_PHASES.includes(facts.phase) && !allow.ended) throw new Problem(409, 'Incident ended', `Incident ${incidentId} is ${facts.phase.replace('_', ' ')}: no action can be requested on it.`);
    const errors: Array<{ pointer: string; detail: string }> = [];
    const connector = await loadConnector(m, input.connectorId);
    if (!connector) throw Problem.validation([{ pointer: '/connectorId', detail: `no connector ${input.connectorId}` }]);
    const template = templatesOf(connector.kind, connector.templates)[kind];
    if (!template) errors.push({ pointer: '/kind', detail: `the connector ${connector.name} (${connector.kind}) has no request for ${kind}` });
    const wanted = ACTION_KINDS[kind].target;
    if (wanted && input.target.type !== wanted) errors.push({ pointer: '/target/type', detail: `${kind} acts on a ${wanted}` });
    const format = TARGET_FORMATS[input.target.type];
    if (!format.ok(input.target.value)) errors.push({ pointer: '/target/value', detail: format.detail });
    if (input.taskId) {
      const task: unknown[] = await m.query(`SELECT 1 FROM tasking.tasks WHERE id = $1 AND incident_id = $2`, [input.taskId, incidentId]);
      if (!task.length) errors.push({ pointer: '/taskId', detail: `no task ${input.taskId} on incident ${incidentId}` });
    }
    if (errors.length || !template) throw Problem.validation(errors);
    const criticality = effectiveCriticality(facts.assetCriticality, input.assetCriticality);
    const chosen = chooseApprovalPolicy(await loadApprovalPolicies(m), criticality.criticality, kind);
    const values: Record<string, TemplateValue> = {
      'incident.id': incidentId,
      'incident.title': facts.title,
      'incident.severity': facts.severity,
      'incident.category': facts.category,
      'action.id': actionId,
      'action.kind': kind,
      'action.reason': input.reason,
      'target.type': input.target.type,
      'target.value': input.target.value,
      requestedBy: caller.subject,
      ...Object.fromEntries(Object.entries(input.parameters).map(([k, v]) => [`params.${k}`, v])),
    };
    let request: RenderedRequest;
    try {
      request = renderRequest(template, connector.base_url, values);
    } catch (e) {
      if (!(e instanceof TemplateError)) throw e;
      const missing = /\{\{ params\.(\w+) \}\}/.exec(e.message);
      throw Problem.validation([{ pointer: missing ? `/parameters/${missing[1]}` : `/kind`, detail: missing ? `the ${kind} request of ${connector.name} needs the parameter ${missing[1]}` : `the ${kind} template of ${connector.name}: ${e.message}` }]);
    }
    // Retries of one action carry one key, so a connector can tell a retry from a second request.
    request.headers['idempotency-key'] = actionId;
    const policy = { name: chosen.name, policyId: chosen.policyId, approverRoles: chosen.approverRoles, approvals: chosen.approvals, expiresAfterMinutes: chosen.expiresAfterMinutes };
    return { facts, connector, criticality, policy, request };
  }

  async dryRun(caller: Principal, incidentId: string, input: RequestAction): Promise<ActionDryRun> {
    const p = await this.prepare(this.dataSource, caller, incidentId, input, '00000000-0000-0000-0000-000000000000');
    return { kind: input.kind, target: input.target, criticality: p.criticality.criticality, criticalitySource: p.criticality.source, policy: p.policy, request: previewOf(p.request) };
  }

  private async insert(m: Db, p: Prepared, row: { id: string; incidentId: string; input: RequestAction; kind: ActionKind; caller: Principal; now: Date; status: 'awaiting_approval' | 'executing'; breakGlass: string | null; undoOf: string | null }) {
    const expiresAt = row.status === 'awaiting_approval' ? new Date(row.now.getTime() + p.policy.expiresAfterMinutes * 60_000) : null;
    await m.query(
      `INSERT INTO tasking.response_actions (id, incident_id, task_id, connector_id, kind, target, parameters, reason, criticality, criticality_source, policy, request, status, requested_by, requested_at, expires_at, break_glass_reason, undo_of, executing_since)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)`,
      [
        row.id, row.incidentId, row.input.taskId ?? null, p.connector.id, row.kind, JSON.stringify(row.input.target), JSON.stringify(row.input.parameters), row.input.reason,
        p.criticality.criticality, p.criticality.source, JSON.stringify(p.policy), JSON.stringify(p.request), row.status, row.caller.subject, row.now, expiresAt, row.breakGlass, row.undoOf,
        row.status === 'executing' ? row.now : null,
      ],
    );
    const immediate = row.status === 'executing';
    await enqueueEvents(m as EntityManager, 'tasking', [
      event(ActionRequestedV1, row.incidentId, row.now, {
        actionId: row.id,
        incidentId: row.incidentId,
        kind: row.kind,
        target: row.input.target,
        taskId: row.input.taskId ?? null,
        connector: { connectorId: p.connector.id, name: p.connector.name },
        reason: row.input.reason,
        criticality: p.criticality.criticality,
        approvalsRequired: immediate ? 0 : p.policy.approvals,
        approverRoles: immediate ? [] : p.policy.approverRoles,
        expiresAt: expiresAt?.toISOString() ?? null,
        requestedBy: row.caller.subject,
        requestedAt: row.now.toISOString(),
        breakGlass: row.breakGlass ? { reason: row.breakGlass } : null,
        undoOf: row.undoOf,
      }),
    ]);
  }

  /** Requests an action; it waits for its approvals. */
  async request(caller: Principal, incidentId: string, input: RequestAction): Promise<ActionView> {
    const id = randomUUID();
    await this.dataSource.transaction(async (m) => {
      const p = await this.prepare(m, caller, incidentId, input, id);
      auditTouch({ ids: { incidentId, actionId: id }, after: { ...input, request: p.request, policy: p.policy } }, digest);
      await this.insert(m, p, { id, incidentId, input, kind: input.kind, caller, now: this.clock.now(), status: 'awaiting_approval', breakGlass: null, undoOf: null });
    });
    this.measure.requested(input.kind, 'approval');
    return this.get(caller, incidentId, id);
  }

  /** Break-glass: runs at once without approvals, flagged for review. */
  async breakGlass(caller: Principal, incidentId: string, input: BreakGlassAction): Promise<ActionView> {
    const id = randomUUID();
    await this.dataSource.transaction(async (m) => {
      const p = await this.prepare(m, caller, incidentId, input, id);
      auditTouch({ ids: { incidentId, actionId: id }, after: { ...input, request: p.request } }, digest);
      await this.insert(m, p, { id, incidentId, input, kind: input.kind, caller, now: this.clock.now(), status: 'executing', breakGlass: input.breakGlassReason, undoOf: null });
    });
    this.measure.requested(input.kind, 'break_glass');
    this.logger.warn({ incidentId, actionId: id, kind: input.kind, actor: caller.subject }, 'break-glass response action');
    await this.execute(id);
    return this.get(caller, incidentId, id);
  }

  /**
   * Records an approval. Refused for the requester (no self-approval), a role the policy does not
   * name, a second approval by the same person, and once the request has expired (it is then
   * marked expired and never runs). The approval that completes the count sends the request.
   */
  async approve(caller: Principal, incidentId: string, actionId: string, note: string | undefined): Promise<ActionView> {
    const settled: Settled[] = [];
    const outcome = await this.dataSource.transaction(async (m) => {
      const now = this.clock.now();
      const row = await this.lockAwaiting(m, caller, incidentId, actionId, now, '', settled);
      if (row === 'expired') return row;
      if (row.requested_by === caller.subject) throw new Problem(403, 'Self-approval refused', 'The person who requested an action cannot approve it.');
      const roles = caller.roles.filter((r) => row.policy.approverRoles.includes(r));
      if (roles.length === 0) throw new Problem(403, 'Not an approver', `The policy ${row.policy.name} needs an approver with one of the roles ${row.policy.approverRoles.join(', ')}.`);
      const inserted: unknown[] = await m.query(
        `INSERT INTO tasking.response_action_approvals (action_id, approver, roles, note, approved_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING RETURNING 1`,
        [actionId, caller.subject, roles, note ?? null, now],
      );
      if (!inserted.length) throw new Problem(409, 'Already approved', `You approved action ${actionId} already; it needs another approver.`);
      auditTouch({ ids: { incidentId, actionId }, after: { approver: caller.subject, roles, note: note ?? null } }, digest);
      const [{ n }]: Array<{ n: number }> = await m.query(`SELECT count(*)::int AS n FROM tasking.response_action_approvals WHERE action_id = $1`, [actionId]);
      await enqueueEvents(m as EntityManager, 'tasking', [
        event(ActionApprovedV1, incidentId, now, { actionId, incidentId, kind: row.kind, target: row.target, approver: caller.subject, roles: roles as VigilRole[], approvals: n, approvalsRequired: row.policy.approvals, approvedAt: now.toISOString() }),
      ]);
      if (n < row.policy.approvals) return 'waiting' as const;
      await m.query(`UPDATE tasking.response_actions SET status = 'executing', executing_since = $2 WHERE id = $1`, [actionId, now]);
      return 'execute' as const;
    });
    this.measure.settled(settled);
    if (outcome === 'expired') throw new Problem(409, 'Approval expired', `Action ${actionId} was not approved in time; it will not run. Request it again.`, { status: 'expired' });
    if (outcome === 'execute') await this.execute(actionId);
    return this.get(caller, incidentId, actionId);
  }

  /**
   * The action locked for a decision on it (approve, reject), if it still awaits one: 404 if the
   * caller may not see it, 409 if it is past deciding; a request past its expiry is marked expired
   * (with its event) and answered `expired`.
   */
  private async lockAwaiting(m: Db, caller: Principal, incidentId: string, actionId: string, now: Date, why: string, settled: Settled[]): Promise<ActionRow | 'expired'> {
    await assertIncidentVisible(m, 'tasking', incidentId, caller);
    const [row]: ActionRow[] = await m.query(`SELECT * FROM tasking.response_actions WHERE id = $1 AND incident_id = $2 FOR UPDATE`, [actionId, incidentId]);
    if (!row) throw Problem.notFound(`Action ${actionId} of incident ${incidentId}`);
    if (row.status === 'awaiting_approval' && row.expires_at && row.expires_at <= now) {
      await this.expire(m, row, now, settled);
      return 'expired';
    }
    if (row.status !== 'awaiting_approval') throw new Problem(409, 'Not awaiting approval', `Action ${actionId} is ${row.status.replace('_', ' ')}${why}.`, { status: row.status });
    return row;
  }

  private async expire(m: Db, row: ActionRow, now: Date, settled: Settled[]): Promise<void> {
    settled.push({ kind: row.kind, outcome: 'expired', requestedAt: row.requested_at, at: now });
    await m.query(`UPDATE tasking.response_actions SET status = 'expired', error = 'approvals expired' WHERE id = $1`, [row.id]);
    await enqueueEvents(m as EntityManager, 'tasking', [
      event(ActionFailedV1, row.incident_id, now, { actionId: row.id, incidentId: row.incident_id, kind: row.kind, target: row.target, outcome: 'expired', error: `not approved within ${row.policy.expiresAfterMinutes} minutes`, attempts: 0, at: now.toISOString() }),
    ]);
  }

  /**
   * Turns a request down before it runs: an approver the policy names rejects it, or its requester
   * withdraws it. Either way it never runs, the reason is on record and on the timeline
   * (vigil.action.failed.v1, outcome `rejected`). Only a request still awaiting approval can be
   * turned down (409 otherwise; an expired one is marked expired); anyone else gets a 403.
   */
  async reject(caller: Principal, incidentId: string, actionId: string, reason: string): Promise<ActionView> {
    const settled: Settled[] = [];
    const outcome = await this.dataSource.transaction(async (m) => {
      const now = this.clock.now();
      const row = await this.lockAwaiting(m, caller, incidentId, actionId, now, ': only a request awaiting approval can be rejected or withdrawn', settled);
      if (row === 'expired') return row;
      const withdrawn = row.requested_by === caller.subject;
      if (!withdrawn && !caller.roles.some((r) => row.policy.approverRoles.includes(r))) {
        throw new Problem(403, 'Not an approver', `Only the requester, or an approver with one of the roles ${row.policy.approverRoles.join(', ')} (policy ${row.policy.name}), can turn this request down.`);
      }
      auditTouch({ ids: { incidentId, actionId }, after: { rejectedBy: caller.subject, withdrawn, reason } }, digest);
      await m.query(
        `UPDATE tasking.response_actions SET status = 'rejected', rejected_by = $2, rejected_at = $3, rejection_reason = $4, rejection_withdrawn = $5, error = $6 WHERE id = $1`,
        [actionId, caller.subject, now, reason, withdrawn, `${withdrawn ? 'withdrawn' : 'rejected'} by ${caller.subject}: ${reason}`],
      );
      await enqueueEvents(m as EntityManager, 'tasking', [
        event(ActionFailedV1, incidentId, now, {
          actionId,
          incidentId,
          kind: row.kind,
          target: row.target,
          outcome: 'rejected',
          error: `${withdrawn ? 'withdrawn by its requester' : 'rejected by'} ${caller.subject}: ${reason}`,
          attempts: 0,
          at: now.toISOString(),
        }),
      ]);
      settled.push({ kind: row.kind, outcome: 'rejected', requestedAt: row.requested_at, at: now });
      return 'rejected' as const;
    });
    this.measure.settled(settled);
    if (outcome === 'expired') throw new Problem(409, 'Approval expired', `Action ${actionId} was not approved in time; it will not run.`, { status: 'expired' });
    return this.get(caller, incidentId, actionId);
  }

  /**
   * One round of the sweeper: requests past their approval expiry become `expired` (published, so
   * the timeline says so even if nobody looks at the request again), and actions still `executing`
   * `interruptedAfterSeconds` after they started sending were cut off by a stop. Those are marked
   * failed with outcome `interrupted`, and never re-sent: whether the connector acted is unknown,
   * and a destructive call is not repeated blindly (the idempotency key lets a person retry it).
   * Rows are claimed FOR UPDATE SKIP LOCKED, so replicas share the work. Returns how many it settled.
   */
  async sweep(interruptedAfterSeconds: number, batch = 100): Promise<number> {
    const now = this.clock.now();
    const settled: Settled[] = [];
    const count = await this.dataSource.transaction(async (m) => {
      const lapsed: ActionRow[] = await m.query(
        `SELECT * FROM tasking.response_actions WHERE status = 'awaiting_approval' AND expires_at <= $1 ORDER BY expires_at, id LIMIT $2 FOR UPDATE SKIP LOCKED`,
        [now, batch],
      );
      for (const row of lapsed) await this.expire(m, row, now, settled);
      const cutOff: ActionRow[] = await m.query(
        `SELECT * FROM tasking.response_actions WHERE status = 'executing' AND executing_since <= $1 ORDER BY executing_since, id LIMIT $2 FOR UPDATE SKIP LOCKED`,
        [new Date(now.getTime() - interruptedAfterSeconds * 1000), batch],
      );
      for (const row of cutOff) {
        const error = `still sending ${Math.round((now.getTime() - row.executing_since!.getTime()) / 1000)} s after it started (the service stopped mid-send); whether the connector acted is unknown — check it before requesting again`;
        await m.query(`UPDATE tasking.response_actions SET status = 'failed', executed_at = $2, error = $3 WHERE id = $1`, [row.id, now, error]);
        await enqueueEvents(m as EntityManager, 'tasking', [
          event(ActionFailedV1, row.incident_id, now, { actionId: row.id, incidentId: row.incident_id, kind: row.kind, target: row.target, outcome: 'interrupted', error, attempts: 0, at: now.toISOString() }),
        ]);
        this.logger.warn({ actionId: row.id, incidentId: row.incident_id, kind: row.kind, since: row.executing_since }, 'response action interrupted mid-send: marked failed, not re-sent');
        settled.push({ kind: row.kind, outcome: 'interrupted', requestedAt: row.requested_at, at: now });
      }
      return lapsed.length + cutOff.length;
    });
    this.measure.settled(settled);
    return count;
  }

  /** Undoes a succeeded action by its inverse (un-isolate, unblock, enable), at once: it restores what an approved action changed. */
  async undo(caller: Principal, incidentId: string, actionId: string, reason: string): Promise<ActionView> {
    const undoId = randomUUID();
    const undoKindOf = await this.dataSource.transaction(async (m) => {
      await assertIncidentVisible(m, 'tasking', incidentId, caller);
      const [row]: ActionRow[] = await m.query(`SELECT * FROM tasking.response_actions WHERE id = $1 AND incident_id = $2 FOR UPDATE`, [actionId, incidentId]);
      if (!row) throw Problem.notFound(`Action ${actionId} of incident ${incidentId}`);
      const undoKind = ACTION_KINDS[row.kind].undo;
      if (!undoKind) throw new Problem(409, 'No undo', `${row.kind} has no undo.`);
      if (row.status !== 'succeeded') throw new Problem(409, 'Nothing to undo', `Action ${actionId} is ${row.status.replace('_', ' ')}; only a succeeded action can be undone.`, { status: row.status });
      const pending: unknown[] = await m.query(`SELECT 1 FROM tasking.response_actions WHERE undo_of = $1 AND status IN ('executing', 'succeeded')`, [actionId]);
      if (row.undone_by || pending.length) throw new Problem(409, 'Already undone', `Action ${actionId} is undone, or being undone.`);
      const input: RequestAction = { connectorId: row.connector_id, kind: undoKind, target: row.target, parameters: row.parameters, reason, taskId: row.task_id ?? undefined };
      const p = await this.prepare(m, caller, incidentId, input, undoId, undoKind, { ended: true });
      auditTouch({ ids: { incidentId, actionId, undoActionId: undoId }, after: { kind: undoKind, reason, request: p.request } }, digest);
      await this.insert(m, { ...p, criticality: { criticality: row.criticality, source: row.criticality_source } }, { id: undoId, incidentId, input, kind: undoKind, caller, now: this.clock.now(), status: 'executing', breakGlass: null, undoOf: actionId });
      return undoKind;
    });
    this.measure.requested(undoKindOf, 'undo');
    await this.execute(undoId);
    return this.get(caller, incidentId, undoId);
  }

  /**
   * Sends an action's request through the outbound guard (the caller set it `executing` in a
   * committed transaction, so it runs once), then records every attempt and the outcome with
   * its event. A crash while sending leaves it `executing`, on record, not re-sent.
   */
  async execute(actionId: string): Promise<void> {
    const [row]: ActionRow[] = await this.dataSource.query(`SELECT * FROM tasking.response_actions WHERE id = $1 AND status = 'executing'`, [actionId]);
    if (!row) return;
    const connector = await loadConnector(this.dataSource, row.connector_id);
    let result: OutboundResult;
    if (!connector) result = { outcome: 'refused', response: null, error: 'the connector was removed', attempts: [] };
    else
      result = await sendOutbound(row.request, {
        secret: connector.secret,
        timeoutMs: connector.timeout_ms,
        retries: connector.retries,
        allowPrivateNetwork: connector.allow_private_network,
        allowHttp: connector.allow_http,
        now: () => this.clock.now(),
        ...this.outbound,
      });
    const now = this.clock.now();
    const outcome = await this.dataSource.transaction(async (m) => {
      for (const a of result.attempts) {
        await m.query(
          `INSERT INTO tasking.response_action_attempts (action_id, attempt, url, address, status_code, error, started_at, duration_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
          [actionId, a.attempt, a.url, a.address, a.status, a.error, a.startedAt, a.durationMs],
        );
      }
      const succeeded = result.outcome === 'succeeded';
      const failure = result.outcome === 'refused' ? 'refused' : 'failed';
      const outcome: Outcome = succeeded ? 'succeeded' : failure;
      // What the connector answered is the truth, even if the sweeper gave up on this send meanwhile.
      await m.query(`UPDATE tasking.response_actions SET status = $2, executed_at = $3, error = $4 WHERE id = $1`, [actionId, succeeded ? 'succeeded' : 'failed', now, result.error]);
      const ref = { actionId, incidentId: row.incident_id, kind: row.kind, target: row.target };
      const events = [
        succeeded
          ? event(ActionExecutedV1, row.incident_id, now, { ...ref, statusCode: result.response!.status, attempts: result.attempts.length, breakGlass: row.break_glass_reason !== null, undoOf: row.undo_of, executedAt: now.toISOString() })
          : event(ActionFailedV1, row.incident_id, now, { ...ref, outcome: failure, error: result.error ?? 'failed', attempts: result.attempts.length, at: now.toISOString() }),
      ];
      if (succeeded && row.undo_of) {
        await m.query(`UPDATE tasking.response_actions SET undone_by = $2 WHERE id = $1`, [row.undo_of, actionId]);
        const [original]: ActionRow[] = await m.query(`SELECT * FROM tasking.response_actions WHERE id = $1`, [row.undo_of]);
        events.push(event(ActionUndoneV1, row.incident_id, now, { actionId: original.id, incidentId: row.incident_id, kind: original.kind, target: original.target, undoActionId: actionId, undoKind: row.kind, actor: row.requested_by, undoneAt: now.toISOString() }));
      }
      await enqueueEvents(m, 'tasking', events);
      return outcome;
    });
    this.measure.settled([{ kind: row.kind, outcome, requestedAt: row.requested_at, at: now }]);
    this.logger.info({ actionId, incidentId: row.incident_id, kind: row.kind, outcome: result.outcome, attempts: result.attempts.length, error: result.error }, 'response action sent');
  }

  /** Records the review of a break-glass action, by someone other than who broke the glass. */
  async review(caller: Principal, actionId: string, note: string): Promise<ActionView> {
    const incidentId = await this.dataSource.transaction(async (m) => {
      const [row]: ActionRow[] = await m.query(`SELECT * FROM tasking.response_actions WHERE id = $1 FOR UPDATE`, [actionId]);
      if (!row) throw Problem.notFound(`Action ${actionId}`);
      await assertIncidentVisible(m, 'tasking', row.incident_id, caller, `Action ${actionId}`);
      if (!row.break_glass_reason) throw new Problem(409, 'Not break-glass', `Action ${actionId} ran with approvals; there is nothing to review.`);
      if (row.reviewed_at) throw new Problem(409, 'Already reviewed', `Action ${actionId} was reviewed by ${row.reviewed_by}.`);
      if (row.requested_by === caller.subject) throw new Problem(403, 'Self-review refused', 'Someone other than the person who broke the glass reviews it.');
      const now = this.clock.now();
      auditTouch({ ids: { incidentId: row.incident_id, actionId }, after: { reviewedBy: caller.subject, note } }, digest);
      await m.query(`UPDATE tasking.response_actions SET reviewed_at = $2, reviewed_by = $3, review_note = $4 WHERE id = $1`, [actionId, now, caller.subject, note]);
      await enqueueEvents(m as EntityManager, 'tasking', [
        event(ActionReviewedV1, row.incident_id, now, { actionId, incidentId: row.incident_id, kind: row.kind, target: row.target, reviewer: caller.subject, note, reviewedAt: now.toISOString() }),
      ]);
      return row.incident_id;
    });
    return this.get(caller, incidentId, actionId);
  }

  async list(caller: Principal, incidentId: string): Promise<ActionView[]> {
    await assertIncidentVisible(this.dataSource, 'tasking', incidentId, caller);
    return toActionViews(this.dataSource, await loadActionRows(this.dataSource, 'a.incident_id = $1', [incidentId]), this.clock.now());
  }

  async get(caller: Principal, incidentId: string, actionId: string): Promise<ActionView> {
    await assertIncidentVisible(this.dataSource, 'tasking', incidentId, caller);
    const [view] = await toActionViews(this.dataSource, await loadActionRows(this.dataSource, 'a.id = $1 AND a.incident_id = $2', [actionId, incidentId]), this.clock.now());
    if (!view) throw Problem.notFound(`Action ${actionId} of incident ${incidentId}`);
    return view;
  }

  /** A page of break-glass actions (awaiting review, or all) of incidents the caller may see, oldest first (keyset on the request time and id). */
  async breakGlassActions(caller: Principal, query: { pendingOnly: boolean; limit: number; cursor?: string }): Promise<{ items: ActionView[]; nextCursor: string | null }> {
    const sort = 'break-glass';
    const params: unknown[] = [];
    const p = (v: unknown) => `$${params.push(v)}`;
    const where = ['a.break_glass_reason IS NOT NULL', visibleIncidentCondition('tasking', 'a.incident_id', caller, params)];
    if (query.pendingOnly) where.push('a.reviewed_at IS NULL');
    if (query.cursor) {
      const c = decodeCursor(query.cursor, sort);
      where.push(`(a.requested_at, a.id) > (${p(c.value)}::timestamptz, ${p(c.id)}::uuid)`);
    }
    const rows = await loadActionRows(this.dataSource, where.join(' AND '), params, query.limit + 1);
    const { page, nextCursor } = pageOf(rows, query.limit, (last) => ({ sort, value: last.requested_at.toISOString(), id: last.id }));
    return { items: await toActionViews(this.dataSource, page, this.clock.now()), nextCursor };
  }
}
