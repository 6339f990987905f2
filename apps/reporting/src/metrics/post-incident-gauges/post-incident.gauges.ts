import { Inject, Injectable } from '@nestjs/common';
import { metrics } from '@opentelemetry/api';
import { ActionItemType } from '@vigil/contracts';
import { LOGGER } from '@vigil/platform';
import type { Logger } from 'pino';
import { DataSource } from 'typeorm';

const KINDS = ['false', 'true'] as const;

/**
 * Gauges read from reporting's records when metrics are collected: action items open and overdue
 * (by type), tasks against their due time, and the latest score of each exercise scenario. Every
 * series is observed, at 0 when there is nothing, so a panel shows "none" rather than "no data".
 */
@Injectable()
export class PostIncidentGauges {
  constructor(
    private readonly dataSource: DataSource,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    const meter = metrics.getMeter('vigil');
    const open = meter.createObservableGauge('vigil.action_items.open', { description: 'review and exercise action items not done yet, by type' });
    const overdue = meter.createObservableGauge('vigil.action_items.overdue', { description: 'open action items past their due time, by type' });
    const tasks = meter.createObservableGauge('vigil.tasks.sla', { description: 'tasks with a due time: met (done in time), missed (done late or open past due), pending (open, not due yet)' });
    const score = meter.createObservableGauge('vigil.exercise.score', { description: 'share of expected actions met in the latest ended exercise of each scenario (0–1)' });
    const exercises = meter.createObservableGauge('vigil.exercises.ended', { description: 'exercises ended, by scenario' });
    meter.addBatchObservableCallback(async (result) => {
      try {
        const [items, sla, scores] = await Promise.all([
          this.dataSource.query(
            `SELECT type, exercise, count(*) FILTER (WHERE status = 'open')::int AS open,
                    count(*) FILTER (WHERE status = 'open' AND due_at < now())::int AS overdue
               FROM reporting.action_items GROUP BY type, exercise`,
          ) as Promise<Array<{ type: string; exercise: boolean; open: number; overdue: number }>>,
          this.dataSource.query(
            `SELECT c.exercise,
                    count(*) FILTER (WHERE t.status = 'done' AND t.completed_at <= t.due_at)::int AS met,
                    count(*) FILTER (WHERE (t.status = 'done' AND t.completed_at > t.due_at) OR (t.status = 'open' AND t.due_at < now()))::int AS missed,
                    count(*) FILTER (WHERE t.status = 'open' AND t.due_at >= now())::int AS pending
               FROM reporting.tasks t JOIN reporting.incident_clocks c ON c.incident_id = t.incident_id
              WHERE t.due_at IS NOT NULL GROUP BY c.exercise`,
          ) as Promise<Array<{ exercise: boolean; met: number; missed: number; pending: number }>>,
          this.dataSource.query(
            `SELECT DISTINCT ON (scenario_key) scenario_key, score, count(*) OVER (PARTITION BY scenario_key)::int AS ended
               FROM reporting.exercises WHERE state = 'ended' AND score IS NOT NULL ORDER BY scenario_key, ended_at DESC`,
          ) as Promise<Array<{ scenario_key: string; score: number; ended: number }>>,
        ]);
        for (const exercise of KINDS) {
          for (const type of ActionItemType.options) {
            const row = items.find((r) => r.type === type && String(r.exercise) === exercise);
            result.observe(open, row?.open ?? 0, { type, exercise });
            result.observe(overdue, row?.overdue ?? 0, { type, exercise });
          }
          const row = sla.find((r) => String(r.exercise) === exercise);
          for (const state of ['met', 'missed', 'pending'] as const) result.observe(tasks, row?.[state] ?? 0, { state, exercise });
        }
        for (const s of scores) {
          result.observe(score, Number(s.score), { scenario: s.scenario_key });
          result.observe(exercises, s.ended, { scenario: s.scenario_key });
        }
      } catch (error) {
        this.logger.warn({ err: error }, 'post-incident gauges: could not read the records');
      }
    }, [open, overdue, tasks, score, exercises]);
  }
}
