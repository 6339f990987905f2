import { createEvent, EscalationExhaustedV1, EscalationStepExecutedV1, PageRequestedV1, type EventData } from '@vigil/contracts';
import { enqueueEvents, PollLoop, type OutboxItem } from '@vigil/messaging';
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { DataSource, EntityManager } from 'typeorm';
import type { Clock } from '../clock';
import type { EscalationMetrics } from '../escalation-metrics';
import type { EscalationRow } from '../escalation-rows';
import { readFacts, type IncidentFacts } from '../incident-facts';
import { nextPosition, stepKey, waitMs } from '../step-plan';
import { resolveTargets } from './resolve-targets';

export interface RunnerOptions {
  /** How often to look for due steps when nothing wakes the runner. */
  pollMs: number;
  /** How people reach triage (the incident and its acknowledge route). */
  triageUrl: string;
  /** How people reach tasking (an escalation's own acknowledge route). */
  taskingUrl: string;
  /** Escalations handled per round before looking again. */
  batch?: number;
}

type Outcome = { kind: 'step'; pages: number; number: number; facts: IncidentFacts } | { kind: 'exhausted'; facts: IncidentFacts };

/**
 * Runs escalation steps when they fall due. All state is in the database: each escalation's next
 * step and its due time. A round claims due escalations one at a time with FOR UPDATE SKIP LOCKED
 * (so replicas share them and never run one twice at once), runs the step, records it under its
 * key (cycle.number, the primary key of escalation_steps) and writes its page requests to the
 * outbox, and moves the escalation on, all in one transaction: a crash before the commit leaves
 * the step due, one after it finds the step done. A restart loses nothing and repeats nothing.
 * An acknowledgement takes the same row lock, so it never races a step: once it has committed,
 * no further step runs.
 */
export class EscalationRunner {
  private readonly loop: PollLoop;

  constructor(
    private readonly dataSource: DataSource,
    private readonly clock: Clock,
    private readonly options: RunnerOptions,
    private readonly logger: Logger,
    private readonly metrics?: EscalationMetrics,
  ) {
    this.loop = new PollLoop('escalation runner', options.pollMs, () => this.runDue(), logger);
  }

  start(): void {
    this.loop.start();
  }

  async stop(): Promise<void> {
    await this.loop.stop();
  }

  /** Look now (e.g. an escalation just started), rather than at the next poll. */
  wake(): void {
    this.loop.wake();
  }

  /** Runs every step due now (per the clock); returns how many escalations moved. */
  async runDue(): Promise<number> {
    const batch = this.options.batch ?? 50;
    let done = 0;
    while (done < batch) {
      const outcome = await this.dataSource.transaction((manager) => this.runOne(manager));
      if (!outcome) break;
      done++;
      // Counted once the transaction has committed.
      const attributes = { severity: outcome.facts.severity, exercise: String(outcome.facts.exercise) };
      if (outcome.kind === 'step' && outcome.pages > 0) this.metrics?.pages.add(outcome.pages, { ...attributes, step: String(outcome.number) });
      if (outcome.kind === 'exhausted') this.metrics?.exhausted.add(1, attributes);
    }
    return done;
  }

