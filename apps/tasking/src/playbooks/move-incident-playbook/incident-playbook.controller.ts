import { Body, Controller, Get, HttpCode, Param, ParseUUIDPipe, Post } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { IncidentPlaybookView, MoveIncidentPlaybook, PlaybookMoveResult, type IncidentSeverity } from '@vigil/contracts';
import { ApiJsonBody, ApiJsonResponse, ApiProblems, assertIncidentVisible, auditTouch, Caller, digest, Permit, Problem, ZodPipe, type Principal } from '@vigil/platform';
import { DataSource } from 'typeorm';
import { TERMINAL_PHASES } from '../../escalation/incident-facts';
import { Task } from '../../persistence/task.entity';
import { cancelUnfinishedTasks } from '../../tasks/cancel-tasks';
import { lockTasksOfIncidents } from '../../tasks/merged-incident-lock';
import { incidentPhase } from '../../tasks/task-state';
import { applyPlaybook, tasksForSteps } from '../apply-playbook/apply-playbook';
import { diffSteps } from '../library/playbook-rules';
import { playbookVersion, stored } from '../library/playbook-store';

interface IncidentPlaybookRow {
  incident_id: string;
  playbook_key: string;
  version: number;
  recovery_watch_days: number | null;
  severity: IncidentSeverity;
  declared_at: Date;
  recovery_time_objective_minutes: number | null;
  applied_at: Date;
}

@ApiTags('playbooks')
@Controller('v1/incidents')
export class IncidentPlaybookController {
  constructor(private readonly dataSource: DataSource) {}

  @Get(':incidentId/playbook')
  @Permit('incidents.read')
  @ApiOperation({ summary: 'The playbook (and version) an incident follows', operationId: 'getIncidentPlaybook' })
  @ApiJsonResponse(200, IncidentPlaybookView, 'Its playbook')
  @ApiProblems(400, 404, 503)
  async get(@Param('incidentId', new ParseUUIDPipe()) incidentId: string, @Caller() caller: Principal) {
    await assertIncidentVisible(this.dataSource, 'tasking', incidentId, caller);
    const [row]: IncidentPlaybookRow[] = await this.dataSource.query(`SELECT * FROM tasking.incident_playbooks WHERE incident_id = $1`, [incidentId]);
    if (!row) throw Problem.notFound(`The playbook of incident ${incidentId}`);
    const latest = await playbookVersion(this.dataSource.manager, row.playbook_key);
    return {
      incidentId,
      playbook: row.playbook_key,
      version: row.version,
      recoveryWatchDays: row.recovery_watch_days,
      appliedAt: row.applied_at.toISOString(),
      latestVersion: latest?.version ?? null,
    };
  }

  @Post(':incidentId/playbook/move')
  @HttpCode(200)
  @Permit('incidents.playbook')
  @ApiOperation({
    summary: 'Move an open incident to another (normally the newest) version of its playbook',
    description:
      'Steps the new version adds get tasks; open and started tasks of steps it drops are cancelled (done and skipped ones stay); ' +
      'kept steps take the new version\'s dependencies, gates and mandatory flag. Publishes vigil.playbook.applied.v1 with the added and dropped steps. ' +
      'A closed, false-positive or merged incident cannot move (409), nor one already on that version (409).',
    operationId: 'moveIncidentPlaybook',
  })
  @ApiJsonBody(MoveIncidentPlaybook)
  @ApiJsonResponse(200, PlaybookMoveResult, 'What the move added, dropped and kept')
  @ApiProblems(400, 404, 409, 503)
  async move(@Param('incidentId', new ParseUUIDPipe()) incidentId: string, @Body(new ZodPipe(MoveIncidentPlaybook)) body: MoveIncidentPlaybook, @Caller() caller: Principal) {
    await assertIncidentVisible(this.dataSource, 'tasking', incidentId, caller);
    return this.dataSource.transaction(async (manager) => {
      await lockTasksOfIncidents(manager, [incidentId]);
      const [current]: IncidentPlaybookRow[] = await manager.query(`SELECT * FROM tasking.incident_playbooks WHERE incident_id = $1 FOR UPDATE`, [incidentId]);
      if (!current) throw Problem.notFound(`The playbook of incident ${incidentId}`);
      const phase = await incidentPhase(manager, incidentId);
      if (phase && (TERMINAL_PHASES as readonly string[]).includes(phase)) throw new Problem(409, 'Incident not open', `Incident ${incidentId} is ${phase}: its playbook can no longer change.`, { phase });
      const target = await playbookVersion(manager, current.playbook_key, body.version);
      if (!target) throw Problem.notFound(body.version ? `Version ${body.version} of playbook ${current.playbook_key}` : `Playbook ${current.playbook_key}`);
      if (target.version === current.version) {
        throw new Problem(409, 'Already on that version', `Incident ${incidentId} follows ${current.playbook_key} version ${current.version} already.`, { version: current.version });
      }
      const playbook = stored(target);
      const tasks = await manager.getRepository(Task).find({ where: { incidentId, playbook: current.playbook_key }, lock: { mode: 'pessimistic_write' } });
      const live = tasks.filter((t) => t.status !== 'cancelled');
      const diff = diffSteps(live.map((t) => t.stepKey), playbook.steps.map((s) => s.key));
      auditTouch({ ids: { incidentId, playbook: current.playbook_key }, before: { version: current.version } }, digest);
      const now = new Date();
      // Kept steps follow the new version's wiring; their titles and due times stay as the responders know them.
      for (const step of playbook.steps.filter((s) => diff.kept.includes(s.key))) {
        const task = live.find((t) => t.stepKey === step.key)!;
        if (task.status !== 'open' && task.status !== 'in_progress') continue;
        await manager.update(Task, { id: task.id }, { playbookVersion: playbook.version, dependsOn: step.dependsOn, gates: step.gates, mandatory: step.mandatory, instructions: step.instructions, action: step.action ?? null });
      }
      const reason = `step dropped by ${playbook.key} version ${playbook.version} (moved by ${caller.subject}${body.reason ? `: ${body.reason}` : ''})`;
      const dropped = live.filter((t) => diff.dropped.includes(t.stepKey) && (t.status === 'open' || t.status === 'in_progress'));
      await cancelUnfinishedTasks(manager, { incidentIds: [incidentId], taskIds: dropped.map((t) => t.id), at: now, reason, actor: caller.subject, mergedInto: null });
      const subject = {
        incidentId,
        severity: current.severity,
        declaredAt: current.declared_at,
        exercise: live[0]?.exercise ?? false,
        rtoMinutes: current.recovery_time_objective_minutes,
      };
      const added = tasksForSteps(manager, subject, playbook, playbook.steps.filter((s) => diff.added.includes(s.key)), now);
      const kept = live.filter((t) => !diff.dropped.includes(t.stepKey));
      await applyPlaybook(manager, subject, playbook, { tasks: added, allTasks: [...kept, ...added], previousVersion: current.version, dropped: diff.dropped, actor: caller.subject }, now);
      const result = { incidentId, playbook: playbook.key, fromVersion: current.version, toVersion: playbook.version, addedSteps: diff.added, droppedSteps: diff.dropped, keptSteps: diff.kept };
      auditTouch({ after: result }, digest);
      return result;
    });
  }
}
