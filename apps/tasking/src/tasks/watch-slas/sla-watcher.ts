import { metrics, type Counter } from '@opentelemetry/api';
import { createEvent, TaskSlaBreachedV1, type IncidentPhase, type IncidentSeverity, type ResponderRole } from '@vigil/contracts';
import { enqueueEvents, PollLoop } from '@vigil/messaging';
import type { Logger } from 'pino';
import type { DataSource } from 'typeorm';
import type { Clock } from '../../escalation/clock';

interface DueRow {
  id: string;
  incident_id: string;
  title: string;
  phase: IncidentPhase;
  role: ResponderRole;
  assignee: string | null;
  severity: IncidentSeverity | null;
  mandatory: boolean;
  due_at: Date;
  exercise: boolean;
}

/** `vigil.task.sla.breached` (Prometheus: vigil_task_sla_breached_total), by severity, phase and exercise. */
export class SlaMetrics {
  readonly breached: Counter = metrics.getMeter('vigil').createCounter('vigil.task.sla.breached', { description: 'tasks that passed their SLA unfinished, by severity, phase and exercise' });
}

/**
 * The durable SLA timer: all state is in the tasks themselves (due_at, sla_breached_at), so a restart
 * loses nothing. Each round claims unfinished tasks past their due time that have not been reported
 * (FOR UPDATE SKIP LOCKED, so replicas share them), marks them breached and writes
 * vigil.task.sla-breached.v1 to the outbox in the same transaction: each breach is published once.
 * The escalation trigger registry takes the event, so a breach pages per the escalation policy.
 * Tasks of closed incidents are left alone.
 */
export class SlaWatcher {
  private readonly loop: PollLoop;

  constructor(
    private readonly dataSource: DataSource,
    private readonly clock: Clock,
    pollMs: number,
    logger: Logger,
    private readonly metrics?: SlaMetrics,
    private readonly batch = 100,
  ) {
    this.loop = new PollLoop('task SLA watcher', pollMs, () => this.runDue(), logger);
  }

  start(): void {
    this.loop.start();
  }

  async stop(): Promise<void> {
    await this.loop.stop();
  }

  /**
   * Reports every task past its SLA at the clock's now, a batch per transaction until none is left
   * (a backlog larger than one batch is not left for later polls); returns how many.
   */
  async runDue(): Promise<number> {
    const now = this.clock.now();
    let total = 0;
    for (;;) {
      const n = await this.runBatch(now);
      total += n;
      if (n < this.batch) return total;
    }
  }

  private async runBatch(now: Date): Promise<number> {
    const breached = await this.dataSource.transaction(async (manager) => {
      const rows: DueRow[] = await manager.query(
        `SELECT t.id, t.incident_id, t.title, t.phase, t.role, t.assignee, coalesce(t.severity, f.severity) AS severity, t.mandatory, t.due_at, t.exercise
           FROM tasking.tasks t LEFT JOIN tasking.incident_facts f USING (incident_id)
          WHERE t.status IN ('open', 'in_progress') AND t.sla_breached_at IS NULL AND t.due_at IS NOT NULL AND t.due_at <= $1
            -- A closed incident's leftover (non-mandatory) tasks are no longer anyone's deadline.
            AND (f.phase IS NULL OR f.phase NOT IN ('closed', 'false_positive', 'merged'))
          ORDER BY t.due_at, t.id
          LIMIT $2
          FOR UPDATE OF t SKIP LOCKED`,
        [now, this.batch],
      );
      if (!rows.length) return rows;
      await manager.query(`UPDATE tasking.tasks SET sla_breached_at = $2 WHERE id = ANY($1::uuid[])`, [rows.map((r) => r.id), now]);
      await enqueueEvents(
        manager,
        'tasking',
        rows.map((r) => ({
          event: createEvent(TaskSlaBreachedV1, {
            source: '/vigil/tasking',
            subject: r.incident_id,
            time: now,
            data: {
              taskId: r.id,
              incidentId: r.incident_id,
              title: r.title,
              phase: r.phase,
              role: r.role,
              assignee: r.assignee,
              severity: r.severity ?? 'SEV4',
              mandatory: r.mandatory,
              dueAt: r.due_at.toISOString(),
              breachedAt: now.toISOString(),
              exercise: r.exercise,
            },
          }),
          topic: TaskSlaBreachedV1.topic,
          key: r.incident_id,
        })),
      );
      return rows;
    });
    // Counted once the transaction has committed.
    for (const r of breached) this.metrics?.breached.add(1, { severity: r.severity ?? 'unknown', phase: r.phase, exercise: String(r.exercise) });
    return breached.length;
  }
}