  private async runOne(manager: EntityManager): Promise<Outcome | null> {
    const now = this.clock.now();
    const [row]: EscalationRow[] = await manager.query(
      `SELECT * FROM tasking.escalations WHERE status = 'active' AND due_at <= $1 ORDER BY due_at, id LIMIT 1 FOR UPDATE SKIP LOCKED`,
      [now],
    );
    if (!row) return null;
    const facts = (await readFacts(manager, row.incident_id)) ?? row.facts;
    if (row.next_index === null || row.next_cycle === null) return this.exhaust(manager, row, facts, now);
    const position = { cycle: row.next_cycle, index: row.next_index };
    const key = stepKey(position);
    const step = row.policy.steps[position.index];
    const resolution = await resolveTargets(manager, step.targets, now);
    const paged = resolution.people.map((p) => ({ pageId: randomUUID(), personId: p.id, name: p.name }));
    const recorded: Array<{ step_key: string }> = await manager.query(
      `INSERT INTO tasking.escalation_steps (escalation_id, step_key, number, cycle, executed_at, targets, paged, unresolved)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (escalation_id, step_key) DO NOTHING RETURNING step_key`,
      [row.id, key, position.index + 1, position.cycle, now, JSON.stringify(step.targets), JSON.stringify(paged), JSON.stringify(resolution.unresolved)],
    );
    const next = nextPosition(row.policy, position);
    const dueAt = new Date(now.getTime() + waitMs(step));
    await manager.query(
      `UPDATE tasking.escalations SET next_cycle = $2, next_index = $3, due_at = $4, last_step_key = $5, last_step_at = $6 WHERE id = $1`,
      [row.id, next?.cycle ?? null, next?.index ?? null, dueAt, key, now],
    );
    // The step ran before (it cannot under the row lock, but its key is the last word): no pages twice.
    if (recorded.length === 0) {
      this.logger.warn({ escalationId: row.id, step: key }, 'escalation step already recorded; not paging again');
      return { kind: 'step', pages: 0, number: position.index + 1, facts };
    }
    const stepView = { number: position.index + 1, cycle: position.cycle, key };
    const items: OutboxItem[] = resolution.people.map((person, i) => {
      const data: EventData<typeof PageRequestedV1> = {
        pageId: paged[i].pageId,
        escalationId: row.id,
        incidentId: row.incident_id,
        step: stepView,
        person: { personId: person.id, name: person.name, timeZone: person.time_zone, contactMethods: person.contact_methods },
        incident: {
          // A page may reach someone outside a restricted incident's need to know: no title then.
          title: facts.restricted ? 'Restricted incident' : facts.title,
          severity: facts.severity,
          category: facts.category,
          exercise: facts.exercise,
          restricted: facts.restricted,
          link: `${this.options.triageUrl}/v1/incidents/${row.incident_id}`,
        },
        acknowledge: {
          url: `${this.options.triageUrl}/v1/incidents/${row.incident_id}/acknowledge`,
          escalationUrl: `${this.options.taskingUrl}/v1/escalations/${row.id}/acknowledge`,
          instructions:
            'Acknowledge the incident: GET the link with your access token for its ETag, then POST {} to the acknowledge URL with If-Match: <ETag>. ' +
            'That stops every escalation of the incident. To acknowledge this page only (the incident was acknowledged before its severity rose), POST {} to the escalation URL.',
        },
        reason: row.reason,
        requestedAt: now.toISOString(),
      };
      return { event: createEvent(PageRequestedV1, { source: '/vigil/tasking', subject: row.incident_id, time: now, data }), topic: PageRequestedV1.topic, key: row.incident_id };
    });
    items.push({
      event: createEvent(EscalationStepExecutedV1, {
        source: '/vigil/tasking',
        subject: row.incident_id,
        time: now,
        data: {
          escalationId: row.id,
          incidentId: row.incident_id,
          step: stepView,
          targets: step.targets,
          paged,
          unresolved: resolution.unresolved,
          executedAt: now.toISOString(),
          nextStepDueAt: dueAt.toISOString(),
        },
      }),
      topic: EscalationStepExecutedV1.topic,
      key: row.incident_id,
    });
    await enqueueEvents(manager, 'tasking', items);
    return { kind: 'step', pages: paged.length, number: position.index + 1, facts };
  }

  /** The last step's wait is over and nobody acknowledged: the escalation has run out. */
  private async exhaust(manager: EntityManager, row: EscalationRow, facts: IncidentFacts, now: Date): Promise<Outcome> {
    await manager.query(`UPDATE tasking.escalations SET status = 'exhausted', due_at = NULL, stopped_at = $2, stop_reason = 'exhausted' WHERE id = $1`, [row.id, now]);
    const [{ n }]: Array<{ n: number }> = await manager.query(`SELECT count(*)::int AS n FROM tasking.escalation_steps WHERE escalation_id = $1`, [row.id]);
    await enqueueEvents(manager, 'tasking', [
      {
        event: createEvent(EscalationExhaustedV1, {
          source: '/vigil/tasking',
          subject: row.incident_id,
          time: now,
          data: { escalationId: row.id, incidentId: row.incident_id, policyId: row.policy_id, policyName: row.policy.name, stepsExecuted: n, at: now.toISOString() },
        }),
        topic: EscalationExhaustedV1.topic,
        key: row.incident_id,
      },
    ]);
    this.logger.warn({ escalationId: row.id, incidentId: row.incident_id, steps: n }, 'escalation ran out of steps without an acknowledgement');
    return { kind: 'exhausted', facts };
  }
}
