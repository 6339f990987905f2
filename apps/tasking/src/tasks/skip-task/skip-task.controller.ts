import { Body, Controller, HttpCode, Param, ParseUUIDPipe, Post } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { createEvent, SkipTask, TaskSkippedV1, TaskView } from '@vigil/contracts';
import { enqueueEvent } from '@vigil/messaging';
import { ApiJsonBody, ApiJsonResponse, ApiProblems, assertIncidentVisible, auditTouch, Caller, digest, Permit, Problem, ZodPipe, type Principal } from '@vigil/platform';
import { DataSource } from 'typeorm';
import { Task, toTaskView } from '../../persistence/task.entity';
import { assertUnfinished, lockTask } from '../task-state';

@ApiTags('tasks')
@Controller('v1/incidents')
export class SkipTaskController {
  constructor(private readonly dataSource: DataSource) {}

  @Post(':incidentId/tasks/:taskId/skip')
  @HttpCode(200)
  @Permit('tasks.work')
  @ApiOperation({
    summary: 'Skip a task that does not apply (with a reason)',
    description:
      'An open or started task is skipped with a reason and vigil.task.skipped.v1 is published; tasks that depend on it may then start. ' +
      'A step that gates other steps must really be done, so it cannot be skipped (409 naming the steps it gates); ' +
      'a skipped mandatory task no longer holds up closing. A done or cancelled task cannot be skipped (409).',
    operationId: 'skipIncidentTask',
  })
  @ApiJsonBody(SkipTask)
  @ApiJsonResponse(200, TaskView, 'The task, skipped')
  @ApiProblems(400, 404, 409, 503)
  async skip(
    @Param('incidentId', new ParseUUIDPipe()) incidentId: string,
    @Param('taskId', new ParseUUIDPipe()) taskId: string,
    @Body(new ZodPipe(SkipTask)) body: SkipTask,
    @Caller() caller: Principal,
  ) {
    await assertIncidentVisible(this.dataSource, 'tasking', incidentId, caller);
    const task = await this.dataSource.transaction(async (manager) => {
      const found = await lockTask(manager, incidentId, taskId);
      if (found.status === 'skipped') return found;
      assertUnfinished(found, 'be skipped');
      const gated = (await manager.getRepository(Task).find({ where: { incidentId, playbook: found.playbook } }))
        .filter((t) => t.gates.includes(found.stepKey) && t.status !== 'cancelled')
        .map((t) => t.stepKey)
        .sort();
      if (gated.length) {
        throw new Problem(409, 'Task gates other steps', `Task ${found.stepKey} gates ${gated.join(', ')}: it must be done, not skipped.`, { gates: gated });
      }
      auditTouch({ ids: { incidentId, taskId }, before: toTaskView(found) }, digest);
      const now = new Date();
      found.status = 'skipped';
      found.skippedAt = now;
      found.skippedBy = caller.subject;
      found.skipReason = body.reason;
      await manager.save(found);
      auditTouch({ after: toTaskView(found) }, digest);
      await enqueueEvent(
        manager,
        'tasking',
        createEvent(TaskSkippedV1, {
          source: '/vigil/tasking',
          subject: incidentId,
          time: now,
          data: { taskId, incidentId, title: found.title, skippedAt: now.toISOString(), actor: caller.subject, reason: body.reason },
        }),
        { topic: TaskSkippedV1.topic, key: incidentId },
      );
      return found;
    });
    return toTaskView(task, []);
  }
}
