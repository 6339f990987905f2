import { Body, Controller, HttpCode, Param, ParseUUIDPipe, Post } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { CompleteTask, createEvent, TaskCompletedV1, TaskView } from '@vigil/contracts';
import { enqueueEvent } from '@vigil/messaging';
import { ApiJsonBody, ApiJsonResponse, ApiProblems, assertIncidentVisible, auditTouch, Caller, digest, Permit, ZodPipe, type Principal } from '@vigil/platform';
import { DataSource } from 'typeorm';
import { toTaskView } from '../../persistence/task.entity';
import { assertUnblocked, assertUnfinished, lockTask } from '../task-state';

@ApiTags('tasks')
@Controller('v1/incidents')
export class CompleteTaskController {
  constructor(private readonly dataSource: DataSource) {}

  @Post(':incidentId/tasks/:taskId/completion')
  @HttpCode(200)
  @Permit('tasks.complete')
  @ApiOperation({
    summary: 'Mark a task done',
    description:
      'Records who did it and when, and publishes vigil.task.completed.v1 (a review action item\'s task done is its action item done). ' +
      'An open task may be done without being started, but not while it is blocked (409 naming what it waits for). ' +
      'Marking a done task done again changes nothing; a skipped or cancelled task cannot be done (409).',
    operationId: 'completeIncidentTask',
  })
  @ApiJsonBody(CompleteTask)
  @ApiJsonResponse(200, TaskView, 'The task, done')
  @ApiProblems(400, 404, 409, 503)
  async complete(
    @Param('incidentId', new ParseUUIDPipe()) incidentId: string,
    @Param('taskId', new ParseUUIDPipe()) taskId: string,
    @Body(new ZodPipe(CompleteTask)) body: CompleteTask,
    @Caller() caller: Principal,
  ) {
    await assertIncidentVisible(this.dataSource, 'tasking', incidentId, caller);
    const task = await this.dataSource.transaction(async (manager) => {
      const found = await lockTask(manager, incidentId, taskId);
      if (found.status === 'done') return found;
      assertUnfinished(found, 'be done');
      if (found.status === 'open') await assertUnblocked(manager, found, 'be done');
      auditTouch({ ids: { incidentId, taskId }, before: toTaskView(found) }, digest);
      const now = new Date();
      found.status = 'done';
      found.completedAt = now;
      found.completedBy = caller.subject;
      found.completionNote = body.note ?? null;
      await manager.save(found);
      auditTouch({ after: toTaskView(found) }, digest);
      await enqueueEvent(
        manager,
        'tasking',
        createEvent(TaskCompletedV1, {
          source: '/vigil/tasking',
          subject: incidentId,
          time: now,
          data: { taskId, incidentId, title: found.title, completedAt: now.toISOString(), actor: caller.subject, note: found.completionNote, actionItemId: found.actionItemId },
        }),
        { topic: TaskCompletedV1.topic, key: incidentId },
      );
      return found;
    });
    return toTaskView(task, []);
  }
}
